"""Writing alert volumes and keeping their weekly sums in step (DESIGN §8).

A batch is staged in a temporary table (COPY on PostgreSQL, executemany on SQLite) and
upserted on the key (DMC, alert code, region, day) in one transaction, which also marks the
(week, alert code, region, DMC) groups it changed as pending. `resum_pending` recomputes the
pending weekly sums from the stored days and clears the marks in one transaction; an import
calls it once at its end, so a million-row file re-sums each week once rather than once per
batch.

The two databases count new, changed and unchanged rows differently: PostgreSQL in the
upsert itself (RETURNING, `xmax = 0` for a row just inserted); SQLite by reading the stored
counts into the staged rows first (a lookup by key per row, which SQLite does quickly).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import AlertVolume, AlertWeek, AlertWeekPending

# PostgreSQL: writers take turns (see _lock); any constant that all of them use.
WRITE_LOCK = 80_137
KEY = ("dmc_id", "alert_code", "region", "day")
STAGED = (*KEY, "week", "next_week", "alert_count", "device_count")
GROUP = ("week", "alert_code", "region", "dmc_id")

STAGE = sa.Table(
    "alert_volume_stage",
    sa.MetaData(),  # not the app's: a per-connection temporary table, never migrated
    sa.Column("dmc_id", sa.Integer),
    sa.Column("alert_code", sa.String(6)),
    sa.Column("region", sa.String(7)),
    sa.Column("day", sa.Date),
    sa.Column("week", sa.Date),
    sa.Column("next_week", sa.Date),
    sa.Column("alert_count", sa.Integer),
    sa.Column("device_count", sa.Integer),
    sa.Column("old_alerts", sa.Integer),
    sa.Column("old_devices", sa.Integer),
)
_STAGE_DDL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS alert_volume_stage (dmc_id integer, "
    "alert_code varchar(6), region varchar(7), day date, week date, next_week date, "
    "alert_count integer, device_count integer, old_alerts integer, old_devices integer)"
)
_READ_STORED = (
    "UPDATE alert_volume_stage SET (old_alerts, old_devices) = (SELECT v.alert_count, "
    "v.device_count FROM alert_volume v WHERE v.dmc_id = alert_volume_stage.dmc_id AND "
    "v.alert_code = alert_volume_stage.alert_code AND v.region = alert_volume_stage.region "
    "AND v.day = alert_volume_stage.day)"
)


@dataclass(frozen=True)
class BatchCounts:
    inserted: int
    updated: int
    unchanged: int


def upsert_into(model):
    """INSERT … ON CONFLICT in the current database's dialect."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _lock(conn: sa.Connection) -> None:
    """PostgreSQL: batches and re-sums take turns, so a re-sum never reads a week while
    another transaction has uncommitted days of it. (SQLite has one writer anyway.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK)))


def _stage(conn: sa.Connection, rows: list[tuple]) -> None:
    if conn.dialect.name == "postgresql":
        # The rows vanish at commit or rollback; COPY is PostgreSQL's fastest way in.
        conn.exec_driver_sql(_STAGE_DDL + " ON COMMIT DELETE ROWS")
        text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        copy_sql = f"COPY alert_volume_stage ({', '.join(STAGED)}) FROM STDIN"
        with (
            conn.connection.driver_connection.cursor() as cursor,
            cursor.copy(copy_sql) as copy,
        ):
            copy.write(text)
        return
    conn.exec_driver_sql(_STAGE_DDL)
    conn.exec_driver_sql("DELETE FROM alert_volume_stage")
    conn.exec_driver_sql(
        f"INSERT INTO alert_volume_stage ({', '.join(STAGED)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in STAGED)})",
        rows,
    )


def _upsert(rows: sa.Select):
    stmt = upsert_into(AlertVolume).from_select([*KEY, "alert_count", "device_count"], rows)
    stored = AlertVolume.__table__.c
    return stmt.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"alert_count": stmt.excluded.alert_count, "device_count": stmt.excluded.device_count},
        # An unchanged row is not rewritten (no dead tuple on PostgreSQL, no write on SQLite).
        where=sa.or_(
            stored.alert_count != stmt.excluded.alert_count,
            stored.device_count != stmt.excluded.device_count,
        ),
    )


def _staged(*names: str) -> sa.Select:
    return sa.select(*(STAGE.c[name] for name in names))


def _mark_pending(groups: sa.Select):
    columns = [*GROUP, "next_week"]
    return (
        upsert_into(AlertWeekPending)
        .from_select(columns, groups.distinct())
        .on_conflict_do_nothing(index_elements=list(GROUP))
    )


def _monday(day) -> sa.ColumnElement:
    """PostgreSQL: the Monday of the ISO week of a date column."""
    return sa.cast(sa.func.date_trunc("week", sa.cast(day, sa.DateTime)), sa.Date)


def _write_postgresql(conn: sa.Connection, staged: int) -> BatchCounts:
    upsert = (
        _upsert(_staged(*KEY, "alert_count", "device_count"))
        .returning(*(AlertVolume.__table__.c[name] for name in KEY))
        # xmax is 0 for a row this statement inserted, the locker's id for one it updated.
        .returning(sa.literal_column("xmax = 0").label("fresh"))
        .cte("upserted")
    )
    week = _monday(upsert.c.day)
    touched = sa.select(
        week, upsert.c.alert_code, upsert.c.region, upsert.c.dmc_id, week + 7
    ).select_from(upsert)
    mark = _mark_pending(touched).cte("marked")
    changed, fresh = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(upsert.c.fresh))
        .select_from(upsert)
        .add_cte(mark)
    ).one()
    return BatchCounts(inserted=fresh, updated=changed - fresh, unchanged=staged - changed)


def _write_sqlite(conn: sa.Connection, staged: int) -> BatchCounts:
    conn.exec_driver_sql(_READ_STORED)
    changed = sa.or_(
        STAGE.c.old_alerts.is_(None),
        STAGE.c.old_alerts != STAGE.c.alert_count,
        STAGE.c.old_devices != STAGE.c.device_count,
    )
    fresh, unchanged = conn.execute(
        sa.select(
            sa.func.count().filter(STAGE.c.old_alerts.is_(None)),
            sa.func.count().filter(sa.not_(changed)),
        )
    ).one()
    conn.execute(_upsert(_staged(*KEY, "alert_count", "device_count").where(changed)))
    conn.execute(_mark_pending(_staged(*GROUP, "next_week").where(changed)))
    return BatchCounts(inserted=fresh, updated=staged - fresh - unchanged, unchanged=unchanged)


def write_batch(rows: list[tuple]) -> BatchCounts:
    """Store staged tuples (dmc_id, alert code, region, day, week, next week, alert count,
    device count; days as ISO text) and commit."""
    conn = db.session.connection()
    _lock(conn)
    _stage(conn, rows)
    if conn.dialect.name == "postgresql":
        counts = _write_postgresql(conn, len(rows))
    else:
        counts = _write_sqlite(conn, len(rows))
    db.session.commit()
    return counts


def resum_pending() -> None:
    """Recompute every pending weekly sum from the stored days, clear the marks, commit."""
    conn = db.session.connection()
    _lock(conn)
    pending = AlertWeekPending.__table__.c
    stored = AlertVolume.__table__.c
    group = [pending[name] for name in GROUP]
    same_week = [
        stored.dmc_id == pending.dmc_id,
        stored.alert_code == pending.alert_code,
        stored.region == pending.region,
        stored.day >= pending.week,  # a range on the key: few pending weeks, few reads
        stored.day < pending.next_week,
    ]
    if conn.dialect.name == "postgresql":
        # The same condition as an equality, so that PostgreSQL can hash-join when many
        # weeks are pending (a whole file) instead of walking each DMC's days per week.
        same_week.append(pending.week == _monday(stored.day))
        conn.exec_driver_sql("ANALYZE alert_week_pending")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    totals = (sa.func.sum(stored.alert_count), sa.func.sum(stored.device_count), sa.func.count())
    sums = (
        sa.select(*group, *totals)
        .join_from(AlertWeekPending, AlertVolume, sa.and_(*same_week))
        # SQLite reads "INSERT … SELECT … ON CONFLICT" ambiguously without a WHERE.
        .where(stored.alert_count >= 0)
        .group_by(*group)
    )
    names = ["alert_count", "device_days", "days"]
    stmt = upsert_into(AlertWeek).from_select([*GROUP, *names], sums)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(GROUP), set_={name: stmt.excluded[name] for name in names}
        )
    )
    conn.execute(sa.delete(AlertWeekPending))
    db.session.commit()


def has_pending() -> bool:
    """Whether some weekly sums wait for an import to finish (or for the next one)."""
    return db.session.scalar(sa.select(AlertWeekPending.week).limit(1)) is not None
