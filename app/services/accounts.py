"""Signing in, throttling, and setting or changing passwords."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import LoginAttempt, PasswordToken, User
from app.models.base import utcnow
from app.services import audit, outbox, passwords, policy
from app.services.errors import SignInRefused, SignInThrottled, ValidationFailed

WRONG_CREDENTIALS = "Email or password is incorrect."
THROTTLED = "Too many failed sign-in attempts. Please wait {minutes} minutes before trying again."
LINK_INVALID = (
    "This link is invalid, has expired or has already been used. "
    "Ask an administrator for a new one."
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


# --- signing in -------------------------------------------------------------------------


def authenticate(*, email: str, password: str, ip_address: str) -> User:
    """Return the user if the credentials are right. Refuses without saying whether the
    account exists; throttles by account and by address."""
    email = normalise_email(email)
    config = current_app.config
    if _is_throttled(email, ip_address):
        audit.record(None, "auth.login_throttled", summary=email, actor_email=email)
        db.session.commit()
        raise SignInThrottled(THROTTLED.format(minutes=config["LOGIN_THROTTLE_MINUTES"]))
    user = find_user_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        _record_attempt(email, ip_address, succeeded=False)
        audit.record(None, "auth.login_failed", summary=email, actor_email=email)
        db.session.commit()
        raise SignInRefused(WRONG_CREDENTIALS)
    if not user.active:
        _record_attempt(email, ip_address, succeeded=False)
        audit.record(user, "auth.login_refused_inactive", user)
        db.session.commit()
        raise SignInRefused("This account has been deactivated. Contact your administrator.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    _record_attempt(email, ip_address, succeeded=True)
    audit.record(user, "auth.login", user)
    db.session.commit()
    return user


def record_logout(user: User) -> None:
    audit.record(user, "auth.logout", user)
    db.session.commit()


def _record_attempt(email: str, ip_address: str, *, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=succeeded))


def _is_throttled(email: str, ip_address: str) -> bool:
    config = current_app.config
    since = utcnow() - timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"])
    last_success = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    account_since = max(since, last_success) if last_success else since
    failures = (
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.succeeded.is_(False))
    )
    by_account = db.session.scalar(
        failures.where(LoginAttempt.email == email, LoginAttempt.at > account_since)
    )
    if by_account >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        return True
    by_address = db.session.scalar(
        failures.where(LoginAttempt.ip_address == ip_address, LoginAttempt.at > since)
    )
    return by_address >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]


# --- passwords --------------------------------------------------------------------------


def check_new_password(password: str, confirm: str, *, email: str) -> None:
    found = passwords.problems(
        password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email
    )
    errors: dict[str, list[str]] = {}
    if found:
        errors["new_password"] = found
    if password != confirm:
        errors["confirm_password"] = ["The two passwords do not match."]
    if errors:
        raise ValidationFailed("The new password cannot be used.", field_errors=errors)


def change_password(*, actor: User, current_password: str, new_password: str, confirm: str) -> User:
    policy.require(actor, "account.change_password")
    if not passwords.verify_password(actor.password_hash, current_password):
        raise ValidationFailed(
            "Your current password is not right.",
            field_errors={"current_password": ["Your current password is not right."]},
        )
    check_new_password(new_password, confirm, email=actor.email)
    _set_password(actor, new_password)
    audit.record(actor, "account.password_changed", actor)
    db.session.commit()
    return actor


def _set_password(user: User, password: str) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.end_sessions()  # every other session of this user ends with the old password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(user: User) -> str:
    """Create a single-use set-password token for the user and queue the e-mail with the
    link, in the caller's transaction. Earlier unused links stop working."""
    now = utcnow()
    for old in db.session.scalars(
        sa.select(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_TOKEN_HOURS"]
    db.session.add(
        PasswordToken(
            user=user, token_hash=_token_hash(token), expires_at=now + timedelta(hours=hours)
        )
    )
    link = f"{current_app.config['BASE_URL']}/auth/set-password/{token}"
    outbox.enqueue_email(
        to=user.email,
        subject="Set your password for the Issues & Defects Register",
        body=(
            f"Hello {user.full_name},\n\n"
            f"An account has been opened for you on the Issues & Defects Register.\n"
            f"Choose your password here (the link works once, for {hours} hours):\n\n"
            f"{link}\n\n"
            "If you did not expect this message, you can ignore it.\n"
        ),
    )
    return token


def user_for_password_token(token: str) -> User:
    row = db.session.scalar(
        sa.select(PasswordToken).where(PasswordToken.token_hash == _token_hash(token))
    )
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.active:
        raise ValidationFailed(LINK_INVALID)
    return row.user


def set_password_with_token(*, token: str, new_password: str, confirm: str) -> User:
    user = user_for_password_token(token)
    check_new_password(new_password, confirm, email=user.email)
    # Claim the token atomically, so two submissions of one link cannot both succeed.
    claimed = db.session.execute(
        sa.update(PasswordToken)
        .where(PasswordToken.token_hash == _token_hash(token), PasswordToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ValidationFailed(LINK_INVALID)
    _set_password(user, new_password)
    audit.record(user, "account.password_set", user, "by e-mailed link")
    db.session.commit()
    return user
