"""Records with a publication history in chosen months, made through the real services and
then moved into the past (the services stamp the present); and real concurrent changes to
the database at chosen moments of a build."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Edition, Report
from app.models.base import utcnow
from app.services import validation
from app.services.demo_reports import move_history
from tests.support.reports import Cast, sample_input, walk_to


def published_on(cast: Cast, when: datetime, *, fix_checked: bool = True, **fields) -> Report:
    """Published at `when`; a fix, if given, was checked on approval unless `fix_checked`
    is False."""
    since = utcnow()
    report = walk_to(cast, "published", fix_checked=fix_checked, **fields)
    move_history(report, since, when)
    db.session.commit()
    return report


def revised_on(
    cast: Cast,
    report: Report,
    when: datetime,
    fields: dict,
    *,
    fix_checked: bool | None = None,
    **changes,
) -> Report:
    """Revise with the record's original `fields` plus `changes`; `fix_checked` is the
    validator's answer on the fix (None: unanswered, so a changed fix is not checked)."""
    since = utcnow()
    report = validation.revise(
        actor=cast.user("validator"),
        key=report.reference,
        data=sample_input(cast, **(fields | changes)),
        note=f"Revised: {', '.join(changes)} changed." if changes else "The fix was checked.",
        seen_version=report.version,
        fix_checked=fix_checked,
    )
    move_history(report, since, when)
    db.session.commit()
    return report


def withdrawn_on(cast: Cast, report: Report, when: datetime, reason: str) -> Report:
    since = utcnow()
    report = validation.withdraw(
        actor=cast.user("validator"),
        key=report.reference,
        reason=reason,
        seen_version=report.version,
    )
    move_history(report, since, when)
    db.session.commit()
    return report


# --- another process acting at the worst moment -----------------------------------------


@contextmanager
def just_before(pattern: str, action: Callable[[], None]) -> Iterator[list[str]]:
    """Run `action` once, just before the first SQL statement matching `pattern` (a regular
    expression) is sent: another process changing the database between our read and our
    write. The action should use a connection of its own (`db.engine.begin()`)."""
    fired: list[str] = []

    def listener(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not fired and re.search(pattern, statement):
            fired.append(statement)
            action()

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield fired
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def set_edition_elsewhere(month: str, version: int = 1, **values) -> Callable[[], None]:
    """An action for just_before: another attempt changes the edition and commits."""

    def action() -> None:
        edition = sa.update(Edition).where(Edition.month == month, Edition.version == version)
        with db.engine.begin() as conn:
            conn.execute(edition.values(**values))

    return action


@contextmanager
def database_refusing_file_rows(message: str = "disk full") -> Iterator[None]:
    """A trigger refuses every new publication_file row, as a full disk or a lost connection
    would, after the edition's files have been written."""
    if db.engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION test_refuse_files() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            "CREATE TRIGGER test_refuse_files BEFORE INSERT ON publication_file "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_files()",
        ]
        drop = [
            "DROP TRIGGER test_refuse_files ON publication_file",
            "DROP FUNCTION test_refuse_files()",
        ]
    else:
        create = [
            "CREATE TRIGGER test_refuse_files BEFORE INSERT ON publication_file "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ]
        drop = ["DROP TRIGGER test_refuse_files"]
    with db.engine.begin() as conn:
        for statement in create:
            conn.execute(sa.text(statement))
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            for statement in drop:
                conn.execute(sa.text(statement))
