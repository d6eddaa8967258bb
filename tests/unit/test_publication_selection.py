"""Which records an edition holds (DESIGN §6), month by month, and as what."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Report
from app.services.publication_records import Month, finished_months, select_records
from tests.support.publications import published_on, revised_on, withdrawn_on
from tests.support.reports import build_cast, walk_to

FIX = {
    "fix_type": "firmware_update",
    "fix_firmware": "3.3.0",
    "fix_description": "Update the ESME to 3.3.0.",
}
JAN, FEB, MAR, APR = (Month(2025, m) for m in (1, 2, 3, 4))


def on(month: Month, day: int, hour: int = 10) -> datetime:
    return datetime(month.year, month.month, day, hour)


@pytest.fixture
def history(app):
    """Every record but H, I and L has a fix, checked by the DCC on approval.
    A: published in January, revised in March with a new fix (checked again).
    B: published in January, revised in February without touching the fix.
    C: published in January, withdrawn in February.
    D: security-sensitive, published in January.
    E: published in January as security-sensitive, revised in February to not be.
    F: approved, never published.
    G: published at 00:30 UK time on 1 April (still 31 March in UTC).
    H: published in January with a fix not yet checked; checked by a revision in March.
    I: published in January with no fix; revised in February, still with none.
    J: published in January, revised in February to remove the fix, again in March.
    K: published in January, revised in February with a new fix nobody has checked.
    L: published in January with no fix, withdrawn in February."""
    with app.app_context():
        cast = build_cast()
        a_fields = {"title": "A: HAN drop", **FIX}
        a = published_on(cast, on(JAN, 10), **a_fields)
        revised_on(cast, a, on(MAR, 3), a_fields, fix_checked=True, fix_firmware="3.3.1")
        b_fields = {"title": "B: clock drift", **FIX}
        b = published_on(cast, on(JAN, 12), **b_fields)
        revised_on(cast, b, on(FEB, 2), b_fields, title="B: clock drift of minutes")
        c = published_on(cast, on(JAN, 14), title="C: reverse energy", **FIX)
        withdrawn_on(cast, c, on(FEB, 20), reason="Cause was the head-end.")
        d = published_on(cast, on(JAN, 16), title="D: sensitive", security_sensitive=True, **FIX)
        e_fields = {"title": "E: was sensitive", "security_sensitive": True, **FIX}
        e = published_on(cast, on(JAN, 18), **e_fields)
        revised_on(cast, e, on(FEB, 5), e_fields, security_sensitive=False)
        f = walk_to(cast, "approved", title="F: approved only", **FIX)
        g = published_on(cast, datetime(2025, 3, 31, 23, 30), title="G: first of April", **FIX)
        h_fields = {"title": "H: fix checked later", **FIX}
        h = published_on(cast, on(JAN, 20), fix_checked=False, **h_fields)
        revised_on(cast, h, on(MAR, 6), h_fields, fix_checked=True)
        i_fields = {"title": "I: no fix"}
        i = published_on(cast, on(JAN, 21), **i_fields)
        revised_on(cast, i, on(FEB, 7), i_fields, title="I: still no fix")
        j_fields = {"title": "J: fix removed", **FIX}
        j = published_on(cast, on(JAN, 22), **j_fields)
        no_fix = {"fix_type": None, "fix_firmware": "", "fix_description": ""}
        revised_on(cast, j, on(FEB, 8), j_fields | no_fix, title="J: the fix did not work")
        revised_on(cast, j, on(MAR, 8), j_fields | no_fix, title="J: still no fix")
        k_fields = {"title": "K: new fix unchecked", **FIX}
        k = published_on(cast, on(JAN, 23), **k_fields)
        revised_on(cast, k, on(FEB, 9), k_fields, fix_firmware="3.4.0")
        l_ = published_on(cast, on(JAN, 24), title="L: no fix, withdrawn")
        withdrawn_on(cast, l_, on(FEB, 21), reason="Not a Device fault.")
        reports = (a, b, c, d, e, f, g, h, i, j, k, l_)
        return {
            name: report.reference for name, report in zip("ABCDEFGHIJKL", reports, strict=True)
        }


def by_reference(month: Month) -> dict:
    return {r.reference: r for r in select_records(month)}


def test_each_month_holds_what_happened_in_it(app, history):
    with app.app_context():
        selected = {m: set(by_reference(m)) for m in (Month(2024, 12), JAN, FEB, MAR, APR)}
    ref = history
    assert selected[Month(2024, 12)] == set()
    assert selected[JAN] == {ref[n] for n in "ABCJK"}
    assert selected[FEB] == {ref[n] for n in "BCEJK"}
    assert selected[MAR] == {ref["A"], ref["H"]}
    # Published at 00:30 on 1 April, UK time (BST), though still March in UTC.
    assert selected[APR] == {ref["G"]}


def test_security_sensitive_and_unpublished_records_are_never_selected(app, history):
    with app.app_context():
        everything = {r for m in (JAN, FEB, MAR, APR) for r in by_reference(m)}
    assert history["D"] not in everything
    assert history["F"] not in everything
    # E was sensitive when published in January: it enters only with the revision that
    # made it public.
    with app.app_context():
        assert history["E"] not in by_reference(JAN)
        assert by_reference(FEB)[history["E"]].change == "Revised"


def test_a_record_revised_later_shows_each_month_its_content_then(app, history):
    with app.app_context():
        january = by_reference(JAN)[history["A"]]
        march = by_reference(MAR)[history["A"]]
    assert (january.change, january.revision, january.fix_firmware) == ("Published", 1, "3.3.0")
    assert january.fix_changed  # the fix was added with the publication
    assert (march.change, march.revision, march.fix_firmware) == ("Revised", 2, "3.3.1")
    assert march.fix_changed and march.revised_on.month == 3
    assert "fix_firmware" in march.revision_note


def test_a_revision_that_leaves_the_fix_alone_is_not_a_fix_change(app, history):
    with app.app_context():
        february = by_reference(FEB)[history["B"]]
        january = by_reference(JAN)[history["B"]]
    assert february.change == "Revised" and not february.fix_changed
    assert february.title == "B: clock drift of minutes"
    assert january.title == "B: clock drift" and january.fix_changed  # published with it


def test_a_withdrawn_record_is_only_a_notice_in_every_edition(app, history):
    with app.app_context():
        february = by_reference(FEB)[history["C"]]
        january = by_reference(JAN)[history["C"]]
    assert february.change == "Withdrawn" and february.withdrawn
    assert february.withdrawal_reason == "Cause was the head-end."
    assert str(february.withdrawn_on) == "2025-02-20"
    # Built after the withdrawal, January's edition no longer carries the content.
    assert january.change == "Published" and january.withdrawn
    assert january.title == "" and january.description == "" and january.devices == []


def test_only_records_with_a_fix_checked_by_the_dcc_are_listed(app, history):
    """MP137 passes SECAS "incidences where a fix has been identified": a record without a
    fix, or whose fix the DCC has not checked, is in no edition (issue 14, 7b)."""
    with app.app_context():
        selected = {m: by_reference(m) for m in (JAN, FEB, MAR, APR)}
    everything = {r for held in selected.values() for r in held}
    assert history["I"] not in everything  # no fix, though published and revised
    assert history["L"] not in everything  # no fix: never listed, so no withdrawal notice
    # H's fix was not checked on approval: it enters only with the revision that checks it.
    assert history["H"] not in selected[JAN] and history["H"] not in selected[FEB]
    march = selected[MAR][history["H"]]
    assert (march.change, march.fix_checked, march.fix_changed) == ("Revised", True, False)
    assert march.revision_note == "The fix was checked."
    # Every record listed shows a checked fix; only J and K, below, are notices without one.
    shown = [r for held in selected.values() for r in held.values() if not r.withdrawn]
    assert {r.reference for r in shown if not r.fix_checked} == {history["J"], history["K"]}


def test_a_listed_record_that_loses_its_checked_fix_is_a_revision_notice(app, history):
    with app.app_context():
        january = by_reference(JAN)
        february = by_reference(FEB)
        march = by_reference(MAR)
    assert january[history["J"]].fix_checked and january[history["K"]].fix_checked
    # J: the revision removed the fix. K: a new fix nobody has checked yet.
    removed, unchecked = february[history["J"]], february[history["K"]]
    for notice in (removed, unchecked):
        assert notice.change == "Revised" and notice.fix_withdrawn and not notice.withdrawn
    assert removed.fix_type == "" and removed.title == "J: the fix did not work"
    assert (unchecked.fix_type, unchecked.fix_firmware) == ("Firmware update", "3.4.0")
    assert unchecked.fix_changed
    # The correction was made once: J's later revision, still without a fix, is not listed.
    assert history["J"] not in march and history["K"] not in march


def test_a_fix_changed_without_an_answer_is_no_longer_checked(app, history):
    """A revision that changes the fix resets the check until the validator confirms it;
    one that leaves the fix alone keeps it; one that says so checks the new fix."""
    with app.app_context():
        reports = {
            name: db.session.scalar(sa.select(Report).where(Report.reference == history[name]))
            for name in "ABHK"
        }
        assert reports["K"].fix_validated is False  # new fix, no answer
        assert reports["B"].fix_validated is True  # fix untouched
        assert reports["A"].fix_validated is True  # new fix, answered Yes
        assert reports["H"].fix_validated is True  # checked by a later revision
        snapshots = [r.snapshot["fix_validated"] for r in reports["K"].revisions]
        assert snapshots == [True, False]


def test_record_content_comes_from_the_published_snapshot(app, history):
    with app.app_context():
        record = by_reference(JAN)[history["A"]]
    assert record.kind == "Defect"
    assert record.device_types == ["ESME", "CHF"]
    assert record.manufacturers == ["Aldermoor Metering Ltd", "Brackenfield Devices"]
    assert record.regions == ["North", "Central"]
    assert record.alert_codes == ["8F35", "N24"]
    assert record.fix_type == "Firmware update"
    assert record.revision_note == "First publication."


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-03", Month(2026, 3)), ("2026-12", Month(2026, 12)), (" 2025-01 ", Month(2025, 1))],
)
def test_months_parse(text, expected):
    assert Month.parse(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "", "2026-03-01", "march"])
def test_bad_months_are_refused(text):
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        Month.parse(text)


def test_uk_month_bounds_follow_summer_time():
    assert Month(2025, 4).starts == datetime(2025, 3, 31, 23, 0)  # BST
    assert Month(2025, 1).starts == datetime(2025, 1, 1, 0, 0)  # GMT
    assert Month(2025, 12).ends == datetime(2026, 1, 1, 0, 0)
    assert Month(2025, 1).previous() == Month(2024, 12)


def test_the_autumn_clock_change_keeps_every_moment_in_its_uk_month(app):
    """BST ends on the last Sunday of October (26 October 2025) at 01:00 UTC, when 02:00
    BST becomes 01:00 GMT. October runs from 23:00 UTC on 30 September (BST) to midnight UTC
    on 1 November (GMT)."""
    sep, octo, nov = Month(2025, 9), Month(2025, 10), Month(2025, 11)
    assert octo.starts == datetime(2025, 9, 30, 23, 0)
    assert octo.ends == nov.starts == datetime(2025, 11, 1, 0, 0)
    moments = {
        "first hour of October (BST)": datetime(2025, 9, 30, 23, 30),
        "01:30 BST, before the change": datetime(2025, 10, 26, 0, 30),
        "01:30 GMT, after the change": datetime(2025, 10, 26, 1, 30),
        "last hour of October (GMT)": datetime(2025, 10, 31, 23, 30),
        "first minute of November": datetime(2025, 11, 1, 0, 0),
    }
    assert Month.containing(moments["01:30 BST, before the change"]) == octo
    assert Month.containing(moments["last hour of October (GMT)"]) == octo
    assert Month.containing(moments["first minute of November"]) == nov
    with app.app_context():
        cast = build_cast()
        refs = {
            name: published_on(cast, when, title=name, **FIX).reference
            for name, when in moments.items()
        }
        selected = {m: set(by_reference(m)) for m in (sep, octo, nov)}
    assert selected[sep] == set()
    assert selected[octo] == {refs[name] for name in list(moments)[:4]}
    assert selected[nov] == {refs["first minute of November"]}


def test_a_record_made_security_sensitive_after_it_was_issued_leaves_every_edition(app):
    with app.app_context():
        cast = build_cast()
        fields = {"title": "Later found sensitive", **FIX}
        report = published_on(cast, on(JAN, 10), **fields)
        assert report.reference in by_reference(JAN)
        revised_on(cast, report, on(FEB, 4), fields, security_sensitive=True)
        # January's edition (built again) and February's no longer hold it at all.
        assert report.reference not in by_reference(JAN)
        assert report.reference not in by_reference(FEB)


def test_the_page_offers_only_finished_months_the_month_just_completed_first():
    months = finished_months()
    assert months[0] == Month.current().previous()
    assert Month.current() not in months and len(months) == 24
    assert months == sorted(months, reverse=True)


def test_seed_demo_gives_two_months_with_records_to_publish(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    last = Month.current().previous()
    with app.app_context():
        changes = {m: sorted(r.change for r in select_records(m)) for m in (last, last.previous())}
    assert all("Published" in held for held in changes.values()), changes
    assert "Revised" in changes[last] and "Withdrawn" in changes[last], changes
