"""Shared fixtures: a real database (a SQLite file, and PostgreSQL when TEST_DATABASE_URL is
set), a real Whoosh index folder, mail written to a temp folder or a real SMTP server on
loopback, and factories for organisations and users."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Organisation, OrganisationCategory, Role, User
from app.services import passwords
from tests.support.smtp import CapturingSMTPServer

TEST_PASSWORD = "Orchard-Lantern-Quartz-42"
_TEST_HASH = passwords.hash_password(TEST_PASSWORD)  # hashed once: Argon2 is slow on purpose
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _config(tmp_path: Path, database_uri: str) -> dict:
    return {
        "APP_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        "MAIL_DIR": str(tmp_path / "mail"),
        "MAIL_SERVER": None,
        "OUTBOX_DRAIN_AFTER_REQUEST": False,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (fast, and isolated)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    app = create_app(_config(folder, f"sqlite:///{path}"), instance_path=str(folder))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """A private schema for this test run (and xdist worker), migrated once."""
    if not PG_URL:
        yield None
        return
    schema = f"idr_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _pg_url(schema: str) -> str:
    joiner = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{joiner}options=-csearch_path%3D{schema}"


_pg_migrated: set[str] = set()


def _reset_postgresql(app: Flask, schema: str) -> None:
    with app.app_context():
        if schema not in _pg_migrated:
            upgrade()
            _pg_migrated.add(schema)
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            # The audit log refuses TRUNCATE by trigger; only the test harness lifts that.
            conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def make_app(
    tmp_path: Path, backend: str, sqlite_template: Path, pg_schema: str | None, **extra
) -> Flask:
    if backend == "sqlite":
        database = tmp_path / "register.sqlite"
        if not database.exists():
            shutil.copy(sqlite_template, database)
        uri = f"sqlite:///{database}"
    else:
        uri = _pg_url(pg_schema)
    app = create_app(_config(tmp_path, uri) | extra, instance_path=str(tmp_path / "instance"))
    if backend == "postgresql":
        _reset_postgresql(app, pg_schema)
    return app


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(tmp_path, backend, sqlite_template, pg_schema, app_config) -> Iterator[Flask]:
    app = make_app(tmp_path, backend, sqlite_template, pg_schema, **app_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def smtp_server() -> Iterator[CapturingSMTPServer]:
    server = CapturingSMTPServer()
    server.start()
    yield server
    server.stop()


# --- factories --------------------------------------------------------------------------


@dataclass(frozen=True)
class TestUser:
    id: int
    email: str
    role: str
    organisation_id: int
    password: str = TEST_PASSWORD


@pytest.fixture
def make_org(app):
    def _make(name: str | None = None, category: str = "large_supplier") -> int:
        with app.app_context():
            org = Organisation(
                name=name or f"Org {uuid.uuid4().hex[:6]}", category=OrganisationCategory(category)
            )
            db.session.add(org)
            db.session.commit()
            return org.id

    return _make


ROLE_CATEGORY = {
    "party": "large_supplier",
    "manufacturer": "device_manufacturer",
    "validator": "dcc",
    "secas": "secas",
    "ssc": "other",
    "admin": "dcc",
}


@pytest.fixture
def make_user(app, make_org):
    def _make(
        role: str = "party",
        *,
        email: str | None = None,
        organisation_id: int | None = None,
        manufacturer_id: int | None = None,
        active: bool = True,
        with_password: bool = True,
    ) -> TestUser:
        org_id = organisation_id or make_org(category=ROLE_CATEGORY[role])
        with app.app_context():
            user = User(
                email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.test",
                full_name=f"Test {role.title()}",
                role=Role(role),
                organisation_id=org_id,
                manufacturer_id=manufacturer_id,
                password_hash=_TEST_HASH if with_password else None,
                active=active,
            )
            db.session.add(user)
            db.session.commit()
            return TestUser(user.id, user.email, role, org_id)

    return _make


def sign_in(client, user: TestUser, password: str | None = None):
    return client.post(
        "/auth/login", data={"email": user.email, "password": password or user.password}
    )


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user of the role; returns the user."""

    def _login(role: str, **kw) -> TestUser:
        user = make_user(role, **kw)
        response = sign_in(client, user)
        assert response.status_code == 302, response.data[:500]
        return user

    return _login
