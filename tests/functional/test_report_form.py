"""The report form as a new user meets it (issue 14, item 8): questions that start
unanswered, CSP regions as checkboxes, the fix fields behind "A fix is known", and the
duplicate hints fetched while the form is typed (through the real Whoosh index)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app.services import legacy_import, outbox
from tests.functional.test_report_pages import client_for, form_data, state_of
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast, walk_to

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "legacy_sample.csv"
QUESTIONS = {
    "kind": "Choose the kind of report.",
    "occurrence": "Choose how often it happens.",
    "impact": "Choose the impact.",
    "root_cause_status": "Choose what is known of the root cause.",
    "fix_known": "Say whether a fix is known.",
}
HINT_TITLE = "ESME keeps leaving the HAN after hub update"


@pytest.fixture
def cast(app):
    with app.app_context():
        return build_cast()


def text(response) -> str:
    return response.get_data(as_text=True)


def inputs(html: str, name: str) -> list[str]:
    return re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)


def test_the_questions_start_unanswered_as_radios(app, cast):
    html = text(client_for(app, cast, "author").get("/reports/new"))
    for name in QUESTIONS:
        radios = inputs(html, name)
        assert len(radios) >= 2 and all('type="radio"' in r for r in radios), name
        assert not any("checked" in r for r in radios), f"{name} starts with an answer"
        assert f'<select id="{name}"' not in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []


def test_skipping_a_question_is_an_error_at_the_field_and_in_the_summary(app, cast):
    data = {k: v for k, v in form_data(cast).items() if k not in QUESTIONS}
    response = client_for(app, cast, "author").post("/reports/new", data=data)
    html = text(response)
    assert response.status_code == 422
    for name, message in QUESTIONS.items():
        # The summary links to the first radio; the message is at the question too.
        assert re.search(rf'<a href="#{name}-0">[^<]*: {re.escape(message)}</a>', html), name
        assert re.search(rf'id="{name}-error"[^>]*>\s*<span[^>]*>Error:</span> {message}', html)
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    assert state_of(app, title=form_data(cast)["title"]) is None


def test_an_edit_form_shows_the_answers_given(app, cast):
    with app.app_context():
        report = walk_to(cast, "draft")
        key = f"draft-{report.id}"
    html = text(client_for(app, cast, "author").get(f"/reports/{key}/edit"))
    for name, value in [("kind", report.kind.value), ("impact", report.impact.value)]:
        chosen = [r for r in inputs(html, name) if "checked" in r]
        assert len(chosen) == 1 and f'value="{value}"' in chosen[0]


def test_csp_regions_are_checkboxes_and_several_can_be_chosen(app, cast):
    client = client_for(app, cast, "author")
    html = text(client.get("/reports/new"))
    boxes = inputs(html, "regions")
    assert len(boxes) == 4 and all('type="checkbox"' in b for b in boxes)
    assert "multiple" not in html and "Ctrl" not in html
    assert re.search(r'<fieldset[^>]*id="regions"[^>]*>\s*<legend[^>]*>CSP regions</legend>', html)
    response = client.post("/reports/new", data=form_data(cast, regions=["north", "south"]))
    assert response.status_code == 302
    assert state_of(app, title=form_data(cast)["title"]).regions == ["north", "south"]


def test_the_fix_fields_sit_behind_a_fix_is_known(app, cast):
    client = client_for(app, cast, "author")
    html = text(client.get("/reports/new"))
    details = re.search(
        r'<div id="fix-details" data-shown-when="fix_known=yes">(.*?)</fieldset>', html, re.S
    )
    assert details and all(
        f'name="{n}"' in details.group(1) for n in ("fix_type", "fix_description")
    )
    # Without JavaScript the fields are on screen: a fix under "no" is asked about, not lost.
    contradiction = form_data(cast, fix_known="no", fix_description="Update to 3.3.0.")
    response = client.post("/reports/new", data=contradiction)
    assert response.status_code == 422
    assert "You chose “No fix is known yet” but filled in the fix" in text(response)
    # With JavaScript the hidden fix fields are disabled, so not sent at all.
    unsent = {k: v for k, v in form_data(cast, title="Unsent").items() if k != "fix_type"}
    assert client.post("/reports/new", data=unsent).status_code == 302
    assert state_of(app, title="Unsent").fix_type is None
    nothing = client.post("/reports/new", data=form_data(cast, fix_known="yes"))
    assert nothing.status_code == 422
    assert "Choose the type of fix and describe it." in text(nothing)
    saved = client.post(
        "/reports/new",
        data=form_data(
            cast, fix_known="yes", fix_type="firmware_update", fix_description="Update to 3.3.0."
        ),
    )
    assert saved.status_code == 302
    report = state_of(app, title=form_data(cast)["title"])
    assert report.fix_type.value == "firmware_update"
    edit = text(client.get(f"/reports/draft-{report.id}/edit"))
    chosen = [r for r in inputs(edit, "fix_known") if "checked" in r]
    assert len(chosen) == 1 and 'value="yes"' in chosen[0]


# --- duplicate hints while typing --------------------------------------------------------


@pytest.fixture
def known(app, cast):
    """A published record and DSMS records about the HAN, and one of the author's
    organisation's reports still in validation (hidden from other parties)."""
    with app.app_context():
        published = walk_to(cast, "published").reference
        in_validation = walk_to(cast, "in_validation", title=HINT_TITLE).reference
        legacy_import.import_stream(io.BytesIO(SAMPLE.read_bytes()), actor=None)
        outbox.drain()
    return published, in_validation


