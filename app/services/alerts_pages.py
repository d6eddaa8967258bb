"""What the tracker's pages show, put together: figures, the tables built from them and the
charts drawn from those tables (so a chart and the table beside it cannot disagree)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from app.models import AlertDmc, User
from app.services import alerts, alerts_links
from app.services.alerts_tables import (
    Table,
    above_table,
    profile_table,
    top_chart,
    top_table,
    trend_chart,
    trend_table,
)


@dataclass(frozen=True)
class Trend:
    figures: alerts.DmcFigures
    table: Table
    chart: Markup


@dataclass(frozen=True)
class DashboardPage:
    board: alerts.Dashboard
    top: Table
    top_chart: Markup | None
    above: Table
    trends: list[Trend]

    @property
    def view(self) -> alerts.View:
        return self.board.view


def _trend(entry: alerts.DmcFigures, view: alerts.View, threshold: float, n: int) -> Trend:
    table = trend_table(entry, view, threshold)
    return Trend(entry, table, trend_chart(entry, table, threshold, f"chart-trend-{n}"))


def dashboard_page(actor: User, view: alerts.View) -> DashboardPage:
    board = alerts.dashboard(actor, view)
    top = top_table(board)
    return DashboardPage(
        board=board,
        top=top,
        top_chart=top_chart(board, top) if board.ranked else None,
        above=above_table(board),
        trends=[_trend(entry, view, board.threshold, n) for n, entry in enumerate(board.trends, 1)],
    )


@dataclass(frozen=True)
class DmcPage:
    dmc: AlertDmc
    profile: alerts.Profile | None
    table: Table | None
    trend: Trend | None
    mentions: alerts_links.Mentions

    @property
    def view(self) -> alerts.View | None:
        return self.profile.view if self.profile else None


def dmc_page(actor: User, dmc_id: int, view: alerts.View | None) -> DmcPage:
    """One DMC: its alert profile in `view` (None: the choice was not valid) and the
    register records that mention it."""
    dmc = alerts.get_dmc(actor, dmc_id)
    mentions = alerts_links.mentions(actor, dmc)
    if view is None:
        return DmcPage(dmc, None, None, None, mentions)
    profile = alerts.dmc_profile(actor, dmc_id, view)
    trend = None
    if profile.total is not None:
        trend = _trend(profile.total, view, profile.threshold, 1)
    return DmcPage(dmc, profile, profile_table(profile), trend, mentions)
