"""`flask workflow tick`: the daily step that closes passed response windows as "no response"
and reminds manufacturers before a window closes."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Notification, Report, ReviewResponse
from tests.support.reports import after_deadline, build_cast, walk_to


def in_review(app) -> tuple[int, str, str]:
    """A report in manufacturer review; returns its id, reference and deadline (ISO)."""
    with app.app_context():
        report = walk_to(build_cast(), "manufacturer_review")
        return report.id, report.reference, report.review_deadline.isoformat()


def test_tick_on_an_empty_register_does_nothing(runner):
    result = runner.invoke(args=["workflow", "tick"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("0 response(s) recorded as no response, 0 reminder(s) sent")


def test_tick_after_the_deadline_records_no_response(app, runner):
    report_id, reference, _ = in_review(app)
    with app.app_context():
        day_after = after_deadline(db.session.get(Report, report_id)).isoformat()

    result = runner.invoke(args=["workflow", "tick", "--date", day_after])
    assert result.exit_code == 0, result.output
    assert f"no response: {reference} Aldermoor Metering Ltd" in result.output
    assert f"no response: {reference} Brackenfield Devices" in result.output
    assert "2 response(s) recorded as no response, 0 reminder(s) sent" in result.output
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert {r.response for r in report.reviews} == {ReviewResponse.no_response}
        assert report.state.value == "manufacturer_review"  # approval stays the validator's
        audited = list(
            db.session.scalars(
                sa.select(AuditEvent.summary).where(AuditEvent.action == "review.no_response")
            )
        )
    assert sorted(audited) == ["Aldermoor Metering Ltd", "Brackenfield Devices"]

    again = runner.invoke(args=["workflow", "tick", "--date", day_after])
    assert "0 response(s) recorded as no response" in again.output


def test_tick_on_the_last_day_reminds_each_manufacturer_once(app, runner):
    _, reference, deadline = in_review(app)
    with app.app_context():
        before = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.kind == "deadline_approaching")
        )

    result = runner.invoke(args=["workflow", "tick", "--date", deadline])
    assert result.exit_code == 0, result.output
    assert "0 response(s) recorded as no response, 2 reminder(s) sent" in result.output
    with app.app_context():
        reminders = list(
            db.session.scalars(
                sa.select(Notification.subject).where(Notification.kind == "deadline_approaching")
            )
        )
    assert before == 0
    assert reminders == [f"Response window closing: {reference}"] * 2

    again = runner.invoke(args=["workflow", "tick", "--date", deadline])
    assert "0 reminder(s) sent" in again.output


def test_tick_refuses_a_date_in_another_format(runner):
    result = runner.invoke(args=["workflow", "tick", "--date", "31/12/2026"])
    assert result.exit_code == 2
    assert "Invalid value for '--date'" in result.output
