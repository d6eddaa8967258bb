"""Choices a validator must make on purpose, through HTTP: why a report is rejected, and
whether a fix has been checked when a report is approved. Nothing is chosen for them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Report, ReportState
from app.services import review
from tests.conftest import TEST_PASSWORD
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast, walk_to


@pytest.fixture
def cast(app):
    with app.app_context():
        return build_cast()


def client_for(app, cast, viewer: str):
    client = app.test_client()
    with app.app_context():
        email = cast.user(viewer).email
    response = client.post("/auth/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def report_of(app, reference: str) -> Report:
    with app.app_context():
        return db.session.scalar(sa.select(Report).where(Report.reference == reference))


def radios(html: str, name: str) -> list[str]:
    """The radio inputs of one question, as written in the page."""
    return re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*type="radio"[^>]*>', html)


def chosen(options: list[str]) -> list[str]:
    """The options that carry the `checked` attribute."""
    return [option for option in options if re.search(r"\schecked[\s=>]", option)]


# --- why a report is rejected (issue 14, 8e) -------------------------------------------


def test_no_rejection_ground_is_chosen_for_the_validator(app, cast):
    with app.app_context():
        ref = walk_to(cast, "in_validation").reference
    html = client_for(app, cast, "validator").get(f"/validation/{ref}").get_data(as_text=True)
    options = radios(html, "reject-ground")
    assert len(options) == 3
    assert chosen(options) == []
    assert "<legend" in html and "Why is it rejected?" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []


def test_rejecting_without_a_ground_is_refused_with_a_field_error_and_a_summary(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        ref, version = report.reference, report.version
    validator = client_for(app, cast, "validator")
    refused = validator.post(
        f"/validation/{ref}/reject",
        data={"reject-version": version, "reject-reason": "Cannot reproduce."},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "There is a problem" in html
    # The summary links to the first radio of the question; the question shows the error.
    assert (
        '<a href="#reject-ground-0">Why is it rejected?: Choose why the report is rejected.</a>'
        in html
    )
    assert re.search(
        r'<div id="reject-ground-error"[^>]*>\s*<span class="visually-hidden">Error:</span>'
        r" Choose why the report is rejected.",
        html,
    )
    assert 'aria-describedby="reject-ground-error"' in html
    assert "Cannot reproduce." in html  # what was typed is kept
    assert chosen(radios(html, "reject-ground")) == []
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    assert report_of(app, ref).state == ReportState.in_validation

    answered = validator.post(
        f"/validation/{ref}/reject",
        data={
            "reject-version": version,
            "reject-ground": "spurious",
            "reject-reason": "Cannot reproduce.",
        },
    )
    assert answered.status_code == 302
    rejected = report_of(app, ref)
    assert rejected.state == ReportState.rejected and rejected.rejection_ground.value == "spurious"


def test_an_unknown_rejection_ground_is_refused_not_500(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        ref, version = report.reference, report.version
    refused = client_for(app, cast, "validator").post(
        f"/validation/{ref}/reject",
        data={"reject-version": version, "reject-ground": "bored", "reject-reason": "x"},
    )
    assert refused.status_code == 422
    assert report_of(app, ref).state == ReportState.in_validation


# --- whether the fix has been checked, on approval (issue 14, 7b) ----------------------

FIX = {
    "fix_type": "firmware_update",
    "fix_firmware": "3.3.0",
    "fix_description": "Update the ESME to 3.3.0.",
}


def ready_to_approve(app, cast, **fields) -> tuple[str, int]:
    """A report whose manufacturers have all answered: approval is open."""
    with app.app_context():
        report = walk_to(cast, "manufacturer_review", **fields)
        for maker in ("involved_maker", "second_involved_maker"):
            report = review.respond(
                actor=cast.user(maker),
                key=report.reference,
                data=review.ResponseInput(response="agree"),
                seen_version=report.version,
            )
        return report.reference, report.version


def approve(client, ref: str, version: int, **answer):
    data = {"approve-version": version} | {f"approve-{k}": v for k, v in answer.items()}
    return client.post(f"/validation/{ref}/approve", data=data)


def approval_audit(app, ref: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.summary).where(
                    AuditEvent.action == "report.approved", AuditEvent.object_id == ref
                )
            )
        )


def test_approving_a_fix_asks_whether_it_was_checked_with_nothing_chosen(app, cast):
    ref, version = ready_to_approve(app, cast, **FIX)
    validator = client_for(app, cast, "validator")
    html = validator.get(f"/validation/{ref}").get_data(as_text=True)
    options = radios(html, "approve-fix_checked")
    assert len(options) == 2 and chosen(options) == []
    assert "Has the DCC checked the fix?" in html and "Yes, the fix has been checked" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []

    refused = approve(validator, ref, version)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "There is a problem" in html
    assert (
        '<a href="#approve-fix_checked-0">Has the DCC checked the fix?: '
        "Say whether the DCC has checked the fix.</a>" in html
    )
    assert 'id="approve-fix_checked-error"' in html
    assert report_of(app, ref).state == ReportState.manufacturer_review
    assert approval_audit(app, ref) == []


@pytest.mark.parametrize(
    ("answer", "checked", "summary", "shown"),
    [
        ("yes", True, "fix checked by the DCC", "Fix checked by the DCC"),
        ("no", False, "fix not yet checked", "Fix not yet checked by the DCC"),
    ],
)
def test_the_answer_is_recorded_audited_and_shown_on_the_record(
    app, cast, answer, checked, summary, shown
):
    ref, version = ready_to_approve(app, cast, **FIX)
    validator = client_for(app, cast, "validator")
    assert approve(validator, ref, version, fix_checked=answer).status_code == 302
    approved = report_of(app, ref)
    assert approved.state == ReportState.approved and approved.fix_validated is checked
    assert approval_audit(app, ref) == [summary]
    page = validator.get(f"/validation/{ref}").get_data(as_text=True)
    assert shown in page
    published = validator.post(
        f"/validation/{ref}/publish", data={"publish-version": approved.version}
    )
    assert published.status_code == 302
    record = client_for(app, cast, "other_party").get(f"/reports/{ref}").get_data(as_text=True)
    assert shown in record
    listing = client_for(app, cast, "other_party").get("/records/").get_data(as_text=True)
    assert ("(checked by the DCC)" if checked else "(not yet checked)") in listing
    with app.app_context():
        [revision] = db.session.scalar(sa.select(Report).where(Report.reference == ref)).revisions
        assert revision.snapshot["fix_validated"] is checked


def test_a_report_without_a_fix_is_approved_without_the_question(app, cast):
    ref, version = ready_to_approve(app, cast)
    validator = client_for(app, cast, "validator")
    html = validator.get(f"/validation/{ref}").get_data(as_text=True)
    assert radios(html, "approve-fix_checked") == []
    assert approve(validator, ref, version).status_code == 302
    assert report_of(app, ref).fix_validated is False
    assert approval_audit(app, ref) == ["no fix"]


def edit_data(cast, report: Report, **changes) -> dict:
    """The validator's edit form as a browser would post it, from the report as it is."""
    data = {
        "version": report.version,
        "kind": report.kind.value,
        "title": report.title,
        "description": report.description,
        "devices-0-device_model_id": str(cast.models["AM-E470"]),
        "devices-0-firmware_version": "3.2.1",
        "devices-1-device_model_id": str(cast.models["BF-CH3"]),
        "devices-1-firmware_version": "1.1.0",
        "regions": report.regions,
        "alert_codes": " ".join(report.alert_codes),
        "occurrence": report.occurrence.value,
        "impact": report.impact.value,
        "root_cause_status": report.root_cause_status.value,
        "fix_known": "yes" if report.fix_type else "no",
        "fix_type": report.fix_type.value if report.fix_type else "",
        "fix_firmware": report.fix_firmware,
        "fix_description": report.fix_description,
        "note": "Revised by the test.",
    }
    return data | changes


