"""Command-line interface: one group per noun. Commands call the same services as the web
pages, acting as the system, print a summary and exit non-zero on failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from tqdm import tqdm

from app.extensions import db
from app.models import LegacyRecord, Organisation, Report, ReportState, Role, User
from app.models.publications import EditionStatus
from app.services import (
    alerts_import,
    catalogue,
    demo,
    legacy_import,
    legacy_redaction,
    notifications,
    outbox,
    publication,
    publication_store,
    review,
    users,
)
from app.services.csv_input import utf8_lines
from app.services.errors import DomainError

users_cli = AppGroup("users", help="Manage user accounts.")
catalogue_cli = AppGroup("catalogue", help="Manage the device catalogue.")
outbox_cli = AppGroup("outbox", help="Apply queued work (mail, index updates, builds).")
workflow_cli = AppGroup("workflow", help="Time-driven steps of the report workflow.")
notifications_cli = AppGroup("notifications", help="E-mail about notifications.")
legacy_cli = AppGroup("legacy", help="Legacy DSMS incident records.")
search_cli = AppGroup("search", help="The full-text search index.")
alerts_cli = AppGroup("alerts", help="Daily alert volumes of the superfluous alerts tracker.")
publication_cli = AppGroup("publication", help="The monthly SECAS publication.")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _progress_bar(desc: str = "Importing", **options) -> tqdm:
    """A progress bar on stderr, drawn only when stderr is a terminal (not in logs)."""
    return tqdm(desc=desc, disable=not sys.stderr.isatty(), file=sys.stderr, **options)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="The user's full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--organisation", required=True, help="Name of an existing organisation.")
@click.option("--manufacturer-id", type=int, default=None, help="For manufacturer users.")
def create_user_command(email, full_name, role, organisation, manufacturer_id):
    """Create a user and e-mail them a link to set their password."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == organisation))
    if org is None:
        _fail(f"No organisation named {organisation!r}.")
    try:
        user = users.create_user(
            actor=None,
            email=email,
            full_name=full_name,
            role=role,
            organisation_id=org.id,
            manufacturer_id=manufacturer_id,
        )
    except DomainError as exc:
        _fail(f"Not created: {exc.message} {exc.field_errors or ''}")
    outbox.drain(limit=10)
    click.echo(
        f"Created {user.email} ({user.role.value}); a set-password link was queued by e-mail."
    )


@catalogue_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partial", is_flag=True, help="Import the good rows even if some rows are bad.")
def import_catalogue_command(file: Path, partial: bool):
    """Import device models from a CSV file (idempotent)."""
    with file.open("rb") as handle:
        result = catalogue.import_csv(
            actor=None, lines=utf8_lines(handle), partial=partial, source=file.name
        )
    for error in result.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    click.echo(result.summary())
    if result.errors and not result.applied:
        _fail("Nothing was imported because some rows are bad; fix them or use --partial.")


@outbox_cli.command("drain")
@click.option("--limit", default=1000, show_default=True)
def drain_command(limit: int):
    """Apply due outbox messages once."""
    result = outbox.drain(limit=limit)
    click.echo(f"{result.done} done, {result.retrying} to retry, {result.failed} failed")


@workflow_cli.command("tick")
@click.option(
    "--date",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as on this day (YYYY-MM-DD) instead of today.",
)
def tick_command(today):
    """Record passed response windows as no response and remind before windows close.

    Reminder e-mails are only queued; `flask outbox drain` sends them."""
    result = review.tick(today.date() if today else None)
    for name in result.no_response:
        click.echo(f"no response: {name}")
    for name in result.reminded:
        click.echo(f"reminded: {name}")
    click.echo(result.summary())


@notifications_cli.command("digest")
def digest_command():
    """Queue the daily digest e-mail for each user who chose it and has something new."""
    sent = notifications.send_digests()
    click.echo(f"{sent} digest(s) queued; `flask outbox drain` sends them.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
def seed_demo_command(if_empty: bool):
    """Load demo organisations, users and catalogue (idempotent). Development only."""
    if current_app.config["APP_ENV"] == "production":
        _fail("Refusing to load demo users with a published password in production.")
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("Database already has users; demo data not loaded.")
        return
    summary = demo.seed()
    outbox.drain(limit=10_000)  # mail to files and the search index, ready to use
    click.echo(summary.text())


@legacy_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Default: from the file name (.jsonl or .json lines, else CSV).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON object mapping our field names to the file\'s, e.g. {"number": "Ref"}.',
)
@click.option("--batch-size", default=1000, show_default=True)
def import_legacy_command(file: Path, fmt: str | None, mapping: Path | None, batch_size: int):
    """Import a DSMS export (idempotent by number; redacts, extracts facts, reports bad rows)."""
    fmt = fmt or ("jsonl" if file.suffix.lower() in {".jsonl", ".ndjson"} else "csv")
    fields = json.loads(mapping.read_text(encoding="utf-8")) if mapping else {}
    with (
        file.open("rb") as handle,
        _progress_bar(total=file.stat().st_size, unit="B", unit_scale=True) as bar,
    ):

        def progress(rows: int) -> None:
            bar.set_postfix(rows=rows)
            bar.update(handle.tell() - bar.n)

        summary = legacy_import.import_stream(
            handle,
            actor=None,
            fmt=fmt,
            mapping=fields,
            source=file.name,
            batch_size=batch_size,
            progress=progress,
        )
    for error in summary.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    click.echo(summary.text())


