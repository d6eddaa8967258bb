"""The tracker's figures on a small data set worked out by hand (tests/support/alerts.py):
alerts per device per day, the ranking, week-on-week change, the threshold and one DMC's
profile, for every choice of region and alert code.

Worked out: A counts 20 Devices a day (10 north, 10 south), 140 device-days a week, 280 in
the period, whatever the alert code: its 8F35 rows on three days do not shrink them. A has
770 alerts in week 1 (5.5 a device a day) and 1,560 in week 2 (1,560 / 140 = 11.142857,
+102.6%), 2,330 over the period (8.321429); 8F35 alone is 90 / 280 = 0.321429. In the north
alone (140 device-days): 2,190 alerts (15.642857); 8014 there is 15.0 (10.0 then 20.0), 8F35
0.642857 (90 in week 2 only: 1.285714). B is 0.5 every week. C has only week 2: 7.0.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.extensions import db
from app.models import User
from app.services import alerts
from app.services.alert_codes import alert_label
from app.services.alerts_export import csv_cells
from app.services.alerts_tables import NO_FIGURE, Column, format_change
from tests.support.alerts import VIEW, WEEK_1, WEEK_2, hand_checked_rows, import_rows
from tests.support.reports import build_cast

A_PERIOD = 2330 / 280
A_WEEK_2 = 1560 / 140


@pytest.fixture
def reader(app):
    """A SEC Party user (who may see the figures of every DMC), with the data imported."""
    with app.app_context():
        cast = build_cast()
        import_rows(hand_checked_rows())
        return cast.users["other_party"]


def board_for(app, reader_id, view, threshold=6.0):
    app.config["ALERTS_THRESHOLD_PER_DEVICE_DAY"] = threshold
    return alerts.dashboard(db.session.get(User, reader_id), view)


def ranking(board) -> list[tuple[str, float]]:
    return [(f.dmc.model, round(f.rate, 6)) for f in board.ranked]


def test_dmcs_are_ranked_by_alerts_per_device_per_day(app, reader):
    with app.app_context():
        board = board_for(app, reader, VIEW)
        assert ranking(board) == [("AM-E470", 8.321429), ("CC-CH3N", 7.0), ("BF-ES2", 0.5)]
        a = board.ranked[0]
        assert a.alerts == 2240 + 90
        assert a.devices == 20  # 8014: 10 a day in the north and 10 in the south
        assert board.dmc_count == 3


def test_week_on_week_change(app, reader):
    with app.app_context():
        a, c, b = board_for(app, reader, VIEW).ranked
        assert (a.previous, a.latest) == (5.5, pytest.approx(A_WEEK_2))
        assert a.change == pytest.approx(A_WEEK_2 / 5.5 - 1)
        assert (c.previous, c.latest, c.change) == (None, 7.0, None)
        assert (b.previous, b.latest, b.change) == (0.5, 0.5, 0.0)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"region": "north"}, [("AM-E470", 15.642857), ("BF-ES2", 0.5)]),
        ({"region": "south"}, [("CC-CH3N", 7.0), ("AM-E470", 1.0)]),
        ({"alert_code": "8F35"}, [("CC-CH3N", 7.0), ("AM-E470", 0.321429)]),
        ({"alert_code": "8014", "region": "south"}, [("AM-E470", 1.0)]),
        ({"weeks": 1}, [("AM-E470", 11.142857), ("CC-CH3N", 7.0), ("BF-ES2", 0.5)]),
        ({"ending": WEEK_1, "weeks": 1}, [("AM-E470", 5.5), ("BF-ES2", 0.5)]),
        ({"alert_code": "8015"}, []),
    ],
)
def test_region_alert_code_and_period_narrow_the_figures(app, reader, choice, expected):
    with app.app_context():
        assert ranking(board_for(app, reader, replace(VIEW, **choice))) == expected


def test_dmcs_above_the_threshold_in_the_latest_week(app, reader):
    with app.app_context():
        board = board_for(app, reader, VIEW, threshold=6.0)
        assert [(f.dmc.model, f.latest, f.weeks_above) for f in board.above] == [
            ("AM-E470", pytest.approx(A_WEEK_2), 1),
            ("CC-CH3N", 7.0, 1),
        ]
        assert [f.dmc.model for f in board_for(app, reader, VIEW, threshold=5.0).above] == [
            "AM-E470",
            "CC-CH3N",
        ]
        four = replace(VIEW, weeks=4)
        assert [f.weeks_above for f in board_for(app, reader, four, threshold=5.0).above] == [2, 1]
        # Above means strictly above: C's 7.0 is not above a threshold of 7.0.
        assert [f.dmc.model for f in board_for(app, reader, VIEW, threshold=7.0).above] == [
            "AM-E470"
        ]
        assert board_for(app, reader, VIEW, threshold=11.2).above == []


def test_the_trend_of_the_top_dmcs_week_by_week(app, reader):
    with app.app_context():
        app.config["ALERTS_TREND_CHARTS"] = 2
        board = board_for(app, reader, VIEW)
        assert [(f.dmc.model, f.weekly) for f in board.trends] == [
            ("AM-E470", {WEEK_1: 5.5, WEEK_2: pytest.approx(A_WEEK_2)}),
            ("CC-CH3N", {WEEK_2: 7.0}),
        ]


def test_one_dmcs_profile_by_alert_code_and_region(app, reader):
    with app.app_context():
        a = board_for(app, reader, VIEW).ranked[0]
        profile = alerts.dmc_profile(db.session.get(User, reader), a.dmc_id, VIEW)
        rows = [
            (code, region, round(f.rate, 6), f.latest and round(f.latest, 6), f.previous)
            for code, region, f in profile.rows
        ]
        assert rows == [
            ("8014", "north", 15.0, 20.0, 10.0),
            ("8014", "south", 1.0, 1.0, 1.0),
            ("8F35", "north", 0.642857, 1.285714, None),  # no 8F35 row in week 1
        ]
        assert profile.regions == ["north", "south"]
        assert profile.alert_codes == ["8014", "8F35"]
        assert profile.total.rate == pytest.approx(A_PERIOD)
        assert profile.total.weekly == {WEEK_1: 5.5, WEEK_2: pytest.approx(A_WEEK_2)}


def test_the_choices_offered_are_the_weeks_and_alert_codes_with_volumes(app, reader):
    with app.app_context():
        offered = alerts.options(db.session.get(User, reader))
        assert offered.weeks == [WEEK_2, WEEK_1]
        assert offered.alert_codes == ["8014", "8F35"]
        assert offered.default_view() == replace(VIEW, weeks=alerts.DEFAULT_WEEKS)


def test_alert_codes_are_named_where_known():
    assert alert_label("8F35") == "8F35 Supply Outage Restored"
    assert alert_label("8014") == "8014 Power Factor Threshold Below"
    assert alert_label("8015") == "8015 Power Factor Threshold OK"
    assert alert_label("8ABC") == "8ABC"


@pytest.mark.parametrize(
    ("previous", "latest", "on_the_page", "in_the_csv"),
    [
        (5.5, 11.0, "+100%", [100.0]),
        (None, 7.0, "new this week", ["new this week"]),
        (0.0, 2.0, "up from 0", ["up from 0"]),  # a storm starting from nothing
        (0.0, 0.0, "none either week", ["none either week"]),
        (4.0, None, NO_FIGURE, [""]),
    ],
)
def test_the_page_and_the_csv_say_the_same_change(previous, latest, on_the_page, in_the_csv):
    entry = alerts.DmcFigures(1, 0, 0.0, 0.0, latest=latest, previous=previous)
    assert format_change(entry) == on_the_page
    assert csv_cells(entry, Column("Change", "change")) == in_the_csv
