"""Ninety days of invented daily alert volumes for the demo catalogue's electricity meters
and Comms Hubs, with a few DMCs in alert storms, written as an extract and imported through
the real importer. Loaded once: if any volumes exist, nothing is added."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AlertVolume
from app.models.alerts import ALERT_REGIONS
from app.services import alerts_import

DAYS = 90
# (device type, manufacturer, model, firmware versions) from app/data/demo_catalogue.csv
DMCS = [
    ("ESME", "Aldermoor Metering Ltd", "AM-E470", ["3.1.4", "3.2.0", "3.2.1", "3.3.0"]),
    ("ESME", "Aldermoor Metering Ltd", "AM-E520 Polyphase", ["1.4.2", "1.5.0"]),
    ("ESME", "Brackenfield Devices", "BF-ES2 Single Phase", ["0x00020011", "0x00020015"]),
    ("ESME", "Glenholt Energy Devices", "GH-EM300", ["6.0.0", "6.0.2", "6.1.0"]),
    ("ESME", "Harrowby Smart Systems", "HS-1PH-S2", ["2.8.1", "2.9.0"]),
    ("ESME", "Harrowby Smart Systems", "HS-3PH-S2", ["2.9.0"]),
    ("CHF", "Corriemoor Comms Ltd", "CC-CH3N", ["0x01020304", "0x01020400", "0x01030000"]),
    ("CHF", "Corriemoor Comms Ltd", "CC-CH3CS", ["0x02010007", "0x02010100"]),
    ("CHF", "Fernhill Telemetry", "FT-HUB2", ["0x00030001", "0x00030102"]),
]
# Ordinary alerts per device per day, by device type and alert code.
BASE_RATES = {
    "ESME": {"8F35": 0.02, "8F36": 0.006, "8014": 0.04, "8015": 0.04},
    "CHF": {"8F48": 0.01, "8F49": 0.012},
}
# (model, firmware, alert code, region or None for all) -> rate on a day (days before the
# last day -> alerts per device per day), for the storms the demo shows.
STORMS = {
    # Power factor alerts from one meter firmware, growing in the north (the legacy demo
    # records describe the same storm).
    ("AM-E470", "3.2.0", "8014", "north"): lambda ago: 0.04 + max(0, 40 - ago) * 0.09,
    ("AM-E470", "3.2.0", "8015", "north"): lambda ago: 0.04 + max(0, 40 - ago) * 0.085,
    ("AM-E470", "3.2.0", "8014", "central"): lambda ago: 0.04 + max(0, 30 - ago) * 0.03,
    # HAN join failures after a hub firmware, fixed three weeks ago.
    ("CC-CH3N", "0x01020400", "8F48", None): lambda ago: 1.8 if 21 < ago <= 60 else 0.01,
    # Outage-restored alerts rising over the last three weeks in the south.
    ("GH-EM300", "6.0.2", "8F35", "south"): lambda ago: 0.02 + max(0, 21 - ago) * 0.065,
}


def _rate(model: str, firmware: str, code: str, region: str, base: float, ago: int) -> float:
    for key in ((model, firmware, code, region), (model, firmware, code, None)):
        if key in STORMS:
            return STORMS[key](ago)
    return base


def rows(last_day: date, days: int = DAYS):
    """Extract rows for the `days` days up to `last_day`, the same on every run."""
    for ago in range(days - 1, -1, -1):
        day = last_day - timedelta(days=ago)
        for kind, maker, model, versions in DMCS:
            for firmware in versions:
                for region in ALERT_REGIONS:
                    rng = random.Random(f"{model}|{firmware}|{region}|{day}")
                    population = random.Random(f"{model}|{firmware}|{region}").randint(3, 60)
                    devices = int(population * 1000 * rng.uniform(0.98, 1.02))
                    for code, base in BASE_RATES[kind].items():
                        rate = _rate(model, firmware, code, region, base, ago)
                        alerts = int(devices * rate * rng.uniform(0.85, 1.15))
                        yield [day, region, code, kind, maker, model, firmware, alerts, devices]


def seed_alerts() -> list[str]:
    if db.session.scalar(sa.select(AlertVolume.dmc_id).limit(1)) is not None:
        return []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(alerts_import.COLUMNS)
    writer.writerows(rows(date.today() - timedelta(days=1)))
    summary = alerts_import.import_stream(
        io.BytesIO(buffer.getvalue().encode("utf-8")), actor=None, source="demo"
    )
    return [f"{summary.inserted:,} daily alert volumes"] if summary.inserted else []
