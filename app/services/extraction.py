"""Facts found in free text (DESIGN §4): device types, manufacturers and models from the
catalogue (with aliases and hex model ids), firmware versions, alert codes and CSP regions,
so legacy records can be filtered like reports.

`Gazetteer` holds what the catalogue knows; `extract` is a pure function of text and
gazetteer, so it is tested without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from app.extensions import db
from app.models import DeviceModel, Manufacturer

DEVICE_TYPES = {
    "ESME": [r"ESME", r"electricity meter", r"electric meter"],
    "GSME": [r"GSME", r"gas meter"],
    "CHF": [r"CHF", r"comms? hub", r"communications hub"],
    "GPF": [r"GPF", r"gas proxy"],
    "PPMID": [r"PPMID", r"prepayment (?:meter )?interface(?: device)?"],
    "IHD": [r"IHD", r"in[- ]home display"],
    "CAD": [r"CAD", r"consumer access device"],
}
_DEVICE_PATTERNS = {
    kind: re.compile(rf"(?<![\w-])(?:{'|'.join(words)})s?(?![\w-])", re.IGNORECASE)
    for kind, words in DEVICE_TYPES.items()
}
# Versions with two or more dots (3.2.1), and 8-digit hex firmware ids (0x00020015), always;
# a one-dot version (3.3) only after "firmware", "fw", "version" or "v".
FIRMWARE = re.compile(
    r"(?<![\w.])v?(\d{1,3}(?:\.\d{1,4}){2,3})(?!\w|\.\d)|(?<!\w)(0x[0-9A-Fa-f]{8})(?!\w)"
)
SHORT_FIRMWARE = re.compile(
    r"\b(?:firmware|fw|version|ver)\s*:?\s*v?(\d{1,3}\.\d{1,4})(?!\w|\.\d)|"
    r"(?<![\w.])v(\d{1,3}\.\d{1,4})(?!\w|\.\d)",
    re.IGNORECASE,
)
HEX_ALERT = re.compile(r"(?<!\w)0x([0-9A-Fa-f]{4})(?!\w)")
# A bare 4-digit code counts as an alert code when it has a hex letter (8F35) or follows the
# word alert(s)/event(s) within a few words ("alerts 8014/8015").
BARE_HEX = re.compile(r"(?<![\w.-])([0-9A-F]{4})(?![\w.-])", re.IGNORECASE)
ALERT_CONTEXT = re.compile(r"\b(?:alerts?|events?|codes?)\b", re.IGNORECASE)
DCC_ALERT = re.compile(r"(?<![\w-])(N\d{1,3}|AD\d{1,2})(?![\w-])")
REGIONS = {
    "north": re.compile(r"\b(?:CSP\s+)?North(?:ern)?\s+(?:region|CSP)\b|\bCSP\s+North\b", re.I),
    "central": re.compile(r"\b(?:CSP\s+)?Central\s+(?:region|CSP)\b|\bCSP\s+Central\b", re.I),
    "south": re.compile(r"\b(?:CSP\s+)?South(?:ern)?\s+(?:region|CSP)\b|\bCSP\s+South\b", re.I),
    "all": re.compile(r"\ball (?:CSP )?regions\b|\bnationwide\b", re.I),
}


@dataclass(frozen=True)
class Gazetteer:
    """Catalogue names to look for: lower-case spelling -> canonical name."""

    manufacturers: dict[str, str] = field(default_factory=dict)
    # model name (lower) -> (manufacturer, model name); hex id (upper, 0x…) likewise
    models: dict[str, tuple[str, str]] = field(default_factory=dict)
    model_ids: dict[str, tuple[str, str]] = field(default_factory=dict)

    # Patterns are built once per gazetteer: an import extracts from every row with one.
    @cached_property
    def manufacturer_pattern(self) -> re.Pattern | None:
        return _spellings_pattern(self.manufacturers)

    @cached_property
    def model_pattern(self) -> re.Pattern | None:
        return _spellings_pattern(self.models)

    @cached_property
    def model_hex(self) -> frozenset[str]:
        """Model ids without 0x: 0x0A1B in a text is a model, not an alert code."""
        return frozenset(key[2:] for key in self.model_ids)


def _spellings_pattern(spellings) -> re.Pattern | None:
    # Keys are normalised (lower case, single spaces); any run of spaces or hyphens in the
    # text matches a space.
    words = sorted(spellings, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(r"[\s-]*".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _key(spelling: str) -> str:
    return re.sub(r"[\s-]+", " ", spelling.lower()).strip()


def _hex_key(text: str) -> str:
    return "0x" + text[2:].upper()


def load_gazetteer() -> Gazetteer:
    manufacturers, models, model_ids = {}, {}, {}
    for maker in db.session.scalars(sa.select(Manufacturer)):
        for spelling in [maker.name, *(maker.aliases or [])]:
            manufacturers[_key(spelling)] = maker.name
    for model in db.session.scalars(sa.select(DeviceModel).join(DeviceModel.manufacturer)):
        pair = (model.manufacturer.name, model.model_name)
        models[_key(model.model_name)] = pair
        model_ids[_hex_key(model.model_id_hex)] = pair
    return Gazetteer(manufacturers, models, model_ids)


@dataclass
class Facts:
    device_types: list[str] = field(default_factory=list)
    manufacturers: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    firmware: list[str] = field(default_factory=list)
    alert_codes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in self.__dataclass_fields__}


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _alert_codes(text: str) -> list[str]:
    codes: list[str] = []
    for match in HEX_ALERT.finditer(text):
        _add(codes, match.group(1).upper())
    for match in BARE_HEX.finditer(text):
        code = match.group(1).upper()
        before = text[max(0, match.start() - 25) : match.start()]
        looks_hex = any(c in "ABCDEF" for c in code) and not code.isalpha()
        if looks_hex or ALERT_CONTEXT.search(before):
            _add(codes, code)
    for match in DCC_ALERT.finditer(text):
        _add(codes, match.group(1))
    return codes


def extract(text: str, gazetteer: Gazetteer) -> Facts:
    facts = Facts()
    for kind, pattern in _DEVICE_PATTERNS.items():
        if pattern.search(text):
            _add(facts.device_types, kind)
    maker_pattern = gazetteer.manufacturer_pattern
    if maker_pattern:
        for match in maker_pattern.finditer(text):
            _add(facts.manufacturers, gazetteer.manufacturers[_key(match.group(0))])
    model_pattern = gazetteer.model_pattern
    found_models = []
    if model_pattern:
        found_models += [
            gazetteer.models.get(_key(m.group(0))) for m in model_pattern.finditer(text)
        ]
    for match in re.finditer(r"(?<!\w)0x[0-9A-Fa-f]{4}(?!\w)", text):
        found_models.append(gazetteer.model_ids.get(_hex_key(match.group(0))))
    for pair in filter(None, found_models):
        _add(facts.manufacturers, pair[0])
        _add(facts.models, pair[1])
    for match in FIRMWARE.finditer(text):
        _add(facts.firmware, match.group(1) or match.group(2).lower())
    for match in SHORT_FIRMWARE.finditer(text):
        _add(facts.firmware, match.group(1) or match.group(2))
    facts.alert_codes = [c for c in _alert_codes(text) if c not in gazetteer.model_hex]
    for region, pattern in REGIONS.items():
        if pattern.search(text):
            _add(facts.regions, region)
    return facts
