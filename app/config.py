"""Settings. Every value can be overridden from the environment or instance/config.py."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DISCLAIMER = (
    "This register records issues reported by SEC Parties. No recommendations are made or "
    "intended, and inclusion is not an admission or finding by any manufacturer."
)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: Path) -> dict:
    env = os.environ.get("APP_ENV", "development").strip().lower()
    return {
        "APP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'register.sqlite'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR") or str(ROOT / "search_index"),
        # A query that may match more documents than this is ranked among this many of the
        # newest documents the user may see, with an estimated total (docs/decisions.md).
        "SEARCH_CANDIDATES": _int("SEARCH_CANDIDATES", 5000),
        "MAIL_DIR": os.environ.get("MAIL_DIR") or str(instance_path / "mail"),
        # Issued monthly editions (PDF and CSV); their SHA-256 is kept in the database.
        "PUBLICATIONS_DIR": os.environ.get("PUBLICATIONS_DIR")
        or str(instance_path / "publications"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "register@dcc.invalid"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DISCLAIMER": os.environ.get("DISCLAIMER", DISCLAIMER),
        "PASSWORD_MIN_LENGTH": _int("PASSWORD_MIN_LENGTH", 12),
        "PASSWORD_TOKEN_HOURS": _int("PASSWORD_TOKEN_HOURS", 72),
        "LOGIN_THROTTLE_MINUTES": _int("LOGIN_THROTTLE_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "60 per minute"),
        "OUTBOX_DRAIN_AFTER_REQUEST": _bool("OUTBOX_DRAIN_AFTER_REQUEST", env == "development"),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        # How long a drain holds a message it is applying; longer than any handler takes
        # (SMTP times out after 20 s), or a slow drain's message is taken over and sent again.
        "OUTBOX_LEASE_SECONDS": _int("OUTBOX_LEASE_SECONDS", 300),
        "SESSION_HOURS": _int("SESSION_HOURS", 12),
        "AUDIT_PAGE_SIZE": _int("AUDIT_PAGE_SIZE", 50),
        "REVIEW_WORKING_DAYS": _int("REVIEW_WORKING_DAYS", 10),
        "REVIEW_EXTENSION_WORKING_DAYS": _int("REVIEW_EXTENSION_WORKING_DAYS", 5),
        "REVIEW_REMINDER_WORKING_DAYS": _int("REVIEW_REMINDER_WORKING_DAYS", 2),
        # False lets validators skip manufacturer review for a DMC with no catalogue maker.
        "REVIEW_MANDATORY": _bool("REVIEW_MANDATORY", False),
        "WORKING_DAYS_SUBDIVISION": os.environ.get("WORKING_DAYS_SUBDIVISION", "ENG"),
        "LEGACY_MAX_FIELD_CHARS": _int("LEGACY_MAX_FIELD_CHARS", 65536),
        # Keep the unredacted DSMS row in a table only validators can read (off: not kept).
        "LEGACY_KEEP_RAW": _bool("LEGACY_KEEP_RAW", False),
        "REDACTION_NAMES_FILE": os.environ.get("REDACTION_NAMES_FILE") or None,
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_MB", 50) * 1024 * 1024,
        # Superfluous alerts tracker (DESIGN §8): a DMC whose alerts per device per day in the
        # latest week of the chosen period exceed this is listed as above the threshold.
        "ALERTS_THRESHOLD_PER_DEVICE_DAY": _float("ALERTS_THRESHOLD_PER_DEVICE_DAY", 1.0),
        "ALERTS_TOP_DMCS": _int("ALERTS_TOP_DMCS", 20),
        "ALERTS_TREND_CHARTS": _int("ALERTS_TREND_CHARTS", 5),
    }
