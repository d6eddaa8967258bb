"""Choices a validator must make on purpose, through HTTP: why a report is rejected, and
whether a fix has been checked when a report is approved. Nothing is chosen for them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report, ReportState
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


# --- why a report is rejected (issue 14, 8e) -------------------------------------------


def test_no_rejection_ground_is_chosen_for_the_validator(app, cast):
    with app.app_context():
        ref = walk_to(cast, "in_validation").reference
    html = client_for(app, cast, "validator").get(f"/validation/{ref}").get_data(as_text=True)
    options = radios(html, "reject-ground")
    assert len(options) == 3
    assert not any("checked" in option for option in options)
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
    assert not any("checked" in option for option in radios(html, "reject-ground"))
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    assert report_of(app, ref).state == ReportState.in_validation

    chosen = validator.post(
        f"/validation/{ref}/reject",
        data={
            "reject-version": version,
            "reject-ground": "spurious",
            "reject-reason": "Cannot reproduce.",
        },
    )
    assert chosen.status_code == 302
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
