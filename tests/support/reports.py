"""A cast of users around one reporting organisation, and a walker that takes a report to any
state through the real services (no shortcuts past the state machine)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    DeviceModel,
    Manufacturer,
    Organisation,
    OrganisationCategory,
    Report,
    ReportState,
    Role,
    User,
)
from app.services import catalogue
from app.services.demo_reports import take_to
from app.services.report_data import DeviceInput, ReportInput
from tests.conftest import _TEST_HASH, TEST_PASSWORD

CATALOGUE = """manufacturer,device_type,model,model_id_hex,hardware_version,firmware_versions
Aldermoor Metering Ltd,ESME,AM-E470,0x0A1B,1.0,3.1.4;3.2.1
Brackenfield Devices,CHF,BF-CH3,0x1C01,2.0,1.0.2;1.1.0
Corriemoor Comms Ltd,IHD,CC-D7,0x2D07,1.0,4.0.0
"""
REPORTER_ORG = "Brightwater Energy Test"

# Every viewer the visibility policy distinguishes.
VIEWERS = (
    "author",
    "colleague",
    "other_party",
    "involved_maker",
    "second_involved_maker",
    "uninvolved_maker",
    "validator",
    "secas",
    "ssc",
    "admin",
)


@dataclass
class Cast:
    users: dict[str, int]
    makers: dict[str, int]
    models: dict[str, int]
    reporter_org: str

    def user(self, viewer: str) -> User:
        return db.session.get(User, self.users[viewer])


def _org(name: str, category: str) -> Organisation:
    org = Organisation(name=name, category=OrganisationCategory(category))
    db.session.add(org)
    return org


def _user(email: str, role: str, org: Organisation, maker: Manufacturer | None = None) -> User:
    user = User(
        email=email,
        full_name=email.split("@")[0].title(),
        role=Role(role),
        organisation=org,
        manufacturer=maker,
        password_hash=_TEST_HASH,
    )
    db.session.add(user)
    return user


def build_cast() -> Cast:
    """Call inside an app context on an empty database."""
    catalogue.import_csv(actor=None, lines=CATALOGUE.splitlines(keepends=True))
    makers = {m.name.split()[0].lower(): m for m in db.session.scalars(sa.select(Manufacturer))}
    reporter = _org(REPORTER_ORG, "large_supplier")
    other = _org("Fenland Gas Test", "gas_network")
    aldermoor = _org("Aldermoor Metering Ltd", "device_manufacturer")
    brackenfield = _org("Brackenfield Devices", "device_manufacturer")
    corriemoor = _org("Corriemoor Comms Ltd", "device_manufacturer")
    dcc = _org("DCC Test", "dcc")
    secas = _org("SECAS Test", "secas")
    ssc = _org("SSC Test", "other")
    makers["aldermoor"].organisation = aldermoor
    makers["brackenfield"].organisation = brackenfield
    makers["corriemoor"].organisation = corriemoor
    users = {
        "author": _user("author@reporter.test", "party", reporter),
        "colleague": _user("colleague@reporter.test", "party", reporter),
        "other_party": _user("other@fenland.test", "party", other),
        "involved_maker": _user(
            "maker@aldermoor.test", "manufacturer", aldermoor, makers["aldermoor"]
        ),
        "second_involved_maker": _user(
            "maker@brackenfield.test", "manufacturer", brackenfield, makers["brackenfield"]
        ),
        "uninvolved_maker": _user(
            "maker@corriemoor.test", "manufacturer", corriemoor, makers["corriemoor"]
        ),
        "validator": _user("validator@dcc.test", "validator", dcc),
        "secas": _user("secas@secas.test", "secas", secas),
        "ssc": _user("ssc@ssc.test", "ssc", ssc),
        "admin": _user("admin@dcc.test", "admin", dcc),
    }
    db.session.commit()
    models = {m.model_name: m.id for m in db.session.scalars(sa.select(DeviceModel))}
    return Cast(
        users={k: u.id for k, u in users.items()},
        makers={k: m.id for k, m in makers.items()},
        models=models,
        reporter_org=REPORTER_ORG,
    )


def sample_input(cast: Cast, **overrides) -> ReportInput:
    """A report on an Aldermoor meter behind a Brackenfield Comms Hub."""
    data = ReportInput(
        kind="defect",
        title="Comms Hub drops ESME off the HAN after firmware update",
        description="After the CHF firmware update to 1.1.0 the ESME leaves the HAN and "
        "raises alert 0x8F35 repeatedly.",
        occurrence="intermittent",
        impact="high",
        devices=[
            DeviceInput(device_model_id=cast.models["AM-E470"], firmware_version="3.2.1"),
            DeviceInput(device_model_id=cast.models["BF-CH3"], firmware_version="1.1.0"),
        ],
        regions=["north", "central"],
        alert_codes="0x8f35, n24",
        affected_count=1200,
        impact_text="Customers lose their in-home display.",
        dsms_references="INC0012345",
    )
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


def walk_to(
    cast: Cast, state: ReportState | str, *, fix_checked: bool = True, **overrides
) -> Report:
    """A sample report by the cast's author, taken to `state` with the real services; a fix
    is checked by the validator on approval unless `fix_checked` is False."""
    return take_to(
        sample_input(cast, **overrides),
        state,
        author=cast.user("author"),
        validator=cast.user("validator"),
        responders=[cast.user("involved_maker"), cast.user("second_involved_maker")],
        fix_checked=fix_checked,
    )


def after_deadline(report: Report) -> date:
    return report.review_deadline + timedelta(days=1)


__all__ = ["TEST_PASSWORD", "VIEWERS", "Cast", "build_cast", "sample_input", "walk_to"]