def test_a_revision_that_changes_the_fix_clears_the_check_until_confirmed(app, cast):
    with app.app_context():
        ref = walk_to(cast, "published", **FIX).reference
    validator = client_for(app, cast, "validator")
    form = validator.get(f"/validation/{ref}/edit").get_data(as_text=True)
    assert "Now: checked." in form
    assert chosen(radios(form, "fix_validated")) == []
    # Another wording, same fix, no answer: the check stands.
    data = edit_data(cast, report_of(app, ref), title="Comms Hub drops ESME (reworded)")
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    assert report_of(app, ref).fix_validated is True
    # A new fix, no answer: not checked any more, and the record says so.
    data = edit_data(cast, report_of(app, ref), fix_firmware="3.4.0")
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    assert report_of(app, ref).fix_validated is False
    record = client_for(app, cast, "other_party").get(f"/reports/{ref}").get_data(as_text=True)
    assert "Fix not yet checked by the DCC" in record
    # The validator checks the new fix: a revision of its own, with its note.
    data = edit_data(cast, report_of(app, ref), fix_validated="yes", note="Fix 3.4.0 checked.")
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    revised = report_of(app, ref)
    assert revised.fix_validated is True
    with app.app_context():
        revisions = db.session.scalar(sa.select(Report).where(Report.reference == ref)).revisions
        assert [r.snapshot["fix_validated"] for r in revisions] == [True, True, False, True]


def test_a_fix_cannot_be_checked_when_there_is_none(app, cast):
    with app.app_context():
        ref = walk_to(cast, "published").reference
    validator = client_for(app, cast, "validator")
    data = edit_data(cast, report_of(app, ref), fix_validated="yes")
    refused = validator.post(f"/validation/{ref}/edit", data=data)
    assert refused.status_code == 422
    assert "There is no fix to check" in refused.get_data(as_text=True)
    assert report_of(app, ref).fix_validated is False
