"""References are unique under concurrent submission: threads that submit at the same moment
queue on the year's counter row (a row lock on PostgreSQL, the write lock on SQLite) and each
gets its own number."""

from __future__ import annotations

import threading
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import ReferenceCounter, Report, User
from app.services import reports
from tests.support.reports import build_cast, sample_input

THREADS = 8


def test_concurrent_submissions_get_distinct_references(app):
    with app.app_context():
        cast = build_cast()
        author_id = cast.users["author"]
        author = db.session.get(User, author_id)
        drafts = []
        for _ in range(THREADS):
            report = reports.create_draft(actor=author, data=sample_input(cast))
            drafts.append((reports.key_of(report), report.version))

    barrier = threading.Barrier(THREADS)
    references, errors = [], []

    def submit(key: str, version: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, author_id)
                barrier.wait(timeout=10)
                references.append(
                    reports.submit(actor=actor, key=key, seen_version=version).reference
                )
            except Exception as exc:  # collected and asserted below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=draft) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    year = date.today().year
    assert sorted(references) == [f"IDR-{year}-{n:05d}" for n in range(1, THREADS + 1)]
    with app.app_context():
        assert db.session.get(ReferenceCounter, year).last_number == THREADS
        stored = db.session.scalars(sa.select(Report.reference).where(Report.reference.isnot(None)))
        assert len(set(stored)) == THREADS
