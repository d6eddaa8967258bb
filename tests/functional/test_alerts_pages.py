"""The superfluous alerts tracker through HTTP: the dashboard's charts agree with the tables
beside them, choosing a region and alert code, CSV downloads of what is shown, the records
that mention a DMC (as the policy allows), the draft report started from a DMC, the upload
page and the command line."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AlertDmc, AuditEvent, Report, ReportState
from app.services import alerts_store, legacy_import, reports
from app.services.alerts_tables import NO_FIGURE
from app.services.errors import ValidationFailed
from tests.functional.test_report_pages import client_for
from tests.support.alerts import (
    DMC_A,
    DMC_B,
    DMC_C,
    GOOD_ROW,
    extract,
    figure_titles,
    hand_checked_rows,
    import_rows,
    svgs,
    tables,
)
from tests.support.html_checks import accessibility_problems
from tests.support.reports import build_cast, walk_to

VIEW_ARGS = "weeks=2&ending=2025-03-10"
LEGACY = (
    "number,opened_at,closed_at,state,priority,category,subcategory,short_description,"
    "description,close_notes,work_notes\n"
    "INC0040001,2025-03-06 09:00:00,,Open,3 - Moderate,Device,Alerts,"
    '"Alert storm 8014 from AM-E470","Aldermoor AM-E470 meters on 3.2.1 send alerts 8014 '
    'all day in CSP North.","",""\n'
)


@pytest.fixture
def app_config() -> dict:
    return {"ALERTS_THRESHOLD_PER_DEVICE_DAY": 6.0}


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = build_cast()
        import_rows(hand_checked_rows())
        return cast


def text(response) -> str:
    return response.get_data(as_text=True)


def dmc_id(app, model: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(AlertDmc.id).where(AlertDmc.model == model))


def test_the_ranking_chart_and_its_table_show_the_same_figures(app, cast):
    client = client_for(app, cast, "other_party")
    response = client.get(f"/alerts/?{VIEW_ARGS}")
    assert response.status_code == 200
    html = text(response)
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    charts = svgs(html)
    (caption, rows), *_ = tables(html)
    assert caption.startswith("DMCs with the most alerts per device: 2 weeks")
    assert [(row[0], row[1], row[4]) for row in rows] == [
        ("1", "AM-E470 (ESME) firmware 3.2.1", "8.32"),
        ("2", "CC-CH3N (CHF) firmware 0x01020400", "7.00"),
        ("3", "BF-ES2 (ESME) firmware 1.0", "0.500"),
    ]
    assert figure_titles(charts["chart-top"], "bar") == [
        f"{row[1]}: {row[4]} alerts per device per day" for row in rows
    ]
    assert rows[0][5:] == ["11.1", "+103%"] and rows[1][6] == "new this week"


def test_each_trend_chart_shows_the_weeks_of_the_table_beside_it(app, cast):
    html = text(client_for(app, cast, "other_party").get(f"/alerts/?{VIEW_ARGS}"))
    charts = svgs(html)
    trend_tables = [rows for caption, rows in tables(html) if caption.startswith("Alerts per")]
    assert len(trend_tables) == 3
    for n, rows in enumerate(trend_tables, start=1):
        drawn = figure_titles(charts[f"chart-trend-{n}"], "point")
        shown = [f"{week[4:10]}: {rate} alerts per device per day" for week, rate, _ in rows]
        assert drawn == [
            s for s, (_, rate, _) in zip(shown, rows, strict=True) if rate != NO_FIGURE
        ]
    assert trend_tables[0] == [
        ["w/c 03 Mar 2025", "5.50", "No"],
        ["w/c 10 Mar 2025", "11.1", "Yes"],
    ]


def test_choosing_a_region_and_an_alert_code(app, cast):
    client = client_for(app, cast, "other_party")
    html = text(client.get(f"/alerts/?{VIEW_ARGS}&region=north&alert_code=8014&show=Show+alerts"))
    assert "north; 8014 Power Factor Threshold Below" in html
    assert re.search(r'<option selected value="north">|<option value="north" selected>', html)
    (_, rows), *_ = tables(html)
    assert [(row[1], row[4]) for row in rows] == [
        ("AM-E470 (ESME) firmware 3.2.1", "15.0"),
        ("BF-ES2 (ESME) firmware 1.0", "0.500"),
    ]


def test_a_choice_that_is_not_on_offer_is_explained(app, cast):
    response = client_for(app, cast, "other_party").get("/alerts/?ending=2024-01-01&region=west")
    assert response.status_code == 422
    html = text(response)
    assert "There is a problem" in html and "Not a valid choice" in html


def test_without_volumes_the_page_says_so(app, make_user):
    client = app.test_client()
    user = make_user("party")
    client.post("/auth/login", data={"email": user.email, "password": user.password})
    html = text(client.get("/alerts/"))
    assert "No alert volumes have been imported yet." in html


def read_csv(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_ranking_downloads_as_csv_with_the_figures_shown(app, cast):
    client = client_for(app, cast, "other_party")
    response = client.get(f"/alerts/top.csv?{VIEW_ARGS}")
    assert response.status_code == 200
    assert 'filename="alerts-top-2w-2025-03-10.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [
        "Rank",
        "Device type",
        "Model",
        "Firmware",
        "Devices a day",
        "Alerts",
        "Alerts per device per day",
        "Latest week",
        "Change on the week before (%)",
    ]
    assert rows[1] == [
        "1",
        "ESME",
        "AM-E470",
        "3.2.1",
        "20.0",
        "2330",
        "8.3214",
        "11.1429",
        "102.6",
    ]
    assert rows[2][-1] == "new this week"
    assert (
        rows[4] == []
        and rows[5][0] == "Table"
        and rows[6] == ["Disclaimer", app.config["DISCLAIMER"]]
    )
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "alerts.exported")
        )
        assert event.object_id == "alerts-top-2w-2025-03-10.csv"


def test_rankings_name_dmcs_by_model_codes_and_only_the_dmc_page_names_the_manufacturer(app, cast):
    """No manufacturer beside a rank (a league table of manufacturers): not in the ranking
    or the list above the threshold, their charts and CSVs, nor the dashboard's trends."""
    makers = [dmc[1] for dmc in (DMC_A, DMC_B, DMC_C)]
    # The whole name, and its first word (as a reader would still recognise it).
    names = [n for maker in makers for n in (maker, maker.split()[0])]
    client = client_for(app, cast, "other_party")
    dashboard = text(client.get(f"/alerts/?{VIEW_ARGS}"))
    downloads = {
        path: client.get(f"{path}?{VIEW_ARGS}").get_data(as_text=True)
        for path in ("/alerts/top.csv", "/alerts/above.csv")
    }
    ranked, above = tables(dashboard)[:2]
    assert len(ranked[1]) == 3 and len(above[1]) == 2  # the figures are there ...
    assert (
        "AM-E470 (ESME) firmware 3.2.1" in dashboard and "AM-E470" in downloads["/alerts/top.csv"]
    )
    for name in names:  # ... and no manufacturer anywhere on the page or in its downloads
        assert name not in dashboard, name
        for path, body in downloads.items():
            assert name not in body, (path, name)
    for model, dmc in (("AM-E470", DMC_A), ("CC-CH3N", DMC_C)):
        page = text(client.get(f"/alerts/dmc/{dmc_id(app, model)}?{VIEW_ARGS}"))
        assert f"<h1>{dmc[1]} {model} ({dmc[0]}) firmware {dmc[3]}</h1>" in page
        assert f'<dd class="col-sm-9">{dmc[1]}' in page


