"""A few hundred invented DSMS incidents for the demo, written as a DSMS export and imported
through the real importer (so they are redacted, have facts and reach the index)."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

from app.services import legacy_import

COUNT = 240
SEED = 137

SYMPTOMS = [
    (
        "{model} drops off the HAN after {hub} firmware update to {fw}",
        "The {device} leaves the HAN within a day of the Comms Hub moving to {fw}; alerts "
        "0x{alert} raised on rejoin. Customer at {postcode} reports no readings.",
    ),
    (
        "Alert storm {alert} from {model}",
        "Alerts {alert} received several hundred times a day from {maker} {device} meters on "
        "firmware {fw} in CSP {region}.",
    ),
    (
        "{device} clock drift after power cut",
        "After a supply interruption the {maker} {model} clock is several minutes out; tariff "
        "switching happens late. Contact {phone}.",
    ),
    (
        "Prepayment top-up not applied on {model}",
        "Top-up sent but credit not applied on the {device}; MPAN {mpan} affected; firmware {fw}.",
    ),
    (
        "IHD blank after {hub} reboot",
        "The in-home display shows nothing until the next half hour after the comms hub "
        "restarts. Raised by {email}.",
    ),
]
FIXES = [
    "Resolved by firmware update to {fix_fw}.",
    "Workaround: re-send the HAN join after the update.",
    "Configuration change: alert threshold raised per the configuration guide.",
    "",
]
DEVICES = [
    ("Aldermoor", "AM-E470", "ESME", ["3.1.4", "3.2.0", "3.2.1"]),
    ("AML", "AM-G210", "GSME", ["2.0.7", "2.1.0"]),
    ("Brackenfield", "BF-ES2 Single Phase", "ESME", ["5.0.1", "5.1.0"]),
    ("Dunmere", "DI-GX200", "GSME", ["2.2.0", "2.3.1"]),
    ("Glenholt", "GH-EM300", "ESME", ["1.0.9", "1.1.2"]),
    ("Harrowby", "HS-1PH-S2", "ESME", ["4.1.0", "4.2.0"]),
]
HUBS = ["CC-CH3N", "CC-CH3CS", "FT-HUB2"]
ALERTS = ["8F35", "8014", "8015", "8F36", "8183"]
REGIONS = ["North", "Central", "South"]


def rows(count: int = COUNT, seed: int = SEED):
    """Invented but plausible rows, with personal data planted for redaction to remove."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 2, 8, 0)
    for n in range(1, count + 1):
        maker, model, device, firmware = rng.choice(DEVICES)
        title, body = rng.choice(SYMPTOMS)
        fw = rng.choice(firmware)
        values = {
            "model": model,
            "maker": maker,
            "device": device,
            "fw": fw,
            "hub": rng.choice(HUBS),
            "alert": rng.choice(ALERTS),
            "region": rng.choice(REGIONS),
            "postcode": rng.choice(["SW1A 1AA", "M1 1AE", "CR2 6XH"]),
            "phone": "01632 960" + f"{rng.randint(0, 999):03d}",
            "mpan": "".join(str(rng.randint(0, 9)) for _ in range(13)),
            "email": f"engineer{n}@supplier.example.com",
        }
        opened = start + timedelta(hours=rng.randint(0, 24 * 700))
        fix = rng.choice(FIXES).format(fix_fw=fw.rsplit(".", 1)[0] + ".9")
        closed = opened + timedelta(days=rng.randint(1, 40)) if fix else None
        yield {
            "number": f"INC{1_000_000 + n:07d}",
            "opened_at": opened.strftime("%Y-%m-%d %H:%M:%S"),
            "closed_at": closed.strftime("%Y-%m-%d %H:%M:%S") if closed else "",
            "state": "Closed" if closed else "Open",
            "priority": rng.choice(["2 - High", "3 - Moderate", "4 - Low"]),
            "category": "Device",
            "subcategory": rng.choice(["HAN", "Alerts", "Prepayment", "Clock"]),
            "short_description": title.format(**values),
            "description": body.format(**values),
            "close_notes": fix,
            "work_notes": "",
        }


def seed_legacy() -> list[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=legacy_import.FIELDS)
    writer.writeheader()
    writer.writerows(rows())
    summary = legacy_import.import_stream(
        io.BytesIO(buffer.getvalue().encode("utf-8")), actor=None, source="demo"
    )
    return [f"{summary.inserted} legacy DSMS records"] if summary.inserted else []
