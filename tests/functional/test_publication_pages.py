"""/publications/ through HTTP: the build button queues an outbox job that the drain builds,
statuses, new versions with a reason, audited downloads for the roles the policy allows,
failures shown with their reason, and the CLI."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEvent,
    Edition,
    EditionStatus,
    Notification,
    OutboxMessage,
    OutboxStatus,
)
from app.models.base import utcnow
from app.services import outbox
from app.services.publication import BUILD_JOB, STALE_BUILD, STALE_QUEUE
from app.services.publication_records import Month
from tests.conftest import TEST_PASSWORD
from tests.support.html_checks import accessibility_problems
from tests.support.publications import just_before, published_on, set_edition_elsewhere
from tests.support.reports import build_cast

MONTH = Month.current().previous()


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = build_cast()
        published_on(
            cast,
            datetime(MONTH.year, MONTH.month, 5, 10),
            title="Edition record",
            fix_type="firmware_update",
            fix_description="Update the ESME.",
        )
        return cast


def client_for(app, cast, viewer: str):
    client = app.test_client()
    if viewer == "anonymous":
        return client
    with app.app_context():
        email = cast.user(viewer).email
    response = client.post("/auth/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def drain(app):
    with app.app_context():
        return outbox.drain()


def editions(app) -> list[Edition]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Edition).order_by(Edition.version)))


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def build_via_page(client, **fields):
    return client.post("/publications/build", data={"month": MONTH.key, **fields})


def test_the_button_queues_a_build_that_the_drain_makes_ready(app, cast):
    client = client_for(app, cast, "secas")
    response = build_via_page(client)
    assert response.status_code == 302
    [edition] = editions(app)
    assert (edition.status, edition.version, edition.month) == (EditionStatus.queued, 1, MONTH.key)
    with app.app_context():
        job = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == BUILD_JOB))
        assert job.payload == {"edition_id": edition.id}
    page = client.get("/publications/").get_data(as_text=True)
    assert "Queued" in page and "Waiting for the next build run" in page
    assert drain(app).done >= 1
    [edition] = editions(app)
    assert edition.status == EditionStatus.ready and edition.record_count == 1
    page = client.get("/publications/")
    html = page.get_data(as_text=True)
    assert "Ready" in html and f'href="/publications/{MONTH.key}.pdf"' in html
    with app.app_context():
        files = {f.format: f.sha256 for f in db.session.get(Edition, edition.id).files}
    assert files["pdf"] in html and files["csv"] in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    [built] = audit_rows(app, "publication.built")
    assert built.summary == f"1 record(s), {edition.page_count} page(s)"
    assert len(audit_rows(app, "publication.build_requested")) == 1


def test_secas_users_are_notified_when_an_edition_is_ready(app, cast):
    client = client_for(app, cast, "validator")
    build_via_page(client)
    drain(app)
    with app.app_context():
        notes = list(db.session.scalars(sa.select(Notification)))
        secas = cast.user("secas")
        assert [(n.user_id, n.kind) for n in notes if n.kind == "edition_ready"] == [
            (secas.id, "edition_ready")
        ]
        mails = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "email")
        ).all()
        assert any(m.payload["to"] == secas.email for m in mails)
    mail = list(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    assert any(MONTH.label in p.read_text() for p in mail)


@pytest.mark.parametrize("viewer", ["secas", "validator"])
def test_allowed_roles_download_and_each_download_is_audited(app, cast, viewer):
    build_via_page(client_for(app, cast, "secas"))
    drain(app)
    client = client_for(app, cast, viewer)
    pdf = client.get(f"/publications/{MONTH.key}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert f"idr-edition-{MONTH.key}-v1.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    csv_file = client.get(f"/publications/{MONTH.key}/v1.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    first, header = csv_file.data.decode("utf-8-sig").splitlines()[:2]
    assert first.startswith("Disclaimer,") and header.startswith("Reference,")
    with app.app_context():
        email = cast.user(viewer).email
    rows = audit_rows(app, "publication.downloaded")
    assert [(r.actor_email, r.object_id, r.summary[:3]) for r in rows] == [
        (email, f"{MONTH.key} v1", "pdf"),
        (email, f"{MONTH.key} v1", "csv"),
    ]


@pytest.mark.parametrize(
    "viewer", ["anonymous", "author", "other_party", "involved_maker", "ssc", "admin"]
)
def test_other_roles_can_neither_build_nor_download(app, cast, viewer):
    build_via_page(client_for(app, cast, "secas"))
    drain(app)
    client = client_for(app, cast, viewer)
    expected = 302 if viewer == "anonymous" else 403
    for response in (
        client.get("/publications/"),
        build_via_page(client, new_version="y", reason="Another"),
        client.get(f"/publications/{MONTH.key}.pdf"),
        client.get(f"/publications/{MONTH.key}/v1.csv"),
    ):
        assert response.status_code == expected
    assert audit_rows(app, "publication.downloaded") == []
    assert len(editions(app)) == 1


def test_a_new_version_needs_a_reason_and_the_plain_link_serves_the_latest(app, cast):
    client = client_for(app, cast, "secas")
    build_via_page(client)
    response = build_via_page(client)  # still queued
    assert response.status_code == 422 and "already queued" in response.get_data(as_text=True)
    drain(app)
    again = build_via_page(client)
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "There is a problem" in html and "has been issued" in html
    assert "<title>Error: " in html
    no_reason = build_via_page(client, new_version="y")
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.get_data(as_text=True)
    assert build_via_page(client, new_version="y", reason="Fix corrected").status_code == 302
    drain(app)
    first, second = editions(app)
    assert (second.version, second.status, second.reason) == (
        2,
        EditionStatus.ready,
        "Fix corrected",
    )
    latest = client.get(f"/publications/{MONTH.key}.pdf")
    assert "v2.pdf" in latest.headers["Content-Disposition"]
    older = client.get(f"/publications/{MONTH.key}/v1.pdf")
    assert "v1.pdf" in older.headers["Content-Disposition"]
    with app.app_context():
        kept = db.session.get(Edition, first.id)
        assert (
            Path(app.config["PUBLICATIONS_DIR"], kept.file("pdf").path).read_bytes() == older.data
        )
    html = client.get("/publications/").get_data(as_text=True)
    assert f'href="/publications/{MONTH.key}/v1.pdf"' in html
    assert "Why this version: Fix corrected" in html


def test_only_finished_months_are_offered_the_month_just_completed_first(app, cast):
    client = client_for(app, cast, "secas")
    html = client.get("/publications/").get_data(as_text=True)
    offered = re.findall(r'<option (?:selected )?value="(\d{4}-\d{2})"', html)
    assert offered[0] == MONTH.key and f'<option selected value="{MONTH.key}"' in html
    assert Month.current().key not in offered
    for month in (Month.current(), Month.current().next()):
        response = client.post("/publications/build", data={"month": month.key})
        assert response.status_code == 422
        assert "Not a valid choice" in response.get_data(as_text=True)
    assert editions(app) == []


def test_a_failed_build_shows_its_reason_and_building_again_retries_the_version(
    app, cast, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the publications folder should be")
    app.config["PUBLICATIONS_DIR"] = str(blocker / "publications")
    client = client_for(app, cast, "secas")
    build_via_page(client)
    drain(app)
    [edition] = editions(app)
    assert edition.status == EditionStatus.failed and "NotADirectoryError" in edition.error
    html = client.get("/publications/").get_data(as_text=True)
    assert "Failed" in html and "NotADirectoryError" in html and "Build the month again" in html
    assert len(audit_rows(app, "publication.build_failed")) == 1
    assert list(tmp_path.glob("**/*.pdf")) == []
    app.config["PUBLICATIONS_DIR"] = str(tmp_path / "publications")
    assert build_via_page(client).status_code == 302
    drain(app)
    [edition] = editions(app)
    assert (edition.version, edition.status, edition.error) == (1, EditionStatus.ready, None)


def test_a_tampered_file_is_not_served(app, cast):
    client = client_for(app, cast, "secas")
    build_via_page(client)
    drain(app)
    [edition] = editions(app)
    with app.app_context():
        path = Path(
            app.config["PUBLICATIONS_DIR"], db.session.get(Edition, edition.id).file("pdf").path
        )
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.7 something else")
    response = client.get(f"/publications/{MONTH.key}.pdf")
    assert response.status_code == 500
    assert "no longer matches the SHA-256" in response.get_data(as_text=True)
    assert audit_rows(app, "publication.downloaded") == []


def test_cli_builds_at_once_and_refuses_a_silent_rebuild(app, cast, runner):
    result = runner.invoke(args=["publication", "build", MONTH.key])
    assert result.exit_code == 0, result.output
    assert f"Edition {MONTH.key} v1: 1 record(s), 2 page(s)" in result.output
    again = runner.invoke(args=["publication", "build", MONTH.key])
    assert again.exit_code == 1 and "has been issued" in again.output
    forced = runner.invoke(
        args=["publication", "build", MONTH.key, "--force-new-version", "--reason", "Typo fixed"]
    )
    assert forced.exit_code == 0, forced.output
    prompted = runner.invoke(
        args=["publication", "build", MONTH.key, "--force-new-version"], input="Asked again\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert [(e.version, e.reason) for e in editions(app)] == [
        (1, ""),
        (2, "Typo fixed"),
        (3, "Asked again"),
    ]
    bad = runner.invoke(args=["publication", "build", "2026-13"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    with app.app_context():
        requested = db.session.scalars(
            sa.select(AuditEvent.actor_email).where(
                AuditEvent.action == "publication.build_requested"
            )
        ).all()
    assert requested == ["system"] * 3


def test_the_navigation_offers_publications_to_secas_and_validators(app, cast):
    for viewer in ("secas", "validator", "author", "admin"):
        html = client_for(app, cast, viewer).get("/").get_data(as_text=True)
        assert ('href="/publications/"' in html) == (viewer in ("secas", "validator")), viewer


def build_job(app) -> OutboxMessage:
    with app.app_context():
        stmt = sa.select(OutboxMessage).where(OutboxMessage.kind == BUILD_JOB)
        return db.session.scalars(stmt.order_by(OutboxMessage.id.desc())).first()


def set_edition(app, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Edition).values(**values))
        db.session.commit()


def make_jobs_due(app) -> None:
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()


def status_cell(client) -> str:
    """The words of the Status cell of the month's newest edition."""
    html = client.get("/publications/").get_data(as_text=True)
    row = re.search(r"<td>" + MONTH.label + r"</td>.*?</tr>", html, re.S).group(0)
    status = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]
    return " ".join(re.sub(r"<[^>]+>", " ", status).split())


