"""The state machine: every (state, action, viewer) is either the step DESIGN §2 allows, taken
by the part it names, or refused with a reason; guards and the services that drive it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Report, ReportState, ReviewResponse
from app.services import reports, review, validation, workflow
from app.services.errors import InvalidTransition, NotAllowed, StaleEdit, ValidationFailed
from app.services.report_data import DeviceInput
from tests.support.reports import VIEWERS, build_cast, walk_to

S = ReportState
VALIDATOR = {"validator"}
MAKERS = {"involved_maker", "second_involved_maker"}

# Written from DESIGN §2, independently of workflow.TRANSITIONS: who may take each step, for
# the sample report (two catalogue manufacturers involved, no responses yet, no dispute).
EXPECTED: dict[tuple[ReportState, str], tuple[ReportState, set[str]]] = {
    (S.draft, "edit"): (S.draft, {"author"}),
    (S.draft, "submit"): (S.submitted, {"author"}),
    (S.submitted, "start"): (S.in_validation, VALIDATOR),
    (S.in_validation, "edit"): (S.in_validation, VALIDATOR),
    (S.in_validation, "request_info"): (S.info_requested, VALIDATOR),
    (S.in_validation, "reject"): (S.rejected, VALIDATOR),
    (S.in_validation, "send_to_manufacturers"): (S.manufacturer_review, VALIDATOR),
    (S.info_requested, "answer_info"): (S.in_validation, {"author", "colleague"}),
    (S.manufacturer_review, "edit"): (S.manufacturer_review, VALIDATOR),
    (S.manufacturer_review, "manufacturer_respond"): (S.manufacturer_review, MAKERS),
    (S.manufacturer_review, "extend_deadline"): (S.manufacturer_review, VALIDATOR),
    (S.approved, "edit"): (S.approved, VALIDATOR),
    (S.approved, "publish"): (S.published, VALIDATOR),
    (S.published, "revise"): (S.published, VALIDATOR),
    (S.published, "withdraw"): (S.withdrawn, VALIDATOR),
}


@pytest.fixture
def cast(app):
    with app.app_context():
        yield build_cast()


@pytest.mark.parametrize("state", list(ReportState))
def test_every_state_action_and_viewer(app, cast, state):
    with app.app_context():
        report_id = walk_to(cast, state).id
        for action in workflow.ACTIONS:
            target, allowed = EXPECTED.get((state, action), (state, set()))
            for viewer in VIEWERS:
                db.session.rollback()
                report = db.session.get(Report, report_id)
                user = cast.user(viewer)
                if viewer in allowed:
                    assert workflow.refusal(report, action, user) is None, (action, viewer)
                    workflow.apply(report, action, user)
                    assert report.state == target
                else:
                    reason = workflow.refusal(report, action, user)
                    assert reason, (state, action, viewer)
                    with pytest.raises((InvalidTransition, NotAllowed)):
                        workflow.apply(report, action, user)
                    assert report.state == state
        db.session.rollback()


def test_every_table_step_is_in_the_design(app):
    table = {key: target for key, (target, _) in workflow.TRANSITIONS.items()}
    expected = {key: target for key, (target, _) in EXPECTED.items()}
    # The two approve steps exist but are guarded for the sample report (see below).
    assert set(table) - set(expected) == {
        (S.in_validation, "approve"),
        (S.manufacturer_review, "approve"),
        (S.manufacturer_review, "answer_dispute"),
    }
    assert all(table[key] == expected[key] for key in expected)


def test_refusal_says_why(app, cast):
    with app.app_context():
        report = walk_to(cast, "submitted")
        assert workflow.refusal(report, "publish", cast.user("validator")) == (
            "A report that is submitted cannot be published."
        )
        assert workflow.refusal(report, "start", cast.user("author")) == (
            "Only a DCC validator can do that."
        )


def test_approval_waits_for_every_manufacturer_or_the_deadline(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        validator = cast.user("validator")
        reason = workflow.refusal(report, "approve", validator)
        assert "Still waiting for Aldermoor Metering Ltd, Brackenfield Devices" in reason
        report = review.respond(
            actor=cast.user("involved_maker"),
            key=report.reference,
            data=review.ResponseInput(response="agree"),
            seen_version=report.version,
        )
        assert "Still waiting for Brackenfield Devices;" in workflow.refusal(
            report, "approve", validator
        )
        # Once the window has passed, silence does not block publication.
        after = report.review_deadline + timedelta(days=1)
        assert workflow.refusal(report, "approve", validator, after) is None
        approved = validation.approve(
            actor=validator, key=report.reference, seen_version=report.version, today=after
        )
        assert approved.state == S.approved


def test_a_dispute_must_be_answered_before_approval(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        validator = cast.user("validator")
        with pytest.raises(ValidationFailed) as excinfo:
            review.respond(
                actor=cast.user("involved_maker"),
                key=report.reference,
                data=review.ResponseInput(response="dispute"),
                seen_version=report.version,
            )
        assert excinfo.value.field_errors == {
            "text": ["Give your reasons for disputing the report."]
        }
        report = review.respond(
            actor=cast.user("involved_maker"),
            key=report.reference,
            data=review.ResponseInput(response="dispute", text="Not our meter: HAN timing."),
            seen_version=report.version,
        )
        report = review.respond(
            actor=cast.user("second_involved_maker"),
            key=report.reference,
            data=review.ResponseInput(response="agree"),
            seen_version=report.version,
        )
        assert workflow.refusal(report, "approve", validator) == (
            "Answer the dispute from Aldermoor Metering Ltd before approving."
        )
        with pytest.raises(InvalidTransition):
            validation.approve(actor=validator, key=report.reference, seen_version=report.version)
        report = validation.answer_dispute(
            actor=validator,
            key=report.reference,
            manufacturer_id=cast.makers["aldermoor"],
            answer="The CHF log shows the ESME dropping first.",
            seen_version=report.version,
        )
        report = validation.approve(
            actor=validator, key=report.reference, seen_version=report.version
        )
        assert report.state == S.approved


def test_deadline_extends_once_by_working_days(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        first = report.review_deadline
        report = validation.extend_deadline(
            actor=cast.user("validator"), key=report.reference, seen_version=report.version
        )
        assert report.review_deadline > first
        assert report.events[-1].note.startswith("Response window extended from")
        with pytest.raises(InvalidTransition, match="already been extended once"):
            validation.extend_deadline(
                actor=cast.user("validator"), key=report.reference, seen_version=report.version
            )


def test_tick_records_no_response_and_reminds(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        deadline = report.review_deadline
        soon = review.tick(today=deadline - timedelta(days=1))
        assert len(soon.reminded) == 2 and soon.no_response == []
        assert review.tick(today=deadline - timedelta(days=1)).reminded == []  # once only
        late = review.tick(today=deadline + timedelta(days=1))
        assert len(late.no_response) == 2
        db.session.refresh(report)
        assert {r.response for r in report.reviews} == {ReviewResponse.no_response}
        assert [e.action for e in report.events[-2:]] == ["no_response", "no_response"]


def test_responses_after_the_window_are_refused(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        late = report.review_deadline + timedelta(days=1)
        reason = workflow.refusal(report, "manufacturer_respond", cast.user("involved_maker"), late)
        assert reason.startswith("The response window closed at the end of")


def test_review_can_be_skipped_only_without_a_catalogue_manufacturer(app, cast):
    with app.app_context():
        free_text = [
            DeviceInput(
                device_type="ESME",
                manufacturer_name="Unknown Meters Co",
                model_name="X1",
                firmware_version="1.0",
            )
        ]
        report = walk_to(cast, "in_validation", devices=free_text)
        validator = cast.user("validator")
        assert "nobody to notify" in workflow.refusal(report, "send_to_manufacturers", validator)
        report = validation.approve(
            actor=validator, key=report.reference, seen_version=report.version
        )
        assert report.state == S.approved
    app.config["REVIEW_MANDATORY"] = True
    with app.app_context():
        report = walk_to(cast, "in_validation", devices=free_text)
        assert "Send it to manufacturer review first" in workflow.refusal(
            report, "approve", cast.user("validator")
        )


def test_typed_manufacturer_name_or_alias_still_involves_the_manufacturer(app, cast):
    with app.app_context():
        devices = [
            DeviceInput(
                device_type="ESME",
                manufacturer_name="aldermoor metering ltd",
                model_name="AM-E999",
                firmware_version="9.9",
            )
        ]
        report = walk_to(cast, "manufacturer_review", devices=devices)
        assert [r.manufacturer.name for r in report.reviews] == ["Aldermoor Metering Ltd"]


def test_every_step_is_audited_and_in_the_history(app, cast):
    with app.app_context():
        report = walk_to(cast, "withdrawn")
        actions = [e.action for e in report.events]
        assert actions == [
            "created",
            "submit",
            "start",
            "send_to_manufacturers",
            "manufacturer_respond",
            "manufacturer_respond",
            "approve",
            "publish",
            "withdraw",
        ]
        audited = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == report.reference)
        ).all()
        for action in (
            "report.submitted",
            "report.validation_started",
            "report.sent_to_review",
            "review.responded",
            "report.approved",
            "report.published",
            "report.withdrawn",
        ):
            assert action in audited


def test_stale_version_is_refused_and_nothing_is_overwritten(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        seen = report.version
        validator = cast.user("validator")
        validation.request_info(
            actor=validator, key=report.reference, question="Which firmware?", seen_version=seen
        )
        with pytest.raises(StaleEdit, match="changed by someone else since you opened it"):
            validation.reject(
                actor=validator,
                key=report.reference,
                ground="spurious",
                reason="x",
                seen_version=seen,
            )
        db.session.expire_all()
        assert reports.get_visible(validator, report.reference).state == S.info_requested


def test_references_are_allocated_in_sequence_per_year(app, cast):
    with app.app_context():
        first = walk_to(cast, "submitted").reference
        second = walk_to(cast, "submitted").reference
        year = date.today().year
        assert first == f"IDR-{year}-00001" and second == f"IDR-{year}-00002"
