"""Small shared column helpers, and the clock: the database stores naive UTC; people
and editions count in UK days."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def uk_date(moment: datetime | None) -> date | None:
    """The UK calendar day of a stored (naive UTC) moment."""
    return moment.replace(tzinfo=UTC).astimezone(UK).date() if moment else None


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry the words shown on screen."""

    label: str

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def enum_column(enum_cls: type[enum.Enum], **kw) -> sa.Enum:
    # Stored as VARCHAR + CHECK: adding a member later is a plain migration on both databases.
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        name=kw.pop("name", enum_cls.__name__.lower()),
        validate_strings=True,
        **kw,
    )
