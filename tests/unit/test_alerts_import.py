"""Importing daily alert-volume extracts: good rows with their weekly sums, re-import that
changes nothing, replaced rows re-summed, catalogue spellings, every bad row reported by
its line number with the reason, and an import stopped halfway (by the database or by the
reader) leaving whole batches that a re-run completes."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import date, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AlertDmc, AlertVolume, AlertWeek, AuditEvent, Manufacturer
from app.services import alerts_import, alerts_store
from app.services.csv_input import RowError
from tests.support.alerts import HEADER, WEEK_1, extract, hand_checked_rows, import_rows
from tests.support.reports import build_cast

GOOD = "2025-03-03,north,8014,ESME,Aldermoor Metering Ltd,AM-E470,3.2.1,100,10"


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = build_cast()
        db.session.get(Manufacturer, cast.makers["aldermoor"]).aliases = ["AML"]
        db.session.commit()
        return cast


def stored() -> tuple[int, int, int]:
    count = sa.func.count()
    return (
        db.session.scalar(sa.select(count).select_from(AlertVolume)),
        db.session.scalar(sa.select(count).select_from(AlertWeek)),
        db.session.scalar(sa.select(count).select_from(AlertDmc)),
    )


def week_row(model: str, code: str, region: str, week: date) -> AlertWeek:
    return db.session.scalar(
        sa.select(AlertWeek)
        .join(AlertDmc, AlertDmc.id == AlertWeek.dmc_id)
        .where(AlertDmc.model == model, AlertWeek.alert_code == code)
        .where(AlertWeek.region == region, AlertWeek.week == week)
    )


def test_good_rows_are_stored_with_their_weekly_sums(app, cast):
    with app.app_context():
        summary = import_rows(hand_checked_rows(), source="extract.csv")
        assert (summary.read, summary.inserted, summary.rejected, summary.new_dmcs) == (
            52,
            52,
            0,
            3,
        )
        assert stored() == (52, 8, 3)
        week = week_row("AM-E470", "8014", "north", WEEK_1)
        assert (week.alert_count, week.device_days, week.days) == (700, 70, 7)
        assert week_row("AM-E470", "8F35", "north", WEEK_1 + timedelta(weeks=1)).days == 3
        dmc = db.session.scalar(sa.select(AlertDmc).where(AlertDmc.model == "AM-E470"))
        assert dmc.manufacturer_id == cast.makers["aldermoor"]
        assert not alerts_store.has_pending()
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "alerts.imported")
        )
        assert event.object_id == "extract.csv" and "52 inserted" in event.summary


def test_importing_the_same_file_again_changes_and_adds_nothing(app, cast):
    with app.app_context():
        import_rows(hand_checked_rows())
        before = stored()
        again = import_rows(hand_checked_rows())
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 52)
        assert stored() == before


def test_a_changed_row_replaces_the_stored_one_and_its_week_is_summed_again(app, cast):
    with app.app_context():
        import_rows(hand_checked_rows())
        summary = import_rows([GOOD.replace(",100,10", ",170,12")])
        assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 0)
        week = week_row("AM-E470", "8014", "north", WEEK_1)
        assert (week.alert_count, week.device_days) == (770, 72)


def test_catalogue_spellings_make_one_dmc_in_the_catalogues_words(app, cast):
    with app.app_context():
        summary = import_rows(
            [
                GOOD,
                "2025-03-04, North ,0x8014,esme,AML,am-e470,3.2.1,5,10",
                "2025-03-05,CSP north,8014,ESME,aldermoor  metering ltd,AM-E470,3.2.1,5,10",
            ]
        )
        assert summary.inserted == 3 and summary.new_dmcs == 1
        dmc = db.session.scalar(sa.select(AlertDmc))
        assert (dmc.manufacturer, dmc.model, dmc.device_type.value) == (
            "Aldermoor Metering Ltd",
            "AM-E470",
            "ESME",
        )


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_a_row_repeated_later_in_the_file_replaces_the_earlier(app, cast, batch_size):
    with app.app_context():
        later = GOOD.replace(",100,10", ",300,10")
        other = GOOD.replace("2025-03-03", "2025-03-04")
        summary = import_rows([GOOD, other, later], batch_size=batch_size)
        assert summary.inserted == 2 and summary.updated == 1
        assert week_row("AM-E470", "8014", "north", WEEK_1).alert_count == 400


def test_batches_are_committed_with_progress_reported(app, cast):
    with app.app_context():
        seen: list[int] = []
        summary = import_rows(hand_checked_rows(), batch_size=10, progress=seen.append)
        assert seen == sorted(seen) and seen[-1] == summary.read == 52 and len(seen) == 6
        assert stored()[0] == 52


def test_a_batch_with_some_rows_stored_already_is_upserted_and_counted(app, cast):
    # New batches are copied straight in on PostgreSQL; one meeting a stored row is not.
    rows = hand_checked_rows()
    fields = rows[45].split(",")
    before = [*rows[42:45], ",".join([*fields[:-2], "1", fields[-1]]), *rows[46:]]
    with app.app_context():
        import_rows(before)
        summary = import_rows(rows, batch_size=10)
        assert (summary.inserted, summary.updated, summary.unchanged) == (42, 1, 9)
        assert stored()[0] == 52
        assert weekly_sums_agree_with_the_days()


# A week ahead, not tomorrow: the run may cross midnight between collection and import.
FUTURE = (date.today() + timedelta(days=7)).isoformat()
BAD_ROWS = [
    (GOOD.replace("2025-03-03", "2025-02-30"), "bad date '2025-02-30'"),
    (GOOD.replace("2025-03-03", "03-03-2025"), "bad date"),
    (GOOD.replace("2025-03-03", FUTURE), f"date {FUTURE} is in the future"),
    (GOOD.replace("2025-03-03", "2001-03-03"), "is before 2010-01-01"),
    (GOOD.replace("north", "west"), "unknown region 'west'"),
    (GOOD.replace("north", "all"), "unknown region 'all'"),
    (GOOD.replace("8014", "ZZ99Q"), "bad alert code 'ZZ99Q'"),
    (GOOD.replace("8014", "8F3"), "bad alert code '8F3'"),
    (GOOD.replace("ESME", "METER"), "unknown device type 'METER'"),
    (GOOD.replace(",100,10", ",-5,10"), "alert_count is negative (-5)"),
    (GOOD.replace(",100,10", ",1.5,10"), "alert_count is not a whole number ('1.5')"),
    (GOOD.replace(",100,10", ",100,ten"), "device_count is not a whole number ('ten')"),
    (GOOD.replace(",100,10", ",99999999999,10"), "alert_count 99999999999 is too large"),
    (GOOD.replace(",100,10", ",100,0"), "alert_count 100 with device_count 0"),
    (GOOD.replace(",100,10", ",100,"), "missing device_count"),
    (GOOD.replace("Aldermoor Metering Ltd", ""), "missing manufacturer"),
    (GOOD.replace(",3.2.1", ",  "), "missing firmware"),
    (GOOD.replace(",100,10", ",100"), "wrong column count: 8 fields, expected 9"),
    (GOOD + ",extra", "wrong column count: 10 fields, expected 9"),
    (GOOD.replace("AM-E470", "AM-\x07E470"), "control character or invalid UTF-8 in model"),
    # Not well-formed in XML, and the name is drawn into the SVG charts.
    (GOOD.replace("AM-E470", "AM-\uffffE470"), "control character or invalid UTF-8 in model"),
    (
        GOOD.replace("Aldermoor", "Alder\x85moor"),
        "control character or invalid UTF-8 in manufacturer",
    ),
    (GOOD.replace("3.2.1", "3" * 41), "firmware longer than 40 characters"),
    (GOOD.replace("AM-E470", '"AM"E470'), "unreadable CSV"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_the_rest_are_imported(app, cast, row, reason):
    other = GOOD.replace("2025-03-03", "2025-03-04")
    with app.app_context():
        summary = import_rows([GOOD, row, other])
        assert summary.inserted == 2 and summary.rejected == 1
        (error,) = summary.errors
        assert error.line == 3
        assert reason in error.reason


def test_undecodable_bytes_reject_their_row_only(app, cast):
    data = extract([GOOD, GOOD.replace("2025-03-03", "2025-03-04")]).replace(
        b"AM-E470", b"AM-\xff", 1
    )
    with app.app_context():
        summary = alerts_import.import_stream(io.BytesIO(data), actor=None)
        assert summary.errors == [RowError(2, "control character or invalid UTF-8 in model")]
        assert summary.inserted == 1


def test_line_numbers_count_physical_lines_of_quoted_fields(app, cast):
    spanning = GOOD.replace("AM-E470", '"AM-E470\nsecond line"')
    with app.app_context():
        summary = import_rows([spanning, GOOD.replace("north", "west")])
        # The first row takes lines 2 and 3 (and a line break is no part of a model name).
        assert [e.line for e in summary.errors] == [2, 4]
        assert "control character" in summary.errors[0].reason


def test_a_header_without_the_columns_rejects_the_file(app, cast):
    data = (HEADER.replace("device_count", "devices") + "\n" + GOOD + "\n").encode()
    with app.app_context():
        summary = alerts_import.import_stream(io.BytesIO(data), actor=None)
        assert summary.errors == [RowError(1, "the header lacks the column(s) device_count")]
        assert stored() == (0, 0, 0)


def test_columns_may_come_in_any_order(app, cast):
    names = HEADER.split(",")
    values = GOOD.split(",")
    order = list(reversed(range(len(names))))
    data = ",".join(names[i] for i in order) + "\n" + ",".join(values[i] for i in order) + "\n"
    with app.app_context():
        assert alerts_import.import_stream(io.BytesIO(data.encode()), actor=None).inserted == 1


def test_rejected_rows_beyond_the_listing_are_counted_not_kept(app, cast):
    bad = [GOOD.replace("north", "west")] * (alerts_import.MAX_LISTED_ERRORS + 5)
    with app.app_context():
        summary = import_rows(bad)
        assert summary.rejected == alerts_import.MAX_LISTED_ERRORS + 5
        assert len(summary.errors) == alerts_import.MAX_LISTED_ERRORS
        assert "the first 1,000 rejected rows are listed" in summary.text()


def test_weeks_left_pending_by_an_interrupted_import_are_summed_by_the_next(app, cast):
    with app.app_context():
        import_rows([GOOD])
        dmc_id = db.session.scalar(sa.select(AlertDmc.id))
        # A batch committed by an import that then stopped before re-summing its weeks.
        week = (WEEK_1.isoformat(), (WEEK_1 + timedelta(weeks=1)).isoformat())
        alerts_store.write_batch([(dmc_id, "8014", "south", "2025-03-05", *week, 40, 4)])
        assert alerts_store.has_pending()
        assert week_row("AM-E470", "8014", "south", WEEK_1) is None
        import_rows([GOOD])
        assert not alerts_store.has_pending()
        assert week_row("AM-E470", "8014", "south", WEEK_1).alert_count == 40


# --- an import stopped halfway ----------------------------------------------------------

REFUSED = 666  # alerts on a row that the trigger below makes the database refuse
_REFUSE = {
    "sqlite": (
        [
            "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alert_volume "
            f"WHEN NEW.alert_count = {REFUSED} BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ],
        ["DROP TRIGGER IF EXISTS refuse_alerts"],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION refuse_alerts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.alert_count = {REFUSED} THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alert_volume "
            "FOR EACH ROW EXECUTE FUNCTION refuse_alerts()",
        ],
        [
            "DROP TRIGGER IF EXISTS refuse_alerts ON alert_volume",
            "DROP FUNCTION IF EXISTS refuse_alerts()",
        ],
    ),
}


@pytest.fixture
def refusal(app, backend):
    """The database refuses a row with REFUSED alerts, as a full disk or a lost connection
    would fail a batch: in the writer's own transaction, after earlier batches committed.
    Yields the function that lifts the refusal, to call inside the test's app context (the
    PostgreSQL schema outlives the test, so it is lifted at the end in any case)."""
    create, drop = _REFUSE[backend]

    def run(statements: list[str]) -> None:
        for statement in statements:
            db.session.execute(sa.text(statement))
        db.session.commit()

    with app.app_context():
        run(create)
    yield lambda: run(drop)
    with app.app_context():
        run(drop)


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "alerts-import-writer"]


def weekly_sums_agree_with_the_days() -> bool:
    expected: Counter = Counter()
    for row in db.session.scalars(sa.select(AlertVolume)):
        group = (row.day - timedelta(days=row.day.weekday()), row.alert_code, row.region)
        expected[(*group, row.dmc_id)] += 1
        expected[(*group, row.dmc_id, "alerts")] += row.alert_count
        expected[(*group, row.dmc_id, "devices")] += row.device_count
    found: Counter = Counter()
    for week in db.session.scalars(sa.select(AlertWeek)):
        group = (week.week, week.alert_code, week.region, week.dmc_id)
        found[group] = week.days
        found[(*group, "alerts")] = week.alert_count
        found[(*group, "devices")] = week.device_days
    return found == expected


def test_a_batch_the_database_refuses_stops_the_import_with_whole_batches_stored(
    app, cast, refusal
):
    rows = hand_checked_rows()
    fields = rows[25].split(",")  # the sixth row of the third batch of ten
    rows[25] = ",".join([*fields[:-2], str(REFUSED), fields[-1]])
    with app.app_context():
        # COPY goes by the driver itself, so its errors come as the driver's.
        with pytest.raises((sa.exc.DBAPIError, psycopg.Error), match="refused"):
            import_rows(rows, batch_size=10)
        # The first two batches, not a row of the third or any after it.
        assert stored()[0] == 20
        assert alerts_store.has_pending()  # their weeks wait for the next import
        assert not writer_threads()
        refusal()
        summary = import_rows(rows, batch_size=10)
        assert (summary.inserted, summary.updated, summary.unchanged) == (32, 0, 20)
        assert not alerts_store.has_pending()
        assert weekly_sums_agree_with_the_days()


def test_an_import_interrupted_while_reading_keeps_whole_batches_only(app, cast):
    def interrupt(read: int) -> None:
        if read >= 20:
            raise KeyboardInterrupt  # as Ctrl-C would, in the reading thread

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            import_rows(hand_checked_rows(), batch_size=10, progress=interrupt)
        # The batch being written when it stopped is committed, the one waiting dropped.
        written = stored()[0]
        assert written in (10, 20)
        assert not writer_threads()
        summary = import_rows(hand_checked_rows(), batch_size=10)
        assert (summary.inserted, summary.unchanged) == (52 - written, written)
        assert weekly_sums_agree_with_the_days()


def test_a_row_refused_for_its_counts_creates_no_dmc(app, cast):
    with app.app_context():
        summary = import_rows([GOOD.replace("AM-E470", "AM-E999").replace(",100,10", ",-5,10")])
        assert summary.errors == [RowError(2, "alert_count is negative (-5)")]
        assert summary.new_dmcs == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDmc)) == 0
