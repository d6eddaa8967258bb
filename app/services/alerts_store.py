"""Writing alert volumes and keeping their weekly sums in step (DESIGN §8).

Each batch is written in one transaction, which also marks the (week, alert code, region,
DMC) groups it changed as pending. `resum_pending` recomputes the pending weekly sums from
the stored days and clears the marks in one transaction; an import calls it once at its
end, so a million-row file re-sums each week once rather than once per batch.

A batch is staged in a temporary table (COPY on PostgreSQL, executemany on SQLite) and
upserted on the key (DMC, alert code, region, day). The two databases count new, changed and
unchanged rows differently: PostgreSQL in the upsert itself (RETURNING, `xmax = 0` for a row
just inserted); SQLite by reading the stored counts into the staged rows first (a lookup by
key per row, which SQLite does quickly). On PostgreSQL a batch expected to be new (see
`CopyText`) is first copied straight into the table, which is much faster, and upserted
only if one of its rows turns out to be stored already (`_insert_new`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import AlertDmcWeek, AlertVolume, AlertWeek, AlertWeekPending

# PostgreSQL: writers take turns (see _lock); any constant that all of them use.
WRITE_LOCK = 80_137
KEY = ("dmc_id", "alert_code", "region", "day")
STAGED = (*KEY, "week", "next_week", "alert_count", "device_count")
STORED = (*KEY, "alert_count", "device_count")
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
# PostgreSQL: one round trip opens a batch. It takes the lock (see _lock); a batch lost
# to a crash is written again by the re-run that a crash calls for anyway, so its commit
# need not wait for the disk; the staging tables' rows vanish at commit or rollback.
_BEGIN_POSTGRESQL = (
    f"SELECT pg_advisory_xact_lock({WRITE_LOCK}); SET LOCAL synchronous_commit = off; "
    f"{_STAGE_DDL} ON COMMIT DELETE ROWS; "
    "CREATE TEMPORARY TABLE IF NOT EXISTS alert_week_pending_stage (week date, "
    "alert_code varchar(6), region varchar(7), dmc_id integer, next_week date) "
    "ON COMMIT DELETE ROWS"
)
_MARK_STAGED = (
    f"INSERT INTO alert_week_pending ({', '.join(GROUP)}, next_week) "  # noqa: S608
    f"SELECT {', '.join(GROUP)}, next_week FROM alert_week_pending_stage "
    "ON CONFLICT DO NOTHING"
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


@dataclass(frozen=True)
class CopyText:
    """PostgreSQL: a batch in COPY's text format (made on the reading thread, see
    alerts_import). Every field is a number, an ISO date or a checked code or region:
    nothing to escape."""

    rows: bytes  # the STORED columns of each row
    marks: bytes | None  # their groups (GROUP, next week), to try the rows as new

    @classmethod
    def of(cls, rows: list[tuple], *, marks: bool) -> CopyText:
        """`rows` as staged tuples; `marks` if they may be tried as new (_insert_new)."""
        lines = [f"{a}\t{b}\t{c}\t{d}\t{g}\t{h}\n" for a, b, c, d, _, _, g, h in rows]
        if not marks:
            return cls("".join(lines).encode(), None)
        groups = {
            (week, code, region, dmc, after) for dmc, code, region, _, week, after, *_ in rows
        }
        marks = [f"{a}\t{b}\t{c}\t{d}\t{e}\n" for a, b, c, d, e in sorted(groups)]
        return cls("".join(lines).encode(), "".join(marks).encode())


def upsert_into(model, dialect: str | None = None):
    """INSERT … ON CONFLICT in the dialect named, by default the current database's."""
    dialect = dialect or db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _lock(conn: sa.Connection) -> None:
    """PostgreSQL: batches and re-sums take turns, so a re-sum never reads a week while
    another transaction has uncommitted days of it. SQLite has one writer anyway, but a
    transaction that reads before it writes (as a batch does) cannot wait for another
    connection's write, only fail as "database is locked"; so it takes the write lock first,
    and waits for it."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK)))
    elif not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _copy(conn: sa.Connection, table: str, columns: tuple[str, ...], text: bytes) -> None:
    """PostgreSQL: COPY, its fastest way in."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(text)


def _stage_sqlite(conn: sa.Connection, rows: list[tuple]) -> None:
    _lock(conn)
    conn.exec_driver_sql(_STAGE_DDL)
    conn.exec_driver_sql("DELETE FROM alert_volume_stage")
    conn.exec_driver_sql(
        f"INSERT INTO alert_volume_stage ({', '.join(STAGED)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in STAGED)})",
        rows,
    )


def _upsert(dialect: str, rows: sa.Select):
    stmt = upsert_into(AlertVolume, dialect).from_select(
        [*KEY, "alert_count", "device_count"], rows
    )
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


def _mark_pending(dialect: str, groups: sa.Select):
    columns = [*GROUP, "next_week"]
    return (
        upsert_into(AlertWeekPending, dialect)
        .from_select(columns, groups.distinct())
        .on_conflict_do_nothing(index_elements=list(GROUP))
    )


# A Monday, from which whole weeks are counted (dates before it are refused on import).
_A_MONDAY = date(2000, 1, 3)


def _monday(day) -> sa.ColumnElement:
    """PostgreSQL: the Monday of the ISO week of a date column, in integer arithmetic on
    dates (date_trunc through a timestamp cost a tenth of each batch)."""
    return day - (day - _A_MONDAY) % 7


