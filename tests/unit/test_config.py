import pytest

from app import ConfigurationError, create_app
from app.config import database_url


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(instance_path=str(tmp_path))


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    first = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    second = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    config = create_app(instance_path=str(tmp_path)).config
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_embedded_default_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    config = create_app(instance_path=str(tmp_path)).config
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'register.sqlite'}"
    assert config["MAIL_DIR"] == str(tmp_path / "mail")
    assert config["SEARCH_INDEX_DIR"].endswith("search_index")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_selects_psycopg3(given, expected):
    assert database_url(given) == expected
