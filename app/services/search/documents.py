"""Search documents built from reports and legacy records, with their visibility tokens."""

from __future__ import annotations

from app.models import LegacyRecord, Report, ReportState
from app.services import policy
from app.services.search.analysis import SECTION_BREAK


def _join(values) -> str:
    # Facet fields split on commas; a value never contains one.
    return ",".join(dict.fromkeys(str(v).replace(",", " ") for v in values if v))


def _text(title: str, dmc: str, rest: list[str]) -> str:
    """The searchable text: title, DMC and the rest as sections with their own boosts."""
    return SECTION_BREAK.join([title or "", dmc, "\n".join(t for t in rest if t)])


def report_doc_id(report_id: int) -> str:
    return f"report:{report_id}"


def legacy_doc_id(record_id: int) -> str:
    return f"legacy:{record_id}"


def report_document(report: Report) -> dict | None:
    """None when the report must not be in the index (a draft)."""
    tokens = policy.document_tokens(report)
    if not tokens:
        return None
    devices = report.devices
    statements = [r.statement for r in report.reviews if r.publish_statement and r.statement]
    body = [report.description, report.impact_text, report.root_cause_text]
    body += [report.fix_description]
    if report.state == ReportState.published:
        body += statements
    firmware = [d.firmware_version for d in devices] + [report.fix_firmware]
    return {
        "doc_id": report_doc_id(report.id),
        "key": report.reference,
        "stamp": str(report.version),
        "title": report.title,
        "text": _text(
            report.title,
            " ".join(
                f"{d.device_type.value} {d.manufacturer_name} {d.model_name} "
                f"{d.hardware_version} {d.firmware_version}"
                for d in devices
            ),
            [*body, " ".join([*report.alert_codes, *report.dsms_references, report.reference])],
        ),
        "visibility": _join(tokens),
        "date": report.published_at or report.submitted_at or report.created_at,
        "source": "report",
        "kind": report.kind.value,
        "device_type": _join(d.device_type.value for d in devices),
        "manufacturer": _join(d.manufacturer_name for d in devices),
        "model": _join(d.model_name for d in devices),
        "firmware": _join(firmware),
        "region": _join(report.regions),
        "alert_code": _join(report.alert_codes),
        "has_fix": "yes" if report.has_fix else "no",
        "state": report.state.value,
    }


def legacy_document(record: LegacyRecord) -> dict:
    facts = record.facts or {}
    return {
        "doc_id": legacy_doc_id(record.id),
        "key": record.number,
        "stamp": record.source_hash[:16],
        "title": record.short_description,
        "text": _text(
            record.short_description,
            " ".join(
                facts.get("device_types", [])
                + facts.get("manufacturers", [])
                + facts.get("models", [])
                + facts.get("firmware", [])
            ),
            [
                record.description,
                record.close_notes,
                record.work_notes,
                " ".join([*facts.get("alert_codes", []), record.number]),
            ],
        ),
        "visibility": policy.PUBLIC_TOKEN,
        "date": record.opened_at or record.imported_at,
        "source": "legacy",
        "kind": "",
        "device_type": _join(facts.get("device_types", [])),
        "manufacturer": _join(facts.get("manufacturers", [])),
        "model": _join(facts.get("models", [])),
        "firmware": _join(facts.get("firmware", [])),
        "region": _join(facts.get("regions", [])),
        "alert_code": _join(facts.get("alert_codes", [])),
        "has_fix": "yes" if record.has_fix else "no",
        "state": record.state.lower() if record.state else "",
    }