def test_every_table_downloads(app, cast):
    client = client_for(app, cast, "other_party")
    a = dmc_id(app, "AM-E470")
    for path in ("/alerts/above.csv", f"/alerts/dmc/{a}/profile.csv", f"/alerts/dmc/{a}/trend.csv"):
        response = client.get(f"{path}?{VIEW_ARGS}")
        assert response.status_code == 200, path
        assert len(read_csv(response)) > 4
    assert client.get(f"/alerts/dmc/{a}/profile.csv?{VIEW_ARGS}&alert_code=8014").status_code == 200
    assert client.get("/alerts/other.csv").status_code == 404


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(app, cast):
    with app.app_context():
        import_rows([GOOD_ROW.replace("AM-E470", '=HYPERLINK("x")').replace("3.2.1", "@SUM(A1)")])
    rows = read_csv(client_for(app, cast, "other_party").get(f"/alerts/top.csv?{VIEW_ARGS}"))
    hostile = next(row for row in rows if row and row[3].endswith("SUM(A1)"))
    assert hostile[2:4] == ['\'=HYPERLINK("x")', "'@SUM(A1)"]
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_a_dmc_links_the_records_that_mention_it_as_the_policy_allows(app, cast):
    with app.app_context():
        published = walk_to(cast, ReportState.published).reference
        submitted = walk_to(cast, ReportState.submitted, title="Not yet validated").reference
        legacy_import.import_stream(io.BytesIO(LEGACY.encode()), actor=None)
    a = dmc_id(app, "AM-E470")
    html = text(client_for(app, cast, "other_party").get(f"/alerts/dmc/{a}?{VIEW_ARGS}"))
    assert f'href="/reports/{published}"' in html
    assert submitted not in html
    assert 'href="/legacy/INC0040001"' in html and "firmware 3.2.1" in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    colleague = text(client_for(app, cast, "colleague").get(f"/alerts/dmc/{a}?{VIEW_ARGS}"))
    assert submitted in colleague
    assert "Start a draft report" not in colleague
    b = dmc_id(app, "BF-ES2")
    assert "None that you can see." in text(
        client_for(app, cast, "colleague").get(f"/alerts/dmc/{b}")
    )


