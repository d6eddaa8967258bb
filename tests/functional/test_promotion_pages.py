"""Promoting a DSMS record through the pages, and reports a validator writes for the DCC.

The button is offered to validators only; the POST makes a draft and opens its edit form;
the draft is completed and submitted through the ordinary pages. A report with the DCC as
its reporting organisation is held to the same visibility table as a supplier's (DESIGN §3,
`tests/functional/test_visibility_matrix.py`), with the DCC's validators as the reporting
organisation, and never the DCC's administrators.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import LegacyRecord, Manufacturer, Notification, Report, ReportState, User
from app.services import legacy_import, outbox, policy, reports, workflow
from app.services.demo_reports import take_to
from app.services.search import query as search_query
from tests.functional.test_report_pages import client_for
from tests.functional.test_visibility_matrix import EXPECTED, NOTICE_FOR_OTHERS
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast, sample_input

S = ReportState
BUTTON = "Promote to draft report"
CSV = (
    "number,opened_at,closed_at,state,priority,category,subcategory,short_description,"
    "description,close_notes,work_notes\n"
    "INC0030001,2024-03-05 09:12:00,2024-03-07 16:40:00,Closed,3 - Moderate,Device,HAN,"
    '"ESME drops off HAN after Comms Hub update",'
    '"AML electricity meter AM-E470 on 3.1.4 leaves the HAN after the comms hub BF-CH3 '
    'moved to 1.1.0; alerts 0x8F35 in CSP North.","Fixed by ESME firmware 3.2.1",""\n'
)
NUMBER = "INC0030001"


@pytest.fixture
def cast(app, make_user):
    with app.app_context():
        cast = build_cast()
        db.session.get(Manufacturer, cast.makers["aldermoor"]).aliases = ["AML"]
        db.session.commit()
        legacy_import.import_stream(io.BytesIO(CSV.encode()), actor=None)
        dcc = cast.user("validator").organisation_id
    second = make_user("validator", email="second@dcc.test", organisation_id=dcc)
    cast.users["second_validator"] = second.id
    return cast


def text(response) -> str:
    return response.get_data(as_text=True)


def promoted_report(app) -> Report | None:
    with app.app_context():
        record = db.session.scalar(sa.select(LegacyRecord).where(LegacyRecord.number == NUMBER))
        return record.promoted_report and db.session.merge(record.promoted_report)


# --- the button and the POST -----------------------------------------------------------


@pytest.mark.parametrize(
    "viewer", ["author", "involved_maker", "validator", "secas", "ssc", "admin"]
)
def test_the_button_is_offered_to_validators_only(app, cast, viewer):
    response = client_for(app, cast, viewer).get(f"/legacy/{NUMBER}")
    assert response.status_code == 200
    html = text(response)
    assert (BUTTON in html) == (viewer == "validator")
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []


def test_a_validator_promotes_completes_and_submits_the_draft(app, cast):
    client = client_for(app, cast, "validator")
    response = client.post(f"/legacy/{NUMBER}/promote")
    assert response.status_code == 302
    report = promoted_report(app)
    assert response.location == f"/reports/draft-{report.id}/edit"

    # The edit form opens pre-filled, saying what to check.
    html = text(client.get(response.location))
    assert f"Draft report created from DSMS record {NUMBER}" in html
    assert "impact (from DSMS priority “3 - Moderate”)" in html
    assert 'value="ESME drops off HAN after Comms Hub update"' in html
    assert "Fixed by ESME firmware 3.2.1" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []

    # The record links to the draft and offers no second promotion.
    html = text(client.get(f"/legacy/{NUMBER}"))
    assert f'href="/reports/draft-{report.id}"' in html and BUTTON not in html
    html = text(client.get(f"/reports/draft-{report.id}"))
    assert "Draft created from a DSMS record" in html and "Type of fix not chosen yet." in html

    # Submitting before the draft was saved sends the validator back to the form.
    response = client.post(f"/reports/draft-{report.id}/submit", data={"version": report.version})
    assert response.location == f"/reports/draft-{report.id}/edit"
    assert "pre-filled from a DSMS record" in text(client.get(response.location))

    # Saved through the form, with the type of fix the close notes describe, it goes.
    with app.app_context():
        form = edit_form_data(db.session.merge(report), fix_type="firmware_update")
    response = client.post(f"/reports/draft-{report.id}/edit", data=form)
    assert response.status_code == 302, text(response)[:2000]
    report = promoted_report(app)
    response = client.post(f"/reports/draft-{report.id}/submit", data={"version": report.version})
    report = promoted_report(app)
    assert report.state == S.submitted
    assert response.location == f"/reports/{report.reference}"
    assert report.reference in text(client_for(app, cast, "second_validator").get("/validation/"))
    # A party user sees the legacy record, but not the submitted report, nor a link to it.
    party = client_for(app, cast, "author")
    assert report.reference not in text(party.get(f"/legacy/{NUMBER}"))
    assert party.get(f"/reports/{report.reference}").status_code == 404


def edit_form_data(report: Report, **overrides) -> dict:
    """The edit form as the validator sends it back: the pre-filled values, with kind and
    occurrence chosen."""
    with_model = [d for d in report.devices if d.device_model_id]
    data = {
        "version": str(report.version),
        "kind": "defect",
        "title": report.title,
        "description": report.description,
        "regions": list(report.regions),
        "alert_codes": ", ".join(report.alert_codes),
        "occurrence": "intermittent",
        "impact": report.impact.value,
        "root_cause_status": "unknown",
        "fix_known": "yes" if report.fix_description else "no",
        "fix_type": "",
        "fix_description": report.fix_description,
        "fix_source": report.fix_source,
        "dsms_references": ", ".join(report.dsms_references),
    }
    for number, device in enumerate(with_model):
        data[f"devices-{number}-device_model_id"] = str(device.device_model_id)
        data[f"devices-{number}-firmware_version"] = device.firmware_version
    return data | overrides


def test_a_second_promotion_is_refused_with_the_report_it_went_to(app, cast):
    client = client_for(app, cast, "validator")
    assert client.post(f"/legacy/{NUMBER}/promote").status_code == 302
    report = promoted_report(app)
    response = client.post(f"/legacy/{NUMBER}/promote")
    assert response.status_code == 409
    assert f"already been promoted to {report.label}" in text(response)
    # Another validator, who cannot see the draft, is told it exists and nothing more.
    other = client_for(app, cast, "second_validator")
    html = text(other.get(f"/legacy/{NUMBER}"))
    assert "promoted to a draft report that its author has not submitted yet" in html
    assert BUTTON not in html
    assert other.post(f"/legacy/{NUMBER}/promote").status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("author", 403),
        ("involved_maker", 403),
        ("secas", 403),
        ("ssc", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_nobody_else_promotes(app, cast, viewer, status):
    client = app.test_client() if viewer == "anonymous" else client_for(app, cast, viewer)
    response = client.post(f"/legacy/{NUMBER}/promote")
    assert response.status_code == status
    if viewer == "anonymous":
        assert response.location.startswith("/auth/login")
    assert promoted_report(app) is None


def test_an_unknown_record_answers_404(app, cast):
    client = client_for(app, cast, "validator")
    assert client.post("/legacy/INC9999999/promote").status_code == 404
    assert client.get("/legacy/INC9999999/promote").status_code == 405


def test_the_button_needs_its_csrf_token(app, cast):
    client = client_for(app, cast, "validator")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/legacy/{NUMBER}/promote").status_code == 400
    assert promoted_report(app) is None
    html = text(client.get(f"/legacy/{NUMBER}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(f"/legacy/{NUMBER}/promote", data={"csrf_token": token})
    assert response.status_code == 302 and promoted_report(app) is not None


# --- reports written by validators for the DCC ------------------------------------------

# The cast's viewers, as the roles they play in the design's table when the DCC reports.
AS_IN_TABLE = {
    "validator": "author",  # the validator who wrote it
    "second_validator": "colleague",  # the rest of the reporting organisation
    "author": "other_party",  # the supplier's users are now just another party
    "colleague": "other_party",
    "involved_maker": "involved_maker",
    "uninvolved_maker": "uninvolved_maker",
    "secas": "secas",
    "ssc": "ssc",
    "admin": "admin",  # of the DCC, and still not a reporter
}


@pytest.fixture
def dcc_reports(app, cast) -> dict[tuple[ReportState, bool], int]:
    with app.app_context():
        made = {}
        for state in S:
            for sensitive in (False, True):
                report = take_to(
                    sample_input(cast, security_sensitive=sensitive),
                    state,
                    author=cast.user("validator"),
                    validator=cast.user("second_validator"),
                    responders=[cast.user("involved_maker"), cast.user("second_involved_maker")],
                )
                made[(state, sensitive)] = report.id
        return made


def test_a_dcc_report_is_seen_as_the_table_says(app, cast, dcc_reports):
    mismatches = []
    with app.app_context():
        viewers = {v: cast.user(v) for v in AS_IN_TABLE} | {"anonymous": AnonymousUserMixin()}
        for viewer, user in viewers.items():
            listed = set(db.session.scalars(policy.visible_reports(user, sa.select(Report.id))))
            tokens = set(policy.visibility_tokens(user))
            for spec, report_id in dcc_reports.items():
                report = db.session.get(Report, report_id)
                expected = viewer != "anonymous" and AS_IN_TABLE[viewer] in EXPECTED[spec]
                found = {
                    "report.view": policy.can(user, "report.view", report),
                    "listed": report_id in listed,
                    # A draft is not indexed; otherwise search finds what the page shows.
                    "search": bool(tokens & set(policy.document_tokens(report))),
                }
                for what, value in found.items():
                    want = expected and not (what == "search" and spec[0] == S.draft)
                    if value != want:
                        mismatches.append(f"{viewer} {what} {spec}: {value}, expected {want}")
                named = expected and viewer in {"validator", "second_validator"}
                if expected and policy.can(user, "report.see_reporter", report) != named:
                    mismatches.append(f"{viewer} sees the DCC's name on {spec}: {not named}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("viewer", ["validator", "second_validator", "author", "admin"])
def test_dcc_report_pages_answer_as_the_table_says(app, cast, dcc_reports, viewer):
    client = client_for(app, cast, viewer)
    with app.app_context():
        keys = {
            spec: (lambda r: r.reference or f"draft-{r.id}")(db.session.get(Report, rid))
            for spec, rid in dcc_reports.items()
        }
        dcc_name = cast.user("validator").organisation.name
    wrong = []
    for spec, key in keys.items():
        sees = AS_IN_TABLE[viewer] in EXPECTED[spec]
        notice = not sees and spec in NOTICE_FOR_OTHERS
        response = client.get(f"/reports/{key}")
        if response.status_code != (200 if sees or notice else 404):
            wrong.append(f"{viewer} GET {spec}: {response.status_code}")
        if sees and (dcc_name in text(response)) != (viewer != "author" and viewer != "admin"):
            wrong.append(f"{viewer} GET {spec}: the DCC's name shown wrongly")
        if sees and viewer in ("author", "admin") and "A DCC" not in text(response):
            wrong.append(f"{viewer} GET {spec}: the reporter's category is not shown")
    mine = text(client.get("/reports/mine"))
    for spec, key in keys.items():
        listed = f'href="/reports/{key}"' in mine
        expected = viewer == "validator" or (viewer == "second_validator" and spec[0] != S.draft)
        if listed != expected:
            wrong.append(f"{viewer} /reports/mine lists {spec}: {listed}")
    assert not wrong, "\n".join(wrong)


def test_the_dccs_validators_answer_and_hear_as_its_reporting_organisation(app, cast, dcc_reports):
    with app.app_context():
        report = db.session.get(Report, dcc_reports[(S.info_requested, False)])
        for viewer in ("validator", "second_validator"):
            assert workflow.refusal(report, "answer_info", cast.user(viewer)) is None
        for viewer in ("admin", "author"):
            assert workflow.refusal(report, "answer_info", cast.user(viewer)) is not None
        told = set(
            db.session.scalars(
                sa.select(Notification.user_id)
                .where(Notification.kind == "info_requested")
                .where(Notification.report_id == report.id)
            )
        )
        assert told == {cast.users["validator"], cast.users["second_validator"]}
        assert db.session.get(User, cast.users["admin"]).id not in told


def test_the_draft_does_not_offer_its_own_record_as_already_known(app, cast):
    client_for(app, cast, "validator").post(f"/legacy/{NUMBER}/promote")
    with app.app_context():
        outbox.drain()  # the record is in the search index
        report = db.session.merge(promoted_report(app))
        validator = cast.user("validator")
        anything_like_it = search_query.similar(
            validator, title=report.title, description=report.description, dmc=""
        )
        assert NUMBER in [hit.key for hit in anything_like_it]
        assert NUMBER not in [hit.key for hit in reports.similar_records(validator, report)]
