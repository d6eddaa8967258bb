"""Demo data for development: organisations of every kind, one user per role, an invented
device catalogue and reports in every state. Idempotent: running it again changes nothing that
is already there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Manufacturer, Organisation, OrganisationCategory, Role, User
from app.services import catalogue, demo_alerts, demo_legacy, demo_reports, passwords
from app.services.csv_input import utf8_lines

DEMO_PASSWORD = "Demo-Register-2026"  # noqa: S105 - development demo logins only
CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "data" / "demo_catalogue.csv"

C = OrganisationCategory
ORGANISATIONS = [
    ("Brightwater Energy", C.large_supplier),
    ("Kestrel Power & Gas", C.small_supplier),
    ("Northmoor Electricity Networks", C.electricity_network),
    ("Fenland Gas Distribution", C.gas_network),
    ("Meridian Meter Assets", C.meter_asset_provider),
    ("Aldermoor Metering Ltd", C.device_manufacturer),
    ("Corriemoor Comms Ltd", C.device_manufacturer),
    ("Data Communications Company", C.dcc),
    ("SEC Administrator", C.secas),
    ("Security Sub-Committee", C.other),
]
# manufacturer name -> organisation that speaks for it
SPOKEN_FOR = {
    "Aldermoor Metering Ltd": "Aldermoor Metering Ltd",
    "Corriemoor Comms Ltd": "Corriemoor Comms Ltd",
}
ALIASES = {
    "Aldermoor Metering Ltd": ["Aldermoor", "AML"],
    "Brackenfield Devices": ["Brackenfield", "BFD"],
    "Corriemoor Comms Ltd": ["Corriemoor", "CCL"],
    "Dunmere Instruments": ["Dunmere"],
    "Elmstead Controls": ["Elmstead"],
    "Fernhill Telemetry": ["Fernhill"],
    "Glenholt Energy Devices": ["Glenholt", "GED"],
    "Harrowby Smart Systems": ["Harrowby", "HSS"],
}
# email, name, role, organisation, manufacturer
USERS = [
    ("supplier@demo.test", "Sam Supplier", Role.party, "Brightwater Energy", None),
    ("network@demo.test", "Nia Network", Role.party, "Northmoor Electricity Networks", None),
    (
        "maker@demo.test",
        "Max Maker",
        Role.manufacturer,
        "Aldermoor Metering Ltd",
        "Aldermoor Metering Ltd",
    ),
    (
        "hub@demo.test",
        "Holly Hub",
        Role.manufacturer,
        "Corriemoor Comms Ltd",
        "Corriemoor Comms Ltd",
    ),
    ("validator@demo.test", "Val Validator", Role.validator, "Data Communications Company", None),
    ("secas@demo.test", "Sol Secas", Role.secas, "SEC Administrator", None),
    ("ssc@demo.test", "Sid Security", Role.ssc, "Security Sub-Committee", None),
    ("admin@demo.test", "Ada Admin", Role.admin, "Data Communications Company", None),
]


@dataclass
class DemoSummary:
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        lines = [
            "Demo data loaded." if self.created else "Demo data already present; nothing changed."
        ]
        lines += [f"  created: {item}" for item in self.created]
        lines.append("Demo logins (development only):")
        lines += [f"  {email:<22} {role}" for email, role in self.logins]
        lines.append(f"Password for every demo login: {DEMO_PASSWORD}")
        return "\n".join(lines)


def _get_or_create_organisation(
    name: str, category: OrganisationCategory, summary: DemoSummary
) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name, category=category)
        db.session.add(organisation)
        summary.created.append(f"organisation {name}")
    return organisation


def seed() -> DemoSummary:
    summary = DemoSummary()
    organisations = {
        name: _get_or_create_organisation(name, cat, summary) for name, cat in ORGANISATIONS
    }
    db.session.commit()

    with CATALOGUE_FILE.open("rb") as handle:
        result = catalogue.import_csv(
            actor=None, lines=utf8_lines(handle), source=CATALOGUE_FILE.name
        )
    if result.inserted:
        summary.created.append(f"{result.inserted} device models")
    makers = {m.name: m for m in db.session.scalars(sa.select(Manufacturer))}
    for name, aliases in ALIASES.items():
        if not makers[name].aliases:
            makers[name].aliases = aliases
    for maker_name, org_name in SPOKEN_FOR.items():
        makers[maker_name].organisation = organisations[org_name]

    demo_hash = passwords.hash_password(DEMO_PASSWORD)
    for email, full_name, role, org_name, maker_name in USERS:
        summary.logins.append((email, role.label))
        if db.session.scalar(sa.select(User).where(User.email == email)):
            continue
        db.session.add(
            User(
                email=email,
                full_name=full_name,
                role=role,
                organisation=organisations[org_name],
                manufacturer=makers.get(maker_name) if maker_name else None,
                password_hash=demo_hash,
            )
        )
        summary.created.append(f"user {email}")
    db.session.commit()
    summary.created += demo_reports.seed_reports()
    summary.created += demo_legacy.seed_legacy()
    summary.created += demo_alerts.seed_alerts()
    return summary