def test_a_validator_starts_a_draft_report_from_a_dmcs_alert_profile(app, cast):
    client = client_for(app, cast, "validator")
    a = dmc_id(app, "AM-E470")
    page = text(client.get(f"/alerts/dmc/{a}?{VIEW_ARGS}"))
    assert "Start a draft report from this alert profile" in page
    response = client.post(f"/alerts/dmc/{a}/draft?{VIEW_ARGS}")
    assert response.status_code == 302
    key = re.match(r"/reports/(draft-\d+)/edit", response.location).group(1)
    assert "Draft report created from the alert profile" in text(client.get(response.location))
    with app.app_context():
        report = db.session.scalar(sa.select(Report))
        assert reports.key_of(report) == key and report.state == ReportState.draft
        assert report.title == (
            "Superfluous alerts 8014, 8F35 from Aldermoor Metering Ltd AM-E470 (ESME) firmware 3.2.1"
        )
        assert (
            "8014 Power Factor Threshold Below, North: 2,100 alerts from 10 Devices a day, 15.0"
            in (report.description)
        )
        assert (report.regions, report.alert_codes, report.affected_count) == (
            ["north", "south"],
            ["8014", "8F35"],
            20,
        )
        (device,) = report.devices
        assert (device.device_model_id, device.firmware_version) == (
            cast.models["AM-E470"],
            "3.2.1",
        )
        assert report.events[0].action == reports.ALERTS_EVENT
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "alerts.draft_created")
        )
        assert event.object_id == str(a) and key in event.summary
        with pytest.raises(ValidationFailed, match="pre-filled"):
            reports.submit(actor=cast.user("validator"), key=key, seen_version=report.version)


def test_only_validators_start_drafts_and_only_from_volumes(app, cast):
    a, c = dmc_id(app, "AM-E470"), dmc_id(app, "CC-CH3N")
    assert client_for(app, cast, "author").post(f"/alerts/dmc/{a}/draft").status_code == 403
    validator = client_for(app, cast, "validator")
    assert validator.post("/alerts/dmc/999999/draft").status_code == 404
    response = validator.post(f"/alerts/dmc/{c}/draft?{VIEW_ARGS}&alert_code=8014")
    assert response.status_code == 422 and "has no alert volumes" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_a_draft_needs_the_forms_token(app, cast):
    client = client_for(app, cast, "validator")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/alerts/dmc/{dmc_id(app, 'AM-E470')}/draft").status_code == 400


def test_a_validator_imports_an_extract_through_the_page(app, cast):
    client = client_for(app, cast, "validator")
    page = client.get("/alerts/import")
    assert page.status_code == 200 and 'for="file"' in text(page)
    data = extract(
        [GOOD_ROW.replace("2025-03-03", "2025-03-17"), GOOD_ROW.replace("north", "west")]
    )
    response = client.post(
        "/alerts/import",
        data={"file": (io.BytesIO(data), "extract.csv")},
        content_type="multipart/form-data",
    )
    html = text(response)
    assert response.status_code == 200
    assert "2 rows read: 1 inserted, 0 updated, 0 unchanged, 1 rejected" in html
    assert "<td>3</td><td>unknown region &#39;west&#39; (north, central or south)</td>" in html
    assert client_for(app, cast, "author").get("/alerts/import").status_code == 403


def test_the_command_imports_a_file_and_lists_rejected_rows(app, cast, runner, tmp_path):
    path = tmp_path / "extract.csv"
    path.write_bytes(extract([GOOD_ROW.replace("2025-03-03", "2025-03-18"), "x,y"]))
    result = runner.invoke(args=["alerts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "line 3: wrong column count: 2 fields, expected 9" in result.stderr
    assert "2 rows read: 1 inserted, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    path.write_bytes(extract(["x,y"]))
    assert runner.invoke(args=["alerts", "import", str(path)]).exit_code == 1


def test_the_dashboard_says_when_an_import_has_not_finished_its_weekly_sums(app, cast):
    with app.app_context():
        a = db.session.scalar(sa.select(AlertDmc.id).where(AlertDmc.model == "AM-E470"))
        # A batch committed by an import that stopped before re-summing its weeks.
        alerts_store.write_batch(
            [(a, "8014", "north", "2025-03-12", "2025-03-10", "2025-03-17", 1, 1)]
        )
    html = text(client_for(app, cast, "other_party").get(f"/alerts/?{VIEW_ARGS}"))
    assert "An import is still bringing some weekly figures up to date" in html
