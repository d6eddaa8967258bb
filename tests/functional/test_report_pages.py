"""The report pages through HTTP: the submission form (errors, no-JS "Add another device"),
validator and manufacturer actions, stale forms, and what the record page shows."""

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


def form_data(cast, **overrides) -> dict:
    data = {
        "kind": "defect",
        "title": "CHF reboots every night at 02:00",
        "description": "The Comms Hub restarts nightly; the ESME rejoins after ten minutes.",
        "devices-0-device_model_id": str(cast.models["AM-E470"]),
        "devices-0-firmware_version": "3.2.1",
        "regions": ["north"],
        "alert_codes": "0x8f35 n24",
        "occurrence": "consistent",
        "impact": "medium",
        "root_cause_status": "unknown",
        "fix_type": "",
    }
    data |= overrides
    # The form asks first whether a fix is known; a test giving one says yes.
    given = any(data.get(name) for name in ("fix_type", "fix_description", "fix_firmware"))
    return {"fix_known": "yes" if given else "no"} | data


def state_of(app, **where) -> Report:
    with app.app_context():
        return db.session.scalar(sa.select(Report).filter_by(**where))


def test_new_report_is_saved_as_a_draft_with_codes_normalised(app, cast):
    client = client_for(app, cast, "author")
    response = client.post("/reports/new", data=form_data(cast))
    assert response.status_code == 302
    report = state_of(app, title="CHF reboots every night at 02:00")
    assert report.state == ReportState.draft and report.reference is None
    assert report.alert_codes == ["8F35", "N24"]
    page = client.get(response.location).get_data(as_text=True)
    assert "Submit to the DCC for validation" in page and "AM-E470" in page


