"""The superfluous alerts tracker (DESIGN §8): which DMCs produce the most alerts per device,
per region and alert code, week by week. Everything is read from the weekly sums
(`alert_week`), never from the daily rows.

Alerts per device per day is the chosen alert codes' alerts divided by the DMC's
device-days: an extract row's device_count is the DMC's Devices in that region on that day,
so regions and days add up. Every code's rows count the same Devices, so the device-days of
a DMC in a region and week are taken once, from its code with the most: a code seen on one
day only (an extract may leave out days without alerts) is still divided by all the
Devices of the week.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import AlertDmc, AlertDmcWeek, AlertWeek, User
from app.models.alerts import ALERT_REGIONS
from app.services import alerts_store, policy
from app.services.alert_codes import alert_label
from app.services.errors import NotFound

PERIODS = (2, 4, 8, 13, 26, 52)  # weeks
DEFAULT_WEEKS = 13
MAX_WEEKS_OFFERED = 260


def region_label(region: str | None) -> str:
    return region.capitalize() if region else "All regions"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class View:
    """What the person chose: `weeks` whole ISO weeks ending with the week starting `ending`."""

    ending: date
    weeks: int = DEFAULT_WEEKS
    region: str | None = None
    alert_code: str | None = None

    @property
    def first(self) -> date:
        return self.ending - timedelta(weeks=self.weeks - 1)

    @property
    def week_list(self) -> list[date]:
        return [self.first + timedelta(weeks=n) for n in range(self.weeks)]

    def describe(self) -> str:
        code = alert_label(self.alert_code) if self.alert_code else "all alert codes"
        return (
            f"{self.weeks} weeks from {self.first:%d %b %Y} to the week of "
            f"{self.ending:%d %b %Y}; {region_label(self.region).lower()}; {code}"
        )

    def args(self) -> dict[str, str]:
        """As query arguments, for links that keep the choice."""
        return {
            "weeks": str(self.weeks),
            "ending": self.ending.isoformat(),
            "region": self.region or "",
            "alert_code": self.alert_code or "",
        }


@dataclass(frozen=True)
class Options:
    weeks: list[date]  # Mondays from the newest with data back, at most MAX_WEEKS_OFFERED
    alert_codes: list[str]

    def default_view(self) -> View | None:
        return View(ending=self.weeks[0]) if self.weeks else None


def options(actor: User) -> Options:
    policy.require(actor, "alerts.view")
    # Two queries: each reads one end of the key's index (one query for both scans it).
    first = db.session.scalar(sa.select(sa.func.min(AlertWeek.week)))
    last = db.session.scalar(sa.select(sa.func.max(AlertWeek.week)))
    if last is None:
        return Options([], [])
    count = min((last - first).days // 7 + 1, MAX_WEEKS_OFFERED)
    codes = db.session.scalars(
        sa.select(AlertWeek.alert_code).distinct().order_by(AlertWeek.alert_code)
    )
    return Options([last - timedelta(weeks=n) for n in range(count)], list(codes))


# --- figures ------------------------------------------------------------------------------


@dataclass
class DmcFigures:
    dmc_id: int
    alerts: int
    rate: float  # alerts per device per day over the period
    devices: float  # Devices a day on average
    latest: float | None = None  # alerts per device per day in the view's last week
    previous: float | None = None  # … and in the week before
    weekly: dict[date, float] = field(default_factory=dict)
    weeks_above: int = 0
    dmc: AlertDmc | None = None

    @property
    def change(self) -> float | None:
        """Week on week, as a fraction (0.25 is 25% more); None if there is no week before."""
        if self.latest is None or not self.previous:
            return None
        return self.latest / self.previous - 1


def _filtered(
    stmt: sa.Select, view: View, first: date, dmc_ids: list[int] | None, table=AlertWeek
) -> sa.Select:
    """The view's weeks, region and DMCs, and its alert code where `table` has codes."""
    stmt = stmt.where(table.week >= first, table.week <= view.ending)
    if view.region:
        stmt = stmt.where(table.region == view.region)
    if view.alert_code and hasattr(table, "alert_code"):
        stmt = stmt.where(table.alert_code == view.alert_code)
    if dmc_ids is not None:
        stmt = stmt.where(table.dmc_id.in_(dmc_ids))
    return stmt


