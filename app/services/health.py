"""Liveness of the parts the portal depends on, for /healthz and monitoring."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.services.search import index as search_index


def check() -> dict:
    database = _database()
    index = _search_index()
    return {
        "status": "ok" if database["status"] == "ok" else "error",
        "database": database,
        "search_index": index,
    }


def _database() -> dict:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return {"status": "ok", "backend": db.engine.dialect.name}
    except Exception as exc:  # report, do not raise: this is the health page
        db.session.rollback()
        return {"status": "error", "backend": db.engine.dialect.name, "error": type(exc).__name__}


def _search_index() -> dict:
    # The index is derived data: its absence degrades search, it does not make the portal down.
    folder = Path(current_app.config["SEARCH_INDEX_DIR"])
    if not folder.is_dir():
        return {"status": "missing"}
    try:
        count = search_index.document_count()
    except search_index.IndexOutdated:
        return {"status": "outdated", "action": "flask search rebuild"}
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    if count is None:
        return {"status": "empty"}
    return {"status": "ok", "documents": count}