def test_bad_input_re_renders_with_every_error_and_keeps_what_was_typed(app, cast):
    client = client_for(app, cast, "author")
    data = form_data(
        cast, title="", alert_codes="8F35, ZZZZZZ", affected_count="-3", fix_description="Reboot it"
    )
    response = client.post("/reports/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert "Enter a title." in html
    assert "The Comms Hub restarts nightly" in html  # nothing typed is lost
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    # With the form-level problems fixed, the service's checks speak up the same way.
    response = client.post(
        "/reports/new",
        data=form_data(cast, alert_codes="8F35, ZZZZZZ", fix_description="Reboot it"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not an alert code: ZZZZZZ" in html
    assert "Choose the type of fix you describe." in html
    assert state_of(app, title="CHF reboots every night at 02:00") is None


def test_add_another_device_works_without_javascript(app, cast):
    client = client_for(app, cast, "author")
    response = client.post("/reports/new", data=form_data(cast, add_device="Add another device"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Device 2" in html and 'id="devices-1-device_model_id"' in html
    assert 'value="CHF reboots every night at 02:00"' in html
    data = form_data(
        cast,
        **{
            "devices-1-device_type": "CHF",
            "devices-1-manufacturer_name": "Unlisted Hubs plc",
            "devices-1-model_name": "UH-1",
            "devices-1-firmware_version": "0.9",
        },
    )
    assert client.post("/reports/new", data=data).status_code == 302
    report = state_of(app, title="CHF reboots every night at 02:00")
    with app.app_context():
        report = db.session.merge(report)
        assert [(d.manufacturer_name, d.in_catalogue) for d in report.devices] == [
            ("Aldermoor Metering Ltd", True),
            ("Unlisted Hubs plc", False),
        ]


def test_submission_allocates_a_reference_and_tells_validators(app, cast):
    client = client_for(app, cast, "author")
    client.post("/reports/new", data=form_data(cast))
    draft = state_of(app, title="CHF reboots every night at 02:00")
    response = client.post(f"/reports/draft-{draft.id}/submit", data={"version": draft.version})
    assert response.status_code == 302
    submitted = state_of(app, id=draft.id)
    assert re.fullmatch(r"IDR-\d{4}-\d{5}", submitted.reference)
    assert response.location.endswith(f"/reports/{submitted.reference}")
    validator = client_for(app, cast, "validator")
    assert '1<span class="visually-hidden"> unread</span>' in validator.get("/").get_data(
        as_text=True
    )
    assert submitted.reference in validator.get("/notifications/").get_data(as_text=True)
    assert submitted.reference in validator.get("/validation/").get_data(as_text=True)


def test_stale_draft_edit_is_refused_and_shows_the_current_report(app, cast):
    with app.app_context():
        report = walk_to(cast, "draft")
        key, version = f"draft-{report.id}", report.version
    first, second = client_for(app, cast, "author"), client_for(app, cast, "author")
    assert (
        first.post(
            f"/reports/{key}/edit", data=form_data(cast, title="First title", version=version)
        ).status_code
        == 302
    )
    response = second.post(
        f"/reports/{key}/edit", data=form_data(cast, title="Second title", version=version)
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in html
    assert "The report as it is now" in html and "First title" in html
    assert 'value="Second title"' in html  # what they typed is still in the form
    assert state_of(app, id=report.id).title == "First title"


@pytest.mark.parametrize(
    ("state", "viewer", "why"),
    [
        ("published", "other_party", "it is published, and only a draft can be edited"),
        ("submitted", "author", "it is submitted, and only a draft can be edited"),
        ("in_validation", "validator", "Validators change it from the validation workspace"),
    ],
)
def test_the_edit_form_opens_only_for_the_authors_own_draft(app, cast, state, viewer, why):
    """A report the user sees but may not edit: no filled form, and a save is refused too;
    they go back to its page and are told why."""
    with app.app_context():
        report = walk_to(cast, state)
        reference, version, title = report.reference, report.version, report.title
    client = client_for(app, cast, viewer)
    response = client.get(f"/reports/{reference}/edit")
    assert response.status_code == 302
    assert response.location == f"/reports/{reference}"
    page = client.get(response.location).get_data(as_text=True)
    assert why in page and "Edit draft" not in page
    saved = client.post(
        f"/reports/{reference}/edit", data=form_data(cast, title="Changed", version=version)
    )
    assert saved.status_code == 302 and saved.location == f"/reports/{reference}"
    assert state_of(app, reference=reference).title == title


def test_a_draft_is_edited_by_its_author_and_hidden_from_everyone_else(app, cast):
    with app.app_context():
        report = walk_to(cast, "draft")
        key = f"draft-{report.id}"
    author = client_for(app, cast, "author")
    form = author.get(f"/reports/{key}/edit")
    assert form.status_code == 200 and "<h1>Edit draft</h1>" in form.get_data(as_text=True)
    colleague = client_for(app, cast, "colleague")
    unknown = colleague.get(f"/reports/draft-{report.id + 1000}/edit")
    hidden = colleague.get(f"/reports/{key}/edit")
    assert hidden.status_code == unknown.status_code == 404
    assert strip_token(hidden) == strip_token(unknown)


def strip_token(response) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def test_stale_validator_action_is_refused_on_both_databases(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        ref, version = report.reference, report.version
    validator = client_for(app, cast, "validator")
    ok = validator.post(
        f"/validation/{ref}/request_info",
        data={"request_info-version": version, "request_info-question": "Which firmware?"},
    )
    assert ok.status_code == 302
    stale = validator.post(
        f"/validation/{ref}/reject",
        data={
            "reject-version": version,
            "reject-ground": "spurious",
            "reject-reason": "Cannot reproduce",
        },
    )
    assert stale.status_code == 409
    assert "changed by someone else since you opened it" in stale.get_data(as_text=True)
    assert state_of(app, reference=ref).state == ReportState.info_requested


def test_an_illegal_step_is_refused_with_its_reason(app, cast):
    with app.app_context():
        report = walk_to(cast, "submitted")
        ref, version = report.reference, report.version
    validator = client_for(app, cast, "validator")
    response = validator.post(f"/validation/{ref}/publish", data={"publish-version": version})
    assert response.status_code == 409
    assert "A report that is submitted cannot be published." in response.get_data(as_text=True)
    assert state_of(app, reference=ref).state == ReportState.submitted


def test_reject_needs_a_reason_and_shows_it_to_the_reporter(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        ref, version = report.reference, report.version
    validator = client_for(app, cast, "validator")
    missing = validator.post(
        f"/validation/{ref}/reject",
        data={
            "reject-version": version,
            "reject-ground": "duplicate",
            "reject-reason": "Same as the earlier one",
            "reject-duplicate_of": "IDR-1999-00001",
        },
    )
    assert missing.status_code == 422
    assert "Give the reference of the earlier report" in missing.get_data(as_text=True)
    done = validator.post(
        f"/validation/{ref}/reject",
        data={
            "reject-version": version,
            "reject-ground": "out_of_scope",
            "reject-reason": "Head-end configuration, not a Device.",
        },
    )
    assert done.status_code == 302
    reporter = client_for(app, cast, "colleague").get(f"/reports/{ref}").get_data(as_text=True)
    assert "Rejected: Out of scope." in reporter and "Head-end configuration" in reporter


def test_validator_edit_keeps_the_reporters_wording_in_the_history(app, cast):
    with app.app_context():
        report = walk_to(cast, "in_validation")
        ref, version, original = report.reference, report.version, report.description
    validator = client_for(app, cast, "validator")
    page = validator.get(f"/validation/{ref}/edit").get_data(as_text=True)
    assert original in page
    data = form_data(
        cast,
        version=version,
        title=report.title,
        description="The ESME leaves the HAN after the CHF update (edited).",
        note="Consistent wording",
    )
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    author_view = client_for(app, cast, "author").get(f"/reports/{ref}").get_data(as_text=True)
    assert "What changed" in author_view and original in author_view
    assert "(edited)" in author_view


def test_manufacturer_responds_and_a_dispute_needs_reasons(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        ref, version = report.reference, report.version
    maker = client_for(app, cast, "involved_maker")
    told = maker.get("/notifications/").get_data(as_text=True)
    assert f"Prior notice: {ref} involves your Devices" in told
    page = maker.get(f"/review/{ref}").get_data(as_text=True)
    assert "Respond by the end of" in page
    assert cast.reporter_org not in page  # no consent given
    missing = maker.post(f"/review/{ref}", data={"version": version, "response": "dispute"})
    assert missing.status_code == 422
    assert "Give your reasons for disputing the report." in missing.get_data(as_text=True)
    done = maker.post(
        f"/review/{ref}",
        data={
            "version": version,
            "response": "add_fix",
            "fix_type": "firmware_update",
            "fix_firmware": "3.3.0",
            "fix_description": "Update to 3.3.0.",
            "statement": "Fixed in 3.3.0.",
            "publish_statement": "y",
        },
    )
    assert done.status_code == 302
    validator_page = client_for(app, cast, "validator").get(f"/validation/{ref}")
    html = validator_page.get_data(as_text=True)
    assert "Adds or corrects a fix" in html and "Use this fix in the report" in html
    outsider = client_for(app, cast, "uninvolved_maker")
    assert outsider.get(f"/review/{ref}").status_code == 404


def test_published_record_page_shows_the_record_not_the_reporter(app, cast):
    with app.app_context():
        report = walk_to(
            cast,
            "published",
            fix_type="firmware_update",
            fix_description="Update the ESME to 3.3.0.",
            fix_firmware="3.3.0",
        )
        ref = report.reference
    html = client_for(app, cast, "other_party").get(f"/reports/{ref}").get_data(as_text=True)
    assert app.config["DISCLAIMER"] in html
    assert "AM-E470" in html and "BF-CH3" in html and "8F35, N24" in html
    assert "Update the ESME to 3.3.0." in html and "Revision history" in html
    assert "A Large Supplier" in html and cast.reporter_org not in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []


def test_withdrawn_record_shows_a_notice_only_to_others(app, cast):
    with app.app_context():
        ref = walk_to(cast, "withdrawn").reference
    html = client_for(app, cast, "secas").get(f"/reports/{ref}").get_data(as_text=True)
    assert "has been withdrawn" in html and "Reported in error." not in html
    assert "Comms Hub drops ESME" not in html


def test_validation_queue_filters_and_sorts(app, cast):
    with app.app_context():
        north = walk_to(cast, "submitted", title="Northern hub fault", regions=["north"]).reference
        south = walk_to(
            cast,
            "in_validation",
            title="Southern meter fault",
            regions=["south"],
            kind="issue",
            impact="critical",
        ).reference
        everywhere = walk_to(cast, "submitted", title="Everywhere fault", regions=["all"]).reference
        draft_reference = walk_to(cast, "draft", title="Unsent draft").reference
    validator = client_for(app, cast, "validator")

    def listed(query: str) -> set[str]:
        html = validator.get(f"/validation/?{query}").get_data(as_text=True)
        return {ref for ref in (north, south, everywhere) if ref in html}

    assert listed("") == {north, south, everywhere}
    assert "Unsent draft" not in validator.get("/validation/").get_data(as_text=True)
    assert draft_reference is None
    assert listed("region=north") == {north, everywhere}
    assert listed("state=in_validation") == {south}
    assert listed("kind=issue") == {south}
    assert listed("device_type=CHF") == {north, south, everywhere}
    assert listed("device_type=GSME") == set()
    assert listed(f"manufacturer_id={cast.makers['corriemoor']}") == set()
    assert listed("older_than_days=30") == set()
    html = validator.get("/validation/?sort=impact").get_data(as_text=True)
    assert html.index(south) < html.index(north)
    bad = validator.get("/validation/?older_than_days=-1")
    assert "There is a problem" in bad.get_data(as_text=True)  # and the unfiltered queue


def test_revising_a_published_record_keeps_its_revisions(app, cast):
    with app.app_context():
        report = walk_to(cast, "published")
        ref, version, title = report.reference, report.version, report.title
    validator = client_for(app, cast, "validator")
    data = form_data(
        cast,
        version=version,
        title=title,
        fix_type="firmware_update",
        fix_description="Update the ESME to 3.3.0.",
        fix_firmware="3.3.0",
    )
    missing_note = validator.post(f"/validation/{ref}/edit", data=data)
    assert missing_note.status_code == 422
    assert "Say what this revision changes" in missing_note.get_data(as_text=True)
    done = validator.post(f"/validation/{ref}/edit", data=data | {"note": "Fix added."})
    assert done.status_code == 302
    with app.app_context():
        revised = db.session.scalar(sa.select(Report).where(Report.reference == ref))
        assert [r.number for r in revised.revisions] == [1, 2]
        assert revised.revisions[0].snapshot["fix_type"] is None
        assert revised.revisions[1].snapshot["fix_type"] == "firmware_update"
        assert revised.fix_changed_at is not None
    html = client_for(app, cast, "secas").get(f"/reports/{ref}").get_data(as_text=True)
    assert "Revision history" in html and "Fix added." in html and "First publication." in html


def test_an_edit_that_adds_a_manufacturer_gives_them_prior_notice(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        ref, version, title = report.reference, report.version, report.title
    validator = client_for(app, cast, "validator")
    data = form_data(
        cast,
        version=version,
        title=title,
        **{
            "devices-1-device_model_id": str(cast.models["CC-D7"]),
            "devices-1-firmware_version": "4.0.0",
        },
    )
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    with app.app_context():
        report = db.session.scalar(sa.select(Report).where(Report.reference == ref))
        assert sorted(r.manufacturer.name for r in report.reviews) == [
            "Aldermoor Metering Ltd",
            "Corriemoor Comms Ltd",
        ]  # Brackenfield's Device was removed before they answered
    newcomer = client_for(app, cast, "uninvolved_maker")
    assert "Prior notice" in newcomer.get("/notifications/").get_data(as_text=True)
    assert newcomer.get(f"/review/{ref}").status_code == 200
    assert client_for(app, cast, "second_involved_maker").get(f"/review/{ref}").status_code == 404


def test_after_approval_an_edit_cannot_add_a_manufacturer_without_notice(app, cast):
    with app.app_context():
        report = walk_to(cast, "approved")
        ref, version, title = report.reference, report.version, report.title
    validator = client_for(app, cast, "validator")
    data = form_data(
        cast,
        version=version,
        title=title,
        **{"devices-1-device_model_id": str(cast.models["CC-D7"])},
    )
    response = validator.post(f"/validation/{ref}/edit", data=data)
    assert response.status_code == 422
    assert "who have had no prior notice" in response.get_data(as_text=True)


def test_revised_wording_is_not_left_public_in_the_history(app, cast):
    with app.app_context():
        report = walk_to(cast, "published")
        ref, version, title = report.reference, report.version, report.title
    validator = client_for(app, cast, "validator")
    data = form_data(
        cast,
        version=version,
        title=title,
        note="Removed a meter number.",
        description="The ESME leaves the HAN after the CHF update.",
    )
    assert validator.post(f"/validation/{ref}/edit", data=data).status_code == 302
    public = client_for(app, cast, "other_party").get(f"/reports/{ref}").get_data(as_text=True)
    assert "Removed a meter number." in public and "What changed" not in public
    assert "raises alert 0x8F35 repeatedly" not in public
    reporter = client_for(app, cast, "author").get(f"/reports/{ref}").get_data(as_text=True)
    assert "What changed" in reporter


def test_a_statement_is_shown_to_others_only_once_published(app, cast):
    with app.app_context():
        report = walk_to(cast, "manufacturer_review")
        ref = report.reference
    maker = client_for(app, cast, "involved_maker")
    with app.app_context():
        version = db.session.scalar(sa.select(Report.version).where(Report.reference == ref))
    maker.post(
        f"/review/{ref}",
        data={
            "version": version,
            "response": "agree",
            "statement": "ALDERMOOR STATEMENT",
            "publish_statement": "y",
        },
    )
    other = client_for(app, cast, "second_involved_maker")
    assert "ALDERMOOR STATEMENT" not in other.get(f"/review/{ref}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/validation/{ref}/start", {"start-version": "abc"}),
        (
            "/validation/{ref}/answer_dispute",
            {
                "answer_dispute-version": "1",
                "answer_dispute-manufacturer_id": "abc",
                "answer_dispute-answer": "x",
            },
        ),
        (
            "/validation/{ref}/adopt_fix",
            {"adopt_fix-version": "1", "adopt_fix-manufacturer_id": "9" * 30},
        ),
    ],
)
def test_mangled_posts_are_refused_not_500(app, cast, path, data):
    with app.app_context():
        ref = walk_to(cast, "submitted").reference
    response = client_for(app, cast, "validator").post(path.format(ref=ref), data=data)
    assert response.status_code in (409, 422)


def test_huge_numbers_are_refused_not_500(app, cast):
    client = client_for(app, cast, "author")
    response = client.post("/reports/new", data=form_data(cast, affected_count="9" * 30))
    assert response.status_code == 422
    response = client.post(
        "/reports/new", data=form_data(cast, **{"devices-0-device_model_id": "9" * 30})
    )
    assert response.status_code == 422
    assert client.get("/records/?page=" + "9" * 25).status_code == 200
    validator = client_for(app, cast, "validator")
    assert validator.get("/validation/?page=" + "9" * 25).status_code == 200
    assert validator.get("/validation/?manufacturer_id=" + "9" * 30).status_code == 200