def _write_postgresql(
    conn: sa.Connection, rows: list[tuple], text: CopyText, *, new: bool
) -> BatchCounts:
    conn.exec_driver_sql(_BEGIN_POSTGRESQL)
    if new and text.marks is not None and _insert_new(conn, text):
        return BatchCounts(inserted=len(rows), updated=0, unchanged=0)
    _copy(conn, "alert_volume_stage", STORED, text.rows)
    upsert = (
        _upsert("postgresql", _staged(*STORED))
        .returning(*(AlertVolume.__table__.c[name] for name in KEY))
        # xmax is 0 for a row this statement inserted, the locker's id for one it updated.
        .returning(sa.literal_column("xmax = 0").label("fresh"))
        .cte("upserted")
    )
    week = _monday(upsert.c.day)
    touched = sa.select(
        week, upsert.c.alert_code, upsert.c.region, upsert.c.dmc_id, week + 7
    ).select_from(upsert)
    mark = _mark_pending("postgresql", touched).cte("marked")
    changed, fresh = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(upsert.c.fresh))
        .select_from(upsert)
        .add_cte(mark)
    ).one()
    return BatchCounts(inserted=fresh, updated=changed - fresh, unchanged=len(rows) - changed)


def _insert_new(conn: sa.Connection, text: CopyText) -> bool:
    """Rows not stored yet (a new extract: nearly always) are copied straight into the
    table, in about a third of the upsert's time, and all their groups are marked. If one
    of them is stored already the copy fails on the key and is undone, and this answers
    False for the upsert to do the work (the caller stops expecting new rows then)."""
    try:
        with conn.begin_nested():
            _copy(conn, "alert_volume", STORED, text.rows)
    except psycopg.errors.UniqueViolation:
        return False
    _copy(conn, "alert_week_pending_stage", (*GROUP, "next_week"), text.marks)
    conn.exec_driver_sql(_MARK_STAGED)
    return True


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
    conn.execute(_upsert("sqlite", _staged(*KEY, "alert_count", "device_count").where(changed)))
    conn.execute(_mark_pending("sqlite", _staged(*GROUP, "next_week").where(changed)))
    return BatchCounts(inserted=fresh, updated=staged - fresh - unchanged, unchanged=unchanged)


def write_batch(rows: list[tuple]) -> BatchCounts:
    """Store staged tuples (dmc_id, alert code, region, day, week, next week, alert count,
    device count; days as ISO text) and commit."""
    counts = write_rows(db.session.connection(), rows)
    db.session.commit()
    return counts


def write_rows(
    conn: sa.Connection, rows: list[tuple], text: CopyText | None = None, *, new: bool = False
) -> BatchCounts:
    """write_batch in the transaction of a connection of the caller's, who commits it.
    Rows in the key's order are written faster (fewer index pages to visit). PostgreSQL:
    `text` is the rows' CopyText if made beforehand (on another thread); `new`: try them
    as new rows first (_insert_new; `text` must have their marks)."""
    if conn.dialect.name == "postgresql":
        text = text or CopyText.of(rows, marks=False)
        return _write_postgresql(conn, rows, text, new=new)
    _stage_sqlite(conn, rows)
    return _write_sqlite(conn, len(rows))


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
        # Walk the pending groups in their key's order, each one's days a range of the
        # stored key, and sum them as they come: no sort of the joined rows (a million for a
        # whole file; the planner's sort of them spilled to disk), and the sums are written
        # in week order, so that the dashboard's few weeks lie together on disk (sums
        # written in hash order, every week on every page, took its p95 from 230 to 320 ms).
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        conn.exec_driver_sql("SET LOCAL enable_memoize = off")  # no group is read twice
    totals = (sa.func.sum(stored.alert_count), sa.func.sum(stored.device_count), sa.func.count())
    sums = (
        sa.select(*group, *totals)
        .join_from(AlertWeekPending, AlertVolume, sa.and_(*same_week))
        # SQLite reads "INSERT … SELECT … ON CONFLICT" ambiguously without a WHERE.
        .where(stored.alert_count >= 0)
        .group_by(*group)
        .order_by(*group)
    )
    names = ["alert_count", "device_days", "days"]
    stmt = upsert_into(AlertWeek).from_select([*GROUP, *names], sums)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(GROUP), set_={name: stmt.excluded[name] for name in names}
        )
    )
    _resum_devices(conn)
    conn.execute(sa.delete(AlertWeekPending))
    db.session.commit()


def _resum_devices(conn: sa.Connection) -> None:
    """Each pending (week, region, DMC)'s device-days: those of its alert code with the most
    (AlertDmcWeek), read from the weekly sums just brought up to date."""
    pending = (
        sa.select(AlertWeekPending.week, AlertWeekPending.region, AlertWeekPending.dmc_id)
        .distinct()
        .subquery()
    )
    summed = AlertWeek.__table__.c
    cells = (summed.week, summed.region, summed.dmc_id)
    devices = (
        sa.select(*cells, sa.func.max(summed.device_days), sa.func.max(summed.days))
        .join_from(
            AlertWeek,
            pending,
            sa.and_(*(column == pending.c[column.key] for column in cells)),
        )
        .where(summed.device_days >= 0)  # for SQLite's INSERT … SELECT … ON CONFLICT
        .group_by(*cells)
    )
    names = ["device_days", "days"]
    stmt = upsert_into(AlertDmcWeek).from_select(["week", "region", "dmc_id", *names], devices)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["week", "region", "dmc_id"],
            set_={name: stmt.excluded[name] for name in names},
        )
    )


def has_pending() -> bool:
    """Whether some weekly sums wait for an import to finish (or for the next one)."""
    return db.session.scalar(sa.select(AlertWeekPending.week).limit(1)) is not None
