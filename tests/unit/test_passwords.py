import pytest

from app.services import passwords


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        ("short-one", "at least 12 characters"),
        ("passwordpassword", "too common"),
        ("Password12345", "too common"),
        ("qwertyuiopasdfgh", "too common"),
        ("123456789012", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * 300, "at most 256"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(candidate, message):
    found = passwords.problems(candidate, min_length=12, email="sam@brightwater.test")
    assert any(message in p for p in found), found


@pytest.mark.parametrize("candidate", ["Orchard-Lantern-Quartz-42", "correct horse battery staple"])
def test_strong_passwords_are_accepted(candidate):
    assert passwords.problems(candidate, min_length=12, email="sam@brightwater.test") == []


def test_hash_is_argon2_and_verifies():
    hashed = passwords.hash_password("Orchard-Lantern-Quartz-42")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Orchard-Lantern-Quartz-42")
    assert not passwords.verify_password(hashed, "orchard-lantern-quartz-42")


def test_missing_hash_never_verifies():
    assert passwords.verify_password(None, "not-a-real-password-only-for-timing") is False
