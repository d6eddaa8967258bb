"""The application factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from app import config as settings
from app.extensions import csrf, db, limiter, login_manager, migrate


class ConfigurationError(RuntimeError):
    pass


def create_app(overrides: dict | None = None, *, instance_path: str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(overrides or {})
    _configure_secret_key(app)
    _configure_sessions(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from app import security, web
    from app.blueprints import register_blueprints
    from app.cli import register_commands
    from app.services.search import index as search_index

    search_index.track_changes()
    security.init_app(app)
    web.init_app(app)
    register_blueprints(app)
    register_commands(app)
    return app


def _configure_secret_key(app: Flask) -> None:
    """Production must be given SECRET_KEY; development keeps a generated one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["APP_ENV"] == "production":
        raise ConfigurationError(
            "SECRET_KEY is not set. In production the portal refuses to start without one: "
            "set the SECRET_KEY environment variable to a long random value, e.g. the output "
            "of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _configure_sessions(app: Flask) -> None:
    from datetime import timedelta

    secure = app.config["APP_ENV"] not in {"development", "testing"}
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="idr_session" if not secure else "__Host-idr_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_HOURS"]),
    )