def _ratio(numerator, denominator):
    return sa.cast(numerator, sa.Float) / sa.func.nullif(denominator, 0)


def _exposure(view: View, first: date, keys: list, dmc_ids: list[int] | None) -> sa.Subquery:
    """(keys…, device_days, devices): the DMCs' Devices counted each day, whatever alert
    codes were chosen (AlertDmcWeek)."""
    cells = _filtered(sa.select(AlertDmcWeek), view, first, dmc_ids, AlertDmcWeek).subquery()
    # Devices a day per region over the weeks, then added up over the regions.
    per_region = [cells.c[column.key] for column in keys if column.key != "region"]
    regions = (
        sa.select(
            *per_region,
            cells.c.region,
            sa.func.sum(cells.c.device_days).label("device_days"),
            _ratio(sa.func.sum(cells.c.device_days), sa.func.sum(cells.c.days)).label("devices"),
        )
        .group_by(*per_region, cells.c.region)
        .subquery()
    )
    shared = [regions.c[column.key] for column in keys]
    return (
        sa.select(
            *shared,
            sa.func.sum(regions.c.device_days).label("device_days"),
            sa.func.sum(regions.c.devices).label("devices"),
        )
        .group_by(*shared)
        .subquery()
    )


def _figures_select(view: View, first: date, by: tuple, dmc_ids: list[int] | None) -> sa.Select:
    """(by…, alerts, rate, devices) from the weekly sums from `first` to the view's end:
    the chosen alert codes' alerts divided by the DMCs' device-days (see _exposure)."""
    w = AlertWeek
    alerts = (
        _filtered(sa.select(*by, sa.func.sum(w.alert_count).label("alerts")), view, first, dmc_ids)
        .group_by(*by)
        .subquery()
    )
    keys = [column for column in by if column.key != "alert_code"]
    exposure = _exposure(view, first, keys, dmc_ids)
    joined = sa.and_(sa.true(), *(alerts.c[c.key] == exposure.c[c.key] for c in keys))
    return sa.select(
        *(alerts.c[column.key] for column in by),
        alerts.c.alerts,
        sa.func.coalesce(_ratio(alerts.c.alerts, exposure.c.device_days), 0.0).label("rate"),
        exposure.c.devices,
    ).join_from(alerts, exposure, joined)


def _figures(view: View, first: date, by: tuple, dmc_ids=None) -> dict[tuple, DmcFigures]:
    rows = db.session.execute(_figures_select(view, first, by, dmc_ids))
    return {
        tuple(key): DmcFigures(0, int(alerts or 0), float(rate or 0), float(devices or 0))
        for *key, alerts, rate, devices in rows
    }


def _weekly(view: View, first: date, by: tuple, dmc_ids=None) -> dict[tuple, dict[date, float]]:
    """{(by…): {week: alerts per device per day}}."""
    rates: dict[tuple, dict[date, float]] = defaultdict(dict)
    for (*key, week), entry in _figures(view, first, (*by, AlertWeek.week), dmc_ids).items():
        rates[tuple(key)][week] = entry.rate
    return rates


def _set_recent(entry: DmcFigures, weekly: dict[date, float], view: View) -> None:
    entry.latest = weekly.get(view.ending)
    entry.previous = weekly.get(view.ending - timedelta(weeks=1))


def _weeks_above(view: View, threshold: float, dmc_ids: list[int]) -> dict[int, int]:
    weekly = _figures_select(view, view.first, (AlertWeek.dmc_id, AlertWeek.week), dmc_ids)
    weekly = weekly.subquery()
    stmt = (
        sa.select(weekly.c.dmc_id, sa.func.count())
        .where(weekly.c.rate > threshold)
        .group_by(weekly.c.dmc_id)
    )
    return dict(db.session.execute(stmt).all())


def _attach(figures: list[DmcFigures]) -> list[DmcFigures]:
    dmcs = {
        d.id: d
        for d in db.session.scalars(
            sa.select(AlertDmc).where(AlertDmc.id.in_([f.dmc_id for f in figures]))
        )
    }
    for entry in figures:
        entry.dmc = dmcs[entry.dmc_id]
    return figures


