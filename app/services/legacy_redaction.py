"""Redacting legacy records already imported again (`flask legacy redact --reapply`), after
the rules or the names file changed: a re-import would not do it, since an unchanged source
row is left alone.

Records are read in batches in id order (constant memory, one transaction each, so a run
killed halfway leaves whole batches done and a re-run finishes). Where the raw row is kept
(LEGACY_KEEP_RAW) the text is redacted afresh from it; otherwise the stored text is
redacted again, which only ever removes more. A record whose text changes is saved, and so
reaches the search index through the outbox as an import's changes do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import LegacyRawRecord, LegacyRecord, User
from app.models.base import utcnow
from app.services import audit, policy
from app.services.legacy_import import TEXT_FIELDS, redacted_text, redaction_context


@dataclass
class ReapplySummary:
    read: int = 0
    changed: int = 0
    from_raw: int = 0

    def text(self) -> str:
        return (
            f"{self.read} records read: {self.changed} changed "
            f"({self.from_raw} redacted afresh from the raw row), "
            f"{self.read - self.changed} unchanged"
        )


def reapply_redaction(
    *,
    actor: User | None,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ReapplySummary:
    """Redact every legacy record again with today's rules. `actor=None` is the system
    (CLI). `progress(records read)` is called after each batch."""
    if actor is not None:
        policy.require(actor, "legacy.import")
    context = redaction_context()
    summary = ReapplySummary()
    after = 0
    while batch := db.session.scalars(
        sa.select(LegacyRecord)
        .where(LegacyRecord.id > after)
        .order_by(LegacyRecord.id)
        .limit(batch_size)
    ).all():
        raw_rows = _raw_rows([r.id for r in batch]) if context.keep_raw else {}
        for record in batch:
            raw = raw_rows.get(record.id)
            if raw is None:
                new = redacted_text({n: getattr(record, n) for n in TEXT_FIELDS}, context)
                new["redactions"] += record.redactions
            else:
                new = redacted_text(raw, context)
            summary.read += 1
            # Only what differs is written: an untouched record must not be re-indexed.
            if any(getattr(record, name) != value for name, value in new.items()):
                for name, value in new.items():
                    setattr(record, name, value)
                record.updated_at = utcnow()
                summary.changed += 1
                summary.from_raw += raw is not None
        after = batch[-1].id
        db.session.commit()  # expires the batch: its records are let go with the list
        if progress:
            progress(summary.read)
    audit.record(
        actor, "legacy.redaction_reapplied", object_type="legacy_record", summary=summary.text()
    )
    db.session.commit()
    return summary


def _raw_rows(ids: list[int]) -> dict[int, dict]:
    rows = db.session.execute(
        sa.select(LegacyRawRecord.legacy_record_id, LegacyRawRecord.raw).where(
            LegacyRawRecord.legacy_record_id.in_(ids)
        )
    )
    return {record_id: raw for record_id, raw in rows}