def test_a_build_under_way_elsewhere_is_waited_for_without_using_up_attempts(app, cast):
    """Another drain is building the edition (SQLite has no SKIP LOCKED, or a drain died):
    the message waits until that build would be stale, however few attempts are allowed."""
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    client = client_for(app, cast, "secas")
    build_via_page(client)
    started = utcnow().replace(microsecond=0)
    set_edition(app, status=EditionStatus.building, started_at=started)
    for _ in range(3):
        make_jobs_due(app)
        assert drain(app).retrying == 1
        job = build_job(app)
        assert (job.status, job.attempts) == (OutboxStatus.pending, 0)
        assert job.next_attempt_at == started + STALE_BUILD
        assert "being built by another drain" in job.last_error
    assert list(Path(app.config["PUBLICATIONS_DIR"]).glob("**/*.pdf")) == []
    assert status_cell(client) == (
        f"Building Started at {started:%Y-%m-%d %H:%M} UTC; reload to see progress."
    )
    # That drain died: once its build is stale the page says so, and the waiting message
    # takes the build over when it comes due.
    stopped_at = utcnow() - STALE_BUILD - timedelta(minutes=1)
    set_edition(app, started_at=stopped_at)
    assert status_cell(client) == (
        f"Stopped (since {stopped_at:%Y-%m-%d %H:%M} UTC) The build did not finish and "
        "nothing was issued. Build the month again."
    )
    make_jobs_due(app)
    assert drain(app).done >= 1
    [edition] = editions(app)
    assert edition.status == EditionStatus.ready
    assert build_job(app).status == OutboxStatus.done


