"""Reading legacy DSMS records (redacted on import)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import LegacyRecord, User
from app.services import policy
from app.services.errors import NotFound

FACT_LABELS = {
    "device_types": "Device types",
    "manufacturers": "Manufacturers",
    "models": "Models",
    "firmware": "Firmware versions",
    "alert_codes": "Alert codes",
    "regions": "CSP regions",
}


def get_record(actor: User, number: str) -> LegacyRecord:
    policy.require(actor, "legacy.read")
    record = db.session.scalar(sa.select(LegacyRecord).where(LegacyRecord.number == number))
    if record is None:
        raise NotFound("No such DSMS record.")
    return record
