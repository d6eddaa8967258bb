"""CSV downloads of the superfluous alerts tracker: each is one table exactly as the page
shows it for the same choice, with numbers at full precision; every download is audited."""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models import User
from app.services import alerts, audit
from app.services.alert_codes import ALERT_NAMES
from app.services.alerts_tables import (
    Column,
    Table,
    above_table,
    change_in_words,
    dmc_cells,
    profile_table,
    top_table,
    trend_table,
)
from app.services.csv_output import csv_bytes
from app.services.errors import NotFound

DASHBOARD_TABLES = ("top", "above")
DMC_TABLES = ("profile", "trend")


def _headings(column: Column) -> list[str]:
    if column.kind == "dmc":
        return ["Device type", "Model", "Firmware"]
    if column.kind == "code":
        return ["Alert code", "Alert name"]
    if column.kind == "change":
        return [f"{column.label} (%)"]
    return [column.label]


def csv_cells(value, column: Column) -> list:
    kind = column.kind
    if kind == "dmc":
        return dmc_cells(value)
    if kind == "code":
        return [value, ALERT_NAMES.get(value, "")]
    if kind == "rate":
        return ["" if value is None else round(value, 4)]
    if kind == "devices":
        return [round(value, 1)]
    if kind == "week":
        return [value.isoformat()]
    if kind == "change":
        if value.change is not None:
            return [round(value.change * 100, 1)]
        return [change_in_words(value)]
    if kind == "region":
        return [alerts.region_label(value)]
    return [value]


def table_csv(table: Table, view: alerts.View) -> bytes:
    """Header, rows, then a blank row and what the table is: the choice and the disclaimer."""
    rows: list[list] = [[h for column in table.columns for h in _headings(column)]]
    for row in table.rows:
        rows.append(
            [
                c
                for value, col in zip(row, table.columns, strict=True)
                for c in csv_cells(value, col)
            ]
        )
    rows += [[], ["Table", table.caption], ["Disclaimer", current_app.config["DISCLAIMER"]]]
    return csv_bytes(rows)


def export(
    actor: User, key: str, view: alerts.View, dmc_id: int | None = None
) -> tuple[str, bytes]:
    """(file name, CSV) of one table; audited as a download."""
    if dmc_id is None:
        if key not in DASHBOARD_TABLES:
            raise NotFound("No such table.")
        board = alerts.dashboard(actor, view)
        table = top_table(board) if key == "top" else above_table(board)
        name = f"alerts-{key}"
    else:
        if key not in DMC_TABLES:
            raise NotFound("No such table.")
        profile = alerts.dmc_profile(actor, dmc_id, view)
        if key == "profile":
            table = profile_table(profile)
        elif profile.total is None:
            raise NotFound("No volumes for this DMC in that period.")
        else:
            table = trend_table(profile.total, view, profile.threshold)
        name = f"alerts-dmc-{dmc_id}-{key}"
    parts = [name, f"{view.weeks}w", view.ending.isoformat(), view.region, view.alert_code]
    filename = "-".join(p for p in parts if p) + ".csv"
    audit.record(
        actor,
        "alerts.exported",
        object_type="alert_table",
        object_id=filename[:80],
        summary=f"{len(table.rows)} rows: {view.describe()}",
    )
    db.session.commit()
    return filename, table_csv(table, view)