def test_a_queued_build_whose_job_was_lost_can_be_asked_for_again(app, cast):
    client = client_for(app, cast, "validator")
    build_via_page(client)
    assert "already queued" in build_via_page(client).get_data(as_text=True)
    # Its job failed for good (or the process that would build it died), long ago.
    asked_at = utcnow() - STALE_QUEUE - timedelta(minutes=1)
    set_edition(app, requested_at=asked_at)
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.failed))
        db.session.commit()
    assert status_cell(client).startswith(f"Stopped (since {asked_at:%Y-%m-%d %H:%M} UTC)")
    assert build_via_page(client).status_code == 302
    [edition] = editions(app)
    assert (edition.version, edition.status) == (1, EditionStatus.queued)
    assert build_job(app).status == OutboxStatus.pending
    assert drain(app).done >= 1
    [edition] = editions(app)
    assert edition.status == EditionStatus.ready


def test_asking_again_for_a_stopped_build_that_has_just_finished_says_so(app, cast):
    client = client_for(app, cast, "secas")
    build_via_page(client)
    set_edition(
        app,
        status=EditionStatus.building,
        started_at=utcnow() - STALE_BUILD - timedelta(minutes=1),
    )
    # The build thought stopped finishes between the page's check and its re-queue.
    finishing = set_edition_elsewhere(MONTH.key, status=EditionStatus.ready, built_at=utcnow())
    requeue = r"UPDATE publication_edition SET .*requested_at"
    with app.app_context(), just_before(requeue, finishing) as fired:
        response = build_via_page(client)
    assert fired and response.status_code == 422
    assert "has just been finished or taken over by another build" in response.get_data(
        as_text=True
    )
    [edition] = editions(app)
    assert edition.status == EditionStatus.ready
    assert len(audit_rows(app, "publication.build_requested")) == 1


