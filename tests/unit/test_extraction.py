"""Entity extraction from free text, against a small gazetteer (no database)."""

from __future__ import annotations

import pytest

from app.services.extraction import Gazetteer, extract

GAZETTEER = Gazetteer(
    manufacturers={
        "aldermoor metering ltd": "Aldermoor Metering Ltd",
        "aldermoor": "Aldermoor Metering Ltd",
        "aml": "Aldermoor Metering Ltd",
        "corriemoor comms ltd": "Corriemoor Comms Ltd",
        "ccl": "Corriemoor Comms Ltd",
    },
    models={
        "am e470": ("Aldermoor Metering Ltd", "AM-E470"),
        "cc ch3n": ("Corriemoor Comms Ltd", "CC-CH3N"),
    },
    model_ids={"0x0A1B": ("Aldermoor Metering Ltd", "AM-E470")},
)


def test_a_typical_dsms_incident():
    text = (
        "Supplier reports AML electricity meters (model id 0x0a1b) on firmware 3.2.1 drop off "
        "the HAN after the comms hub CC-CH3N updated to fw 1.1; alerts 8014/8015 and 0x8F35 "
        "seen in CSP North. DCC alert N24 raised."
    )
    facts = extract(text, GAZETTEER)
    assert facts.device_types == ["ESME", "CHF"]
    assert facts.manufacturers == ["Aldermoor Metering Ltd", "Corriemoor Comms Ltd"]
    assert facts.models == ["CC-CH3N", "AM-E470"]
    assert facts.firmware == ["3.2.1", "1.1"]
    assert facts.alert_codes == ["8F35", "8014", "8015", "N24"]
    assert facts.regions == ["north"]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("alert 8f35 again", ["8F35"]),
        ("saw 8F35 twice", ["8F35"]),
        ("0x8f35 == 8F35", ["8F35"]),
        ("in 2026 the meter failed", []),
        ("events: 8014 8015", ["8014", "8015"]),
        ("model 0x0A1B only", []),
    ],
)
def test_alert_codes_are_normalised_and_need_context_when_all_digits(text, codes):
    assert extract(text, GAZETTEER).alert_codes == codes


@pytest.mark.parametrize(
    ("text", "firmware"),
    [
        ("updated to 3.2.1 then v3.3.0", ["3.2.1", "3.3.0"]),
        ("ESME firmware 0x00020015", ["0x00020015"]),
        ("took 2.5 hours on hardware 1.1", []),
        ("Firmware: 4.0", ["4.0"]),
    ],
)
def test_firmware_versions(text, firmware):
    assert extract(text, GAZETTEER).firmware == firmware


def test_names_and_spacing_variants_and_no_false_friends():
    facts = extract("Aldermoor  Metering ltd and corriemoor comms ltd; Aldermoorish", GAZETTEER)
    assert facts.manufacturers == ["Aldermoor Metering Ltd", "Corriemoor Comms Ltd"]
    assert extract("CADENCE and CHFX are not devices", GAZETTEER).device_types == []
    assert extract("In-home displays blank; PPMID lost", GAZETTEER).device_types == ["PPMID", "IHD"]


def test_regions():
    assert extract("Seen in all regions", GAZETTEER).regions == ["all"]
    assert extract("CSP Central and the southern region", GAZETTEER).regions == ["central", "south"]
