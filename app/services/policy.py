"""The one place that answers "may this user do or see this?".

Views, templates and services ask `can(user, action, obj)` or `require(...)`; lists and counts
go through `visible_reports(user, stmt)`, which says in SQL exactly what `can(user,
"report.view", report)` says in Python (DESIGN §3; tests hold the two together). Nothing
else compares roles.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from app.models import (
    AffectedDevice,
    EventAudience,
    Report,
    ReportEvent,
    ReportState,
    Role,
    User,
)
from app.services.errors import NotAllowed

S = ReportState
_EVERY_SIGNED_IN_ROLE = frozenset(Role)
# Roles whose users report on behalf of their organisation. Validators report for the DCC
# (for example a legacy DSMS record promoted to a report): for a DCC report the DCC's
# validators are its reporting organisation, as a supplier's users are for theirs. Admins
# of the DCC are not: they report nothing and see no more than before.
REPORTING_ROLES = frozenset({Role.party, Role.manufacturer, Role.validator})
# From manufacturer review on, the manufacturers of the DMC's Devices see the report.
MANUFACTURER_STATES = frozenset({S.manufacturer_review, S.approved, S.published, S.withdrawn})

# Area actions: which roles may use a part of the portal at all.
ROLE_ACTIONS: dict[str, frozenset[Role]] = {
    "portal.use": _EVERY_SIGNED_IN_ROLE,
    "account.change_password": _EVERY_SIGNED_IN_ROLE,
    "notifications.read": _EVERY_SIGNED_IN_ROLE,
    "records.browse": _EVERY_SIGNED_IN_ROLE,
    "reports.submit": REPORTING_ROLES,
    "validation.work": frozenset({Role.validator}),
    "review.work": frozenset({Role.manufacturer}),
    "legacy.import": frozenset({Role.validator}),
    "legacy.read": _EVERY_SIGNED_IN_ROLE,
    "legacy.promote": frozenset({Role.validator}),
    "search.use": _EVERY_SIGNED_IN_ROLE,
    # Superfluous alerts tracker (DESIGN §8): measured volumes per DMC are aggregated and hold
    # no customer data, so every signed-in role sees them for all DMCs; the no-league-table
    # rule is about report counts. Validators import the extracts and draft reports from them.
    "alerts.view": _EVERY_SIGNED_IN_ROLE,
    "alerts.import": frozenset({Role.validator}),
    "alerts.draft": frozenset({Role.validator}),
    "admin.access": frozenset({Role.admin}),
    "audit.read": frozenset({Role.admin}),
    "users.manage": frozenset({Role.admin}),
    "organisations.manage": frozenset({Role.admin}),
    "catalogue.manage": frozenset({Role.admin}),
    "outbox.manage": frozenset({Role.admin}),
    # Monthly editions (DESIGN §6): SECAS publishes them, validators build them with SECAS.
    # An edition is SECAS's to release, so other roles read the same records on /records/.
    "publication.build": frozenset({Role.secas, Role.validator}),
    "publication.download": frozenset({Role.secas, Role.validator}),
}


# --- the parts a user can play in a report ---------------------------------------------


def is_author(user: User, report: Report) -> bool:
    return report.author_id == user.id


def in_reporting_organisation(user: User, report: Report) -> bool:
    return user.role in REPORTING_ROLES and user.organisation_id == report.organisation_id


def is_validator(user: User, report: Report | None = None) -> bool:
    return user.role == Role.validator


def is_involved_manufacturer(user: User, report: Report) -> bool:
    return (
        user.role == Role.manufacturer
        and user.manufacturer_id is not None
        and user.manufacturer_id in report.manufacturer_ids()
    )


# --- reports ----------------------------------------------------------------------------


def sees_report(user: User, report: Report) -> bool:
    """The whole report (DESIGN §3)."""
    if report.state == S.draft:
        return is_author(user, report)
    if is_validator(user) or in_reporting_organisation(user, report):
        return True
    if is_involved_manufacturer(user, report) and report.state in MANUFACTURER_STATES:
        return True
    if report.security_sensitive:
        return user.role == Role.ssc
    return report.state == S.published


def sees_withdrawal_notice(user: User, report: Report) -> bool:
    """Everyone else sees only that a published record was withdrawn, and why."""
    return report.state == S.withdrawn and not report.security_sensitive


def sees_reporter(user: User, report: Report) -> bool:
    """The reporting organisation's name: its members, validators and, with the reporter's
    consent, the manufacturers concerned. Everyone else sees its category only."""
    if is_validator(user) or in_reporting_organisation(user, report):
        return True
    return report.reveal_organisation and is_involved_manufacturer(user, report)


def sees_event(user: User, event: ReportEvent) -> bool:
    audience = event.audience
    if is_validator(user):
        return True
    if audience == EventAudience.record:
        return sees_report(user, event.report)
    if audience == EventAudience.reporter:
        return in_reporting_organisation(user, event.report)
    if audience == EventAudience.manufacturer:
        return user.role == Role.manufacturer and user.manufacturer_id == event.manufacturer_id
    return False


def sees_event_changes(user: User, event: ReportEvent) -> bool:
    """Before/after text of an edit or revision: the reporting organisation and validators
    only, so wording removed from a record (an MPAN, a name) is not still published."""
    return is_validator(user) or in_reporting_organisation(user, event.report)


def responds_to_review(user: User, report: Report) -> bool:
    return report.state == S.manufacturer_review and is_involved_manufacturer(user, report)


def edits_draft(user: User, report: Report) -> bool:
    """The reporter's edit form: only the author's own draft. Once submitted, a report
    changes only through the validator's edits (which keep the reporter's text)."""
    return report.state == S.draft and is_author(user, report) and user.role in REPORTING_ROLES


def validates(user: User, report: Report) -> bool:
    return is_validator(user) and report.state != S.draft


OBJECT_ACTIONS: dict[str, Callable[[User, object], bool]] = {
    "report.view": sees_report,
    "report.view_notice": sees_withdrawal_notice,
    "report.see_reporter": sees_reporter,
    "report.edit": edits_draft,
    "report.validate": validates,
    "review.respond": responds_to_review,
    "event.view": sees_event,
    "event.see_changes": sees_event_changes,
}


def involving_manufacturer(manufacturer_id: int) -> sa.ColumnElement[bool]:
    """SQL: the report has a Device of this manufacturer in its DMC."""
    return (
        sa.select(AffectedDevice.id)
        .where(AffectedDevice.report_id == Report.id)
        .where(AffectedDevice.manufacturer_id == manufacturer_id)
        .exists()
    )


def visible_reports(user: User, stmt: sa.Select) -> sa.Select:
    """Restrict a select of Report to the reports `user` may see in full."""
    return stmt.where(visibility_clause(user))


def visibility_clause(user: User) -> sa.ColumnElement[bool]:
    if not can(user, "portal.use"):
        return sa.false()
    own_draft = sa.and_(Report.state == S.draft, Report.author_id == user.id)
    not_draft = Report.state != S.draft
    if user.role == Role.validator:
        return sa.or_(own_draft, not_draft)
    public = sa.and_(Report.state == S.published, Report.security_sensitive.is_(False))
    parts = [own_draft, public]
    if user.role in REPORTING_ROLES:
        parts.append(sa.and_(not_draft, Report.organisation_id == user.organisation_id))
    if user.role == Role.manufacturer and user.manufacturer_id is not None:
        involved = involving_manufacturer(user.manufacturer_id)
        parts.append(sa.and_(Report.state.in_(MANUFACTURER_STATES), involved))
    if user.role == Role.ssc:
        parts.append(sa.and_(not_draft, Report.security_sensitive.is_(True)))
    return sa.or_(*parts)


# --- the monthly edition (DESIGN §6) ---------------------------------------------------


def publicly_listed() -> sa.ColumnElement[bool]:
    """SQL: records everyone may read, in full or as a withdrawal notice; nothing else may
    go into a monthly edition."""
    return sa.and_(
        Report.state.in_([S.published, S.withdrawn]), Report.security_sensitive.is_(False)
    )


def in_public_edition(report: Report, published_content: dict) -> bool:
    """A record goes into an edition only if it is not security-sensitive now, nor was in
    the published content the edition would show (a revision may have changed the flag)."""
    return not report.security_sensitive and not published_content.get("security_sensitive")


# --- search visibility tokens (DESIGN §5) ----------------------------------------------

PUBLIC_TOKEN = "public"  # noqa: S105 - a visibility token, not a secret


def document_tokens(report: Report) -> list[str]:
    """Who may find a report in search, as tokens stored with its document; the same rule
    as `sees_report` (tests hold them together). Drafts are not indexed."""
    if report.state == S.draft:
        return []
    tokens = {f"org:{report.organisation_id}", "validator"}
    if report.state in MANUFACTURER_STATES:
        tokens |= {f"maker:{m}" for m in report.manufacturer_ids()}
    if report.security_sensitive:
        tokens.add("ssc")
    elif report.state == S.published:
        tokens.add(PUBLIC_TOKEN)
    return sorted(tokens)


def visibility_tokens(user: User | None) -> list[str]:
    """The tokens a user's search is filtered by. Legacy records carry PUBLIC_TOKEN: every
    signed-in user may search them (they are redacted)."""
    if not can(user, "portal.use"):
        return []
    tokens = {PUBLIC_TOKEN}
    if user.role == Role.validator:
        tokens.add("validator")
    if user.role in REPORTING_ROLES:
        tokens.add(f"org:{user.organisation_id}")
    if user.role == Role.manufacturer and user.manufacturer_id is not None:
        tokens.add(f"maker:{user.manufacturer_id}")
    if user.role == Role.ssc:
        tokens.add("ssc")
    return sorted(tokens)


# --- asking -----------------------------------------------------------------------------


def can(user: User | None, action: str, obj: object | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if action in ROLE_ACTIONS:
        return user.role in ROLE_ACTIONS[action]
    if action in OBJECT_ACTIONS:
        return obj is not None and OBJECT_ACTIONS[action](user, obj)
    raise KeyError(f"unknown policy action {action!r}")


def require(user: User | None, action: str, obj: object | None = None) -> None:
    if not can(user, action, obj):
        raise NotAllowed("You do not have permission to do that.")