@legacy_cli.command("redact")
@click.option(
    "--reapply",
    is_flag=True,
    help="Redact the records already imported again, with today's rules and names file.",
)
@click.option("--batch-size", default=1000, show_default=True)
def redact_legacy_command(reapply: bool, batch_size: int):
    """Redact legacy records already imported again (from the raw rows where they are kept)."""
    if not reapply:
        _fail("Nothing done: --reapply redacts the records already imported again.")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(LegacyRecord))
    with _progress_bar("Redacting", total=total, unit=" records") as bar:
        summary = legacy_redaction.reapply_redaction(
            actor=None, batch_size=batch_size, progress=lambda read: bar.update(read - bar.n)
        )
    click.echo(summary.text())


@search_cli.command("rebuild")
def search_rebuild_command():
    """Rebuild the index from the database (beside the live one, then swapped in)."""
    from app.services.search import index as search_index

    drafts = Report.state == ReportState.draft  # never indexed
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Report).where(~drafts)
    ) + db.session.scalar(sa.select(sa.func.count()).select_from(LegacyRecord))
    with tqdm(
        total=total, unit="rows", desc="Indexing", disable=not sys.stderr.isatty(), file=sys.stderr
    ) as bar:
        count = search_index.rebuild(progress=bar.update)
    click.echo(f"Index rebuilt: {count} documents.")


@search_cli.command("verify")
def search_verify_command():
    """Compare the index with the database; exit 1 on missing, stale or orphan documents."""
    from app.services.search import index as search_index

    drift = search_index.verify()
    for label, items in (
        ("missing", drift.missing),
        ("stale", drift.stale),
        ("orphan", drift.orphans),
    ):
        for doc_id in items[:50]:
            click.echo(f"{label}: {doc_id}", err=True)
    click.echo(drift.summary())
    if not drift.clean:
        _fail("The index has drifted from the database; run `flask search rebuild`.")


@publication_cli.command("build")
@click.argument("month")
@click.option(
    "--force-new-version",
    is_flag=True,
    help="Issue a new version of a month whose edition was already issued.",
)
@click.option("--reason", default="", help="Why this version is made (recorded with it).")
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Build the current month before it is over (the page offers only finished months).",
)
def publication_build_command(
    month: str, force_new_version: bool, reason: str, allow_incomplete: bool
):
    """Build the edition of MONTH (YYYY-MM) now, in this process, and store it."""
    if force_new_version and not reason.strip():
        reason = click.prompt("Why is a new version needed? (recorded with it)")
    try:
        edition = publication.build_now(
            month=month,
            new_version=force_new_version,
            reason=reason,
            allow_incomplete=allow_incomplete,
        )
    except DomainError as exc:
        _fail(f"Not built: {exc.message}")
    if edition.status != EditionStatus.ready:
        _fail(f"The build of {edition.label} failed: {edition.error}")
    for stored in edition.files:
        click.echo(f"{stored.format}: {stored.path} ({stored.size_bytes} bytes) {stored.sha256}")
    click.echo(
        f"Edition {edition.label}: {edition.record_count} record(s), {edition.page_count} "
        "page(s). SECAS is notified when `flask outbox drain` runs."
    )


@publication_cli.command("verify")
def publication_verify_command():
    """Recompute the SHA-256 of every issued edition file; exit 1 if one is missing or altered.
    Files that no edition records are listed as warnings: they are never served."""
    result = publication_store.verify()
    for problem in result.problems:
        click.echo(problem, err=True)
    for path in result.unreferenced:
        click.echo(f"warning: {path} is recorded by no edition (never served)", err=True)
    click.echo(
        f"{result.checked} file(s) checked, {len(result.problems)} problem(s), "
        f"{len(result.unreferenced)} unreferenced file(s)."
    )
    if result.problems:
        _fail("Issued editions are missing or altered: restore them from the backup.")


@alerts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", default=alerts_import.BATCH_SIZE, show_default=True)
def import_alerts_command(file: Path, batch_size: int):
    """Import a daily alert-volume extract (idempotent by day, region, alert code and DMC)."""
    size = max(file.stat().st_size, 1)
    with file.open("rb") as handle, _progress_bar(unit=" rows", unit_scale=True) as bar:

        def progress(rows: int) -> None:
            bar.update(rows - bar.n)
            bar.set_postfix_str(f"{handle.tell() / size:.0%} of the file")

        summary = alerts_import.import_stream(
            handle, actor=None, source=file.name, batch_size=batch_size, progress=progress
        )
    for error in summary.errors:
        click.echo(f"line {error.line}: {error.reason}", err=True)
    click.echo(summary.text())
    if summary.rejected and not (summary.inserted or summary.updated or summary.unchanged):
        _fail("Nothing was imported: every row was rejected.")


def register_commands(app: Flask) -> None:
    for command in (
        users_cli,
        catalogue_cli,
        legacy_cli,
        search_cli,
        alerts_cli,
        publication_cli,
        outbox_cli,
        workflow_cli,
        notifications_cli,
        seed_demo_command,
    ):
        app.cli.add_command(command)