def typed(cast, **fields) -> dict:
    """The form as report_form.js sends it: whatever has been typed so far."""
    return {
        "title": HINT_TITLE,
        "description": "",
        "devices-0-device_model_id": str(cast.models["AM-E470"]),
        "devices-0-firmware_version": "3.2.1",
    } | fields


def test_hints_come_once_there_is_a_title_and_a_first_device(app, cast, known):
    published, in_validation = known
    client = client_for(app, cast, "other_party")
    response = client.post("/reports/similar", data=typed(cast))
    html = text(response)
    assert response.status_code == 200
    assert "Already known? Records like this one" in html
    assert f'href="/reports/{published}"' in html and 'href="/legacy/INC0010001"' in html
    # Through the visibility policy: another party never sees the report in validation.
    assert in_validation not in html
    assert "<html" not in html  # a fragment for the form's panel, not a page
    # Not enough to look with yet: nothing, not "no records".
    for partial in (typed(cast, title=" "), typed(cast, **{"devices-0-device_model_id": ""})):
        assert text(client.post("/reports/similar", data=partial)).strip() == ""
    # A Device typed in rather than chosen counts too.
    by_hand = typed(
        cast,
        **{
            "devices-0-device_model_id": "",
            "devices-0-device_type": "ESME",
            "devices-0-manufacturer_name": "Aldermoor Metering Ltd",
        },
    )
    assert f'href="/reports/{published}"' in text(client.post("/reports/similar", data=by_hand))


def test_the_reporters_organisation_is_shown_its_own_report_in_the_hints(app, cast, known):
    _, in_validation = known
    html = text(client_for(app, cast, "colleague").post("/reports/similar", data=typed(cast)))
    assert f'href="/reports/{in_validation}"' in html


def test_hints_with_nothing_alike_say_so(app, cast, known):
    html = text(
        client_for(app, cast, "other_party").post(
            "/reports/similar",
            data=typed(
                cast,
                title="Zebra quartz",
                **{
                    "devices-0-device_model_id": "",
                    "devices-0-device_type": "GSME",
                    "devices-0-manufacturer_name": "Quillon Vexworks",
                    "devices-0-firmware_version": "",
                },
            ),
        )
    )
    assert "No records you can see look like this one so far." in html


def test_hints_need_the_forms_csrf_token(app, cast, known):
    client = client_for(app, cast, "other_party")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/reports/similar", data=typed(cast)).status_code == 400
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/reports/new"))
    ).group(1)
    response = client.post("/reports/similar", data=typed(cast, csrf_token=token))
    assert response.status_code == 200 and "Already known?" in text(response)


def test_the_form_page_offers_the_hints_panel_to_its_script(app, cast):
    html = text(client_for(app, cast, "author").get("/reports/new"))
    assert 'id="duplicate-hints"' in html and 'data-url="/reports/similar"' in html
    assert 'src="/static/js/report_form.js"' in html
    assert '<form method="post" novalidate data-report-form>' in html
