"""The report's state machine (DESIGN §2): one table of transitions, and `apply`, the only
code that writes `report.state`.

Each transition names the part the acting user must play in the report (author, reporter's
organisation, validator, involved manufacturer). A step not in the table is refused with a
reason; so is a step whose guard fails (for example approving while a dispute is
unanswered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app

from app.models import EventAudience, Report, ReportEvent, ReportState, User
from app.models.base import utcnow
from app.services import policy
from app.services.errors import InvalidTransition, NotAllowed

S = ReportState


@dataclass(frozen=True)
class Part:
    name: str
    plays: Callable[[User, Report], bool]


AUTHOR = Part("the report's author", policy.is_author)
REPORTER = Part("a member of the reporting organisation", policy.in_reporting_organisation)
VALIDATOR = Part("a DCC validator", policy.is_validator)
MANUFACTURER = Part("a manufacturer of a Device in the DMC", policy.is_involved_manufacturer)

# What each action is called in a refusal: "… cannot be <verb>".
VERBS = {
    "edit": "edited",
    "submit": "submitted",
    "start": "taken into validation",
    "request_info": "sent back with a question",
    "answer_info": "answered",
    "reject": "rejected",
    "send_to_manufacturers": "sent to manufacturer review",
    "manufacturer_respond": "responded to",
    "extend_deadline": "given a longer response window",
    "answer_dispute": "used to answer a dispute",
    "approve": "approved",
    "publish": "published",
    "revise": "revised",
    "withdraw": "withdrawn",
}

# (state, action) -> (next state, who may do it)
TRANSITIONS: dict[tuple[ReportState, str], tuple[ReportState, Part]] = {
    (S.draft, "edit"): (S.draft, AUTHOR),
    (S.draft, "submit"): (S.submitted, AUTHOR),
    (S.submitted, "start"): (S.in_validation, VALIDATOR),
    (S.in_validation, "edit"): (S.in_validation, VALIDATOR),
    (S.in_validation, "request_info"): (S.info_requested, VALIDATOR),
    (S.info_requested, "answer_info"): (S.in_validation, REPORTER),
    (S.in_validation, "reject"): (S.rejected, VALIDATOR),
    (S.in_validation, "send_to_manufacturers"): (S.manufacturer_review, VALIDATOR),
    (S.in_validation, "approve"): (S.approved, VALIDATOR),
    (S.manufacturer_review, "edit"): (S.manufacturer_review, VALIDATOR),
    (S.manufacturer_review, "manufacturer_respond"): (S.manufacturer_review, MANUFACTURER),
    (S.manufacturer_review, "extend_deadline"): (S.manufacturer_review, VALIDATOR),
    (S.manufacturer_review, "answer_dispute"): (S.manufacturer_review, VALIDATOR),
    (S.manufacturer_review, "approve"): (S.approved, VALIDATOR),
    (S.approved, "edit"): (S.approved, VALIDATOR),
    (S.approved, "publish"): (S.published, VALIDATOR),
    (S.published, "revise"): (S.published, VALIDATOR),
    (S.published, "withdraw"): (S.withdrawn, VALIDATOR),
}
ACTIONS = tuple(VERBS)


def _review_required(report: Report) -> bool:
    return bool(current_app.config["REVIEW_MANDATORY"] or report.manufacturer_ids())


def _closes(report: Report) -> str:
    return f"the end of {report.review_deadline:%d %B %Y}"


def _approve_guard(report: Report, today: date) -> str | None:
    if report.state == S.in_validation:
        if _review_required(report):
            return (
                "Send it to manufacturer review first: the manufacturers of the Devices "
                "involved must be told before anything is published."
            )
        return None
    disputes = sorted(r.manufacturer.name for r in report.reviews if r.open_dispute)
    if disputes:
        return f"Answer the dispute from {', '.join(disputes)} before approving."
    waiting = sorted(
        r.manufacturer.name for r in report.reviews if r.effective_response(today) is None
    )
    if waiting:
        return (
            f"Still waiting for {', '.join(waiting)}; the response window closes at "
            f"{_closes(report)}."
        )
    return None


def _send_guard(report: Report, today: date) -> str | None:
    if not _review_required(report):
        return (
            "No Device in this DMC is from a manufacturer in the catalogue, so there is "
            "nobody to notify; approve it directly."
        )
    return None


def _extend_guard(report: Report, today: date) -> str | None:
    if report.review_deadline_extended:
        return "The response window has already been extended once."
    return None


def _dispute_guard(report: Report, today: date) -> str | None:
    if not any(r.open_dispute for r in report.reviews):
        return "There is no unanswered dispute."
    return None


def _respond_guard(report: Report, today: date) -> str | None:
    if report.review_deadline and today > report.review_deadline:
        return f"The response window closed at {_closes(report)}."
    return None


# Why a step the table allows cannot happen now (None: it can).
GUARDS: dict[str, Callable[[Report, date], str | None]] = {
    "approve": _approve_guard,
    "send_to_manufacturers": _send_guard,
    "extend_deadline": _extend_guard,
    "answer_dispute": _dispute_guard,
    "manufacturer_respond": _respond_guard,
}


def refusal(report: Report, action: str, user: User, today: date | None = None) -> str | None:
    """Why `user` may not take `action` on `report` now, or None if they may."""
    step = TRANSITIONS.get((report.state, action))
    if step is None:
        return f"A report that is {report.state.label.lower()} cannot be {VERBS[action]}."
    _, part = step
    if not policy.can(user, "portal.use") or not part.plays(user, report):
        return f"Only {part.name} can do that."
    guard = GUARDS.get(action)
    return guard(report, today or date.today()) if guard else None


def allowed(report: Report, user: User, today: date | None = None) -> set[str]:
    """The actions `user` may take on `report` now (for showing buttons)."""
    return {a for a in ACTIONS if refusal(report, a, user, today) is None}


def apply(
    report: Report,
    action: str,
    user: User,
    *,
    note: str = "",
    audience: EventAudience = EventAudience.record,
    manufacturer_id: int | None = None,
    changes: dict | None = None,
    today: date | None = None,
) -> ReportEvent:
    """Check and take the step, and write it into the report's history."""
    reason = refusal(report, action, user, today)
    if reason is not None:
        step = TRANSITIONS.get((report.state, action))
        if step is not None and not step[1].plays(user, report):
            raise NotAllowed(reason)
        raise InvalidTransition(reason)
    before = report.state
    report.state = TRANSITIONS[(before, action)][0]
    report.updated_at = utcnow()
    event = ReportEvent(
        actor_id=user.id,
        action=action,
        from_state=before,
        to_state=report.state,
        audience=audience,
        manufacturer_id=manufacturer_id,
        note=note,
        changes=changes or {},
    )
    report.events.append(event)
    return event