def test_two_people_asking_for_the_same_new_version_at_once(app, cast):
    def someone_else_asks() -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Edition).values(month=MONTH.key, version=1, reason=""))

    client = client_for(app, cast, "secas")
    with (
        app.app_context(),
        just_before(r"INSERT INTO publication_edition", someone_else_asks) as fired,
    ):
        response = build_via_page(client)
    assert fired and response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Someone has just asked for the {MONTH.label} edition; it is queued." in html
    assert [(e.version, e.requested_by_id) for e in editions(app)] == [(1, None)]
    assert audit_rows(app, "publication.build_requested") == []


def test_a_failed_new_version_says_how_to_build_it_again(app, cast, tmp_path):
    client = client_for(app, cast, "secas")
    build_via_page(client)
    drain(app)
    kept = app.config["PUBLICATIONS_DIR"]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the publications folder should be")
    app.config["PUBLICATIONS_DIR"] = str(blocker / "publications")
    build_via_page(client, new_version="y", reason="Fix corrected")
    drain(app)
    _first, second = editions(app)
    assert (second.version, second.status) == (2, EditionStatus.failed)
    html = client.get("/publications/").get_data(as_text=True)
    assert "Build the month again with “Make a new version” ticked and the reason given." in html
    app.config["PUBLICATIONS_DIR"] = kept
    refused = build_via_page(client)
    assert refused.status_code == 422 and "has been issued" in refused.get_data(as_text=True)
    assert build_via_page(client, new_version="y", reason="Fix corrected, again").status_code == 302
    drain(app)
    _first, second = editions(app)
    assert (second.version, second.status, second.reason) == (
        2,
        EditionStatus.ready,
        "Fix corrected, again",
    )


def test_head_is_refused_by_the_downloads_and_never_audited(app, cast):
    build_via_page(client_for(app, cast, "secas"))
    drain(app)
    client = client_for(app, cast, "validator")
    for path in (f"/publications/{MONTH.key}.pdf", f"/publications/{MONTH.key}/v1.csv"):
        response = client.head(path)
        assert response.status_code == 405 and response.headers["Allow"] == "GET"
        assert response.data == b""
    assert audit_rows(app, "publication.downloaded") == []
    assert client.get(f"/publications/{MONTH.key}.pdf").status_code == 200
    assert len(audit_rows(app, "publication.downloaded")) == 1


def test_cli_builds_the_current_month_only_when_allowed(app, cast, runner):
    current = Month.current()
    refused = runner.invoke(args=["publication", "build", current.key])
    assert refused.exit_code == 1
    assert f"Not built: {current.label} is not over yet: its edition can be built from 1 " in (
        refused.output
    )
    assert editions(app) == []
    allowed = runner.invoke(args=["publication", "build", current.key, "--allow-incomplete"])
    assert allowed.exit_code == 0, allowed.output
    [edition] = editions(app)
    assert (edition.month, edition.status) == (current.key, EditionStatus.ready)


def test_cli_keeps_the_reason_when_building_again_after_a_failed_first_version(
    app, cast, runner, tmp_path
):
    kept = app.config["PUBLICATIONS_DIR"]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the publications folder should be")
    app.config["PUBLICATIONS_DIR"] = str(blocker / "publications")
    failed = runner.invoke(args=["publication", "build", MONTH.key])
    assert failed.exit_code == 1 and "failed" in failed.output
    app.config["PUBLICATIONS_DIR"] = kept
    again = runner.invoke(
        args=["publication", "build", MONTH.key, "--force-new-version", "--reason", "Disk fixed"]
    )
    assert again.exit_code == 0, again.output
    assert [(e.version, e.status, e.reason) for e in editions(app)] == [
        (1, EditionStatus.ready, "Disk fixed")
    ]
    [requested, _first] = sorted(
        audit_rows(app, "publication.build_requested"), key=lambda r: r.id, reverse=True
    )
    assert requested.summary == "reason: Disk fixed"