@dataclass
class Dashboard:
    view: View
    threshold: float
    ranked: list[DmcFigures]  # the DMCs with most alerts per device, most first
    above: list[DmcFigures]  # above the threshold in the view's last week
    trends: list[DmcFigures]  # with `weekly` for the whole period
    dmc_count: int  # DMCs with volumes in the view
    pending: bool  # an import has not finished re-summing some weeks


def dashboard(actor: User, view: View) -> Dashboard:
    policy.require(actor, "alerts.view")
    config = current_app.config
    threshold = config["ALERTS_THRESHOLD_PER_DEVICE_DAY"]
    by_dmc = (AlertWeek.dmc_id,)
    figures = []
    recent = _weekly(view, view.ending - timedelta(weeks=1), by_dmc)
    for (dmc_id,), entry in _figures(view, view.first, by_dmc).items():
        entry.dmc_id = dmc_id
        _set_recent(entry, recent.get((dmc_id,), {}), view)
        figures.append(entry)
    ranked = sorted(figures, key=lambda f: (-f.rate, f.dmc_id))
    above = sorted(
        (f for f in figures if f.latest is not None and f.latest > threshold),
        key=lambda f: (-f.latest, f.dmc_id),
    )
    top = ranked[: config["ALERTS_TOP_DMCS"]]
    trends = top[: config["ALERTS_TREND_CHARTS"]]
    if trends:
        series = _weekly(view, view.first, by_dmc, [f.dmc_id for f in trends])
        for entry in trends:
            entry.weekly = series.get((entry.dmc_id,), {})
    if above:
        counted = _weeks_above(view, threshold, [f.dmc_id for f in above])
        for entry in above:
            entry.weeks_above = counted.get(entry.dmc_id, 0)
    _attach(list({f.dmc_id: f for f in top + above}.values()))
    return Dashboard(view, threshold, top, above, trends, len(figures), alerts_store.has_pending())


# --- one DMC ------------------------------------------------------------------------------


def get_dmc(actor: User, dmc_id: int) -> AlertDmc:
    policy.require(actor, "alerts.view")
    dmc = db.session.get(AlertDmc, dmc_id)
    if dmc is None:
        raise NotFound("No such DMC.")
    return dmc


@dataclass
class Profile:
    """One DMC's alerts in a view: per alert code and region, and week by week."""

    dmc: AlertDmc
    view: View
    threshold: float
    rows: list[tuple[str, str, DmcFigures]]  # (alert code, region, figures), highest rate first
    total: DmcFigures | None  # every code and region of the view together, with `weekly`

    @property
    def regions(self) -> list[str]:
        return [r for r in ALERT_REGIONS if any(region == r for _, region, _ in self.rows)]

    @property
    def alert_codes(self) -> list[str]:
        return list(dict.fromkeys(code for code, _, _ in self.rows))


def dmc_profile(actor: User, dmc_id: int, view: View) -> Profile:
    dmc = get_dmc(actor, dmc_id)
    threshold = current_app.config["ALERTS_THRESHOLD_PER_DEVICE_DAY"]
    split = (AlertWeek.alert_code, AlertWeek.region)
    recent = _weekly(view, view.ending - timedelta(weeks=1), split, [dmc.id])
    rows = []
    for (code, region), entry in _figures(view, view.first, split, [dmc.id]).items():
        entry.dmc_id, entry.dmc = dmc.id, dmc
        _set_recent(entry, recent.get((code, region), {}), view)
        rows.append((code, region, entry))
    rows.sort(key=lambda row: (-row[2].rate, row[0], ALERT_REGIONS.index(row[1])))
    total = _figures(view, view.first, (), [dmc.id]).get(())
    if total is not None and rows:
        total.dmc_id, total.dmc = dmc.id, dmc
        total.weekly = _weekly(view, view.first, (), [dmc.id]).get((), {})
        _set_recent(total, total.weekly, view)
    return Profile(dmc, view, threshold, rows, total if rows else None)
