"""The Devices of a DMC, from the facts extraction found in a legacy DSMS record (device
types, manufacturers, models, firmware versions), matched to the catalogue only where the
record leaves no doubt; everything else is listed as found but not placed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import DeviceModel, Manufacturer
from app.services.report_data import DeviceInput


@dataclass
class PrefilledDevices:
    devices: list[DeviceInput] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    types_used: set[str] = field(default_factory=set)
    makers_used: set[str] = field(default_factory=set)
    firmware_used: set[str] = field(default_factory=set)


def _firmware_of(models: list[DeviceModel]) -> set[str]:
    return {f.version for m in models for f in m.firmware_versions}


def _one_firmware(found: list[str], models: list[DeviceModel]) -> str:
    """The firmware version the record names for these models, if it names exactly one that
    the catalogue lists for them (two, say before and after an update, are left to check)."""
    known = _firmware_of(models)
    matches = [f for f in found if f in known]
    return matches[0] if len(matches) == 1 else ""


def _catalogue_models(names: list[str]) -> dict[str, list[DeviceModel]]:
    if not names:
        return {}
    stmt = (
        sa.select(DeviceModel)
        .where(DeviceModel.model_name.in_(names))
        .options(
            selectinload(DeviceModel.manufacturer), selectinload(DeviceModel.firmware_versions)
        )
        .order_by(DeviceModel.id)
    )
    found: dict[str, list[DeviceModel]] = defaultdict(list)
    for model in db.session.scalars(stmt):
        found[model.model_name].append(model)
    return found


def _add_model_devices(result: PrefilledDevices, facts: dict) -> None:
    """Each model the record names: a catalogue entry when the device type and firmware
    single one out, the model typed in when only its hardware version is unclear."""
    types = facts.get("device_types", [])
    makers = set(facts.get("manufacturers", []))
    firmware = facts.get("firmware", [])
    names = facts.get("models", [])
    catalogue = _catalogue_models(names)
    for name in names:
        candidates = catalogue.get(name, [])
        if not candidates:
            result.unplaced.append(f"model {name} (no longer in the catalogue)")
            continue
        if makers:
            candidates = [m for m in candidates if m.manufacturer.name in makers] or candidates
        by_type: dict[str, list[DeviceModel]] = defaultdict(list)
        for model in candidates:
            by_type[model.device_type.value].append(model)
        named = {t: ms for t, ms in by_type.items() if t in types}
        if named:
            by_type = named
        elif len(by_type) > 1:
            # A Comms Hub's CHF and GPF share a model name: the text must say which.
            result.unplaced.append(f"model {name} ({' or '.join(sorted(by_type))} not said)")
            continue
        for device_type, models in by_type.items():
            fitting = [m for m in models if _one_firmware(firmware, [m])]
            chosen = fitting if len(fitting) == 1 else models
            version = _one_firmware(firmware, chosen)
            if len(chosen) == 1:
                device = DeviceInput(device_model_id=chosen[0].id, firmware_version=version)
            else:  # several hardware versions: the model, typed in, without one
                device = DeviceInput(
                    device_type=device_type,
                    manufacturer_name=chosen[0].manufacturer.name,
                    model_name=name,
                    firmware_version=version,
                )
            result.devices.append(device)
            result.types_used.add(device_type)
            result.makers_used.add(chosen[0].manufacturer.name)
            if version:
                result.firmware_used.add(version)


def _add_maker_devices(result: PrefilledDevices, facts: dict) -> None:
    """A manufacturer named without a model: a Device of theirs when exactly one device type
    the record names (and no model has taken) is a type they make."""
    types = [t for t in facts.get("device_types", []) if t not in result.types_used]
    names = [n for n in facts.get("manufacturers", []) if n not in result.makers_used]
    if not names:
        return
    stmt = (
        sa.select(Manufacturer)
        .where(Manufacturer.name.in_(names))
        .options(
            selectinload(Manufacturer.device_models).selectinload(DeviceModel.firmware_versions)
        )
    )
    for maker in db.session.scalars(stmt):
        makes = {m.device_type.value for m in maker.device_models}
        fitting = [t for t in types if t in makes]
        if len(fitting) != 1:
            result.unplaced.append(f"manufacturer {maker.name} (device type not clear)")
            continue
        models = [m for m in maker.device_models if m.device_type.value == fitting[0]]
        version = _one_firmware(facts.get("firmware", []), models)
        result.devices.append(
            DeviceInput(
                device_type=fitting[0], manufacturer_name=maker.name, firmware_version=version
            )
        )
        result.types_used.add(fitting[0])
        types.remove(fitting[0])
        if version:
            result.firmware_used.add(version)


def prefill_devices(facts: dict) -> PrefilledDevices:
    """`facts` as stored on a LegacyRecord."""
    result = PrefilledDevices()
    _add_model_devices(result, facts)
    _add_maker_devices(result, facts)
    for device_type in facts.get("device_types", []):
        if device_type not in result.types_used:
            result.unplaced.append(f"{device_type} (no manufacturer named)")
    spare = [f for f in facts.get("firmware", []) if f not in result.firmware_used]
    if spare:
        result.unplaced.append(f"firmware {', '.join(spare)}")
    return result
