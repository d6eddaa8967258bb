"""The tables of the superfluous alerts tracker, each the single source of what a page shows
(as an HTML table beside a chart) and of its CSV download, so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from app.models import AlertDmc
from app.services import alerts_chart
from app.services.alert_codes import alert_label
from app.services.alerts import Dashboard, DmcFigures, Profile, View, region_label

NO_FIGURE = "\u2013"  # an en dash: no volumes that week
MINUS = "\u2212"


def format_rate(value: float | None) -> str:
    """Alerts per device per day with sensible precision: 12.4, 1.25, 0.042."""
    if value is None:
        return NO_FIGURE
    if value >= 10:
        return f"{value:,.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def change_in_words(entry: DmcFigures) -> str:
    """What the page and the CSV say when the change is not a percentage."""
    if entry.latest is None or entry.change is not None:
        return ""
    if entry.previous is None:
        return "new this week"
    return "up from 0" if entry.latest > 0 else "none either week"


def format_change(entry: DmcFigures) -> str:
    if entry.change is not None:
        return f"{entry.change:+.0%}".replace("-", MINUS)
    return change_in_words(entry) or NO_FIGURE


def format_week(week: date) -> str:
    return f"w/c {week:%d %b %Y}"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str  # dmc, text, int, devices, rate, change (DmcFigures), week, code, region
    row_header: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in {"int", "devices", "rate", "change"}


@dataclass
class Table:
    key: str  # names the CSV download
    caption: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    def shown(self, value, column: Column) -> str:
        """A cell as the page shows it (a DMC cell is its label; the page links it)."""
        kind = column.kind
        if kind == "dmc":
            return value.label
        if kind == "int":
            return f"{value:,}"
        if kind == "devices":
            return f"{value:,.0f}"
        if kind == "rate":
            return format_rate(value)
        if kind == "week":
            return format_week(value)
        if kind == "code":
            return alert_label(value)
        if kind == "region":
            return region_label(value)
        if kind == "change":
            return format_change(value)
        return str(value)


_DMC = Column("DMC", "dmc", row_header=True)
_RATE = Column("Alerts per device per day", "rate")
_LATEST = Column("Latest week", "rate")
_CHANGE = Column("Change on the week before", "change")


def top_table(board: Dashboard) -> Table:
    table = Table(
        "top",
        f"DMCs with the most alerts per device: {board.view.describe()}",
        [
            Column("Rank", "int"),
            _DMC,
            Column("Devices a day", "devices"),
            Column("Alerts", "int"),
            _RATE,
            _LATEST,
            _CHANGE,
        ],
    )
    for rank, entry in enumerate(board.ranked, start=1):
        table.rows.append(
            [
                rank,
                entry.dmc,
                entry.devices,
                entry.alerts,
                entry.rate,
                entry.latest,
                entry,
            ]
        )
    return table


def above_table(board: Dashboard) -> Table:
    table = Table(
        "above",
        f"DMCs above {format_rate(board.threshold)} alerts per device per day in the week of "
        f"{board.view.ending:%d %b %Y}: {board.view.describe()}",
        [
            _DMC,
            _LATEST,
            Column("Week before", "rate"),
            _CHANGE,
            Column(f"Weeks above the threshold (of {board.view.weeks})", "int"),
        ],
    )
    for entry in board.above:
        table.rows.append([entry.dmc, entry.latest, entry.previous, entry, entry.weeks_above])
    return table


def trend_table(entry: DmcFigures, view: View, threshold: float) -> Table:
    table = Table(
        "trend",
        f"Alerts per device per day, week by week, of {entry.dmc.label}: {view.describe()}",
        [
            Column("Week", "week", row_header=True),
            _RATE,
            Column("Above the threshold", "text"),
        ],
    )
    for week in view.week_list:
        rate = entry.weekly.get(week)
        above = NO_FIGURE if rate is None else ("Yes" if rate > threshold else "No")
        table.rows.append([week, rate, above])
    return table


def profile_table(profile: Profile) -> Table:
    table = Table(
        "profile",
        f"Alerts of {profile.dmc.label} by alert code and region: {profile.view.describe()}",
        [
            Column("Alert code", "code", row_header=True),
            Column("Region", "region"),
            Column("Alerts", "int"),
            Column("Devices a day", "devices"),
            _RATE,
            _LATEST,
            _CHANGE,
        ],
    )
    for code, region, entry in profile.rows:
        table.rows.append(
            [
                code,
                region,
                entry.alerts,
                entry.devices,
                entry.rate,
                entry.latest,
                entry,
            ]
        )
    return table


# --- charts of the same figures ---------------------------------------------------------


def top_chart(board: Dashboard, table: Table) -> Markup:
    bars = [
        alerts_chart.Bar(
            label=entry.dmc.label,
            value=entry.rate,
            text=format_rate(entry.rate),
            over=entry.rate > board.threshold,
        )
        for entry in board.ranked
    ]
    return alerts_chart.bar_chart(
        chart_id="chart-top",
        title=table.caption,
        description=(
            f"Bar chart of {len(bars)} DMCs, most alerts per device first; the dashed line is "
            f"the threshold of {format_rate(board.threshold)}. The table beside it has the "
            "same figures."
        ),
        bars=bars,
        threshold=board.threshold,
    )


def trend_chart(entry: DmcFigures, table: Table, threshold: float, chart_id: str) -> Markup:
    points = [
        alerts_chart.Point(label=f"{week:%d %b}", value=rate, text=format_rate(rate))
        for week, rate, _ in table.rows
    ]
    weeks_with = sum(1 for p in points if p.value is not None)
    return alerts_chart.line_chart(
        chart_id=chart_id,
        title=table.caption,
        description=(
            f"Line chart over {len(points)} weeks ({weeks_with} with volumes); the dashed "
            f"line is the threshold of {format_rate(threshold)}. The table beside it has the "
            "same figures."
        ),
        points=points,
        threshold=threshold,
    )


def dmc_cells(dmc: AlertDmc) -> list[str]:
    """A DMC in a CSV: the parts of its label, in separate columns (no manufacturer, as on
    the page: AlertDmc.label)."""
    return [dmc.device_type.value, dmc.model, dmc.firmware]
