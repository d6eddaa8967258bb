"""Telling people what happened (DESIGN §7).

Each event writes an in-app notification per recipient and, in the same transaction, an
outbox e-mail for those who want one at once; users who chose the daily digest get one
e-mail a day from `send_digests`. E-mails carry the reference and a link, never the report's
content, and a security-sensitive report is not even named by its title.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Delivery,
    Edition,
    ManufacturerReview,
    Notification,
    Report,
    Role,
    User,
)
from app.models.base import utcnow
from app.services import audit, outbox, policy
from app.services.errors import NotFound

DIGEST_INTERVAL = timedelta(hours=20)  # a daily timer that drifts a little still sends daily


def _active(stmt: sa.Select) -> list[User]:
    return list(db.session.scalars(stmt.where(User.active.is_(True)).order_by(User.id)))


def validators() -> list[User]:
    return _active(sa.select(User).where(User.role == Role.validator))


def reporting_organisation(report: Report) -> list[User]:
    return _active(
        sa.select(User)
        .where(User.organisation_id == report.organisation_id)
        .where(User.role.in_(policy.REPORTING_ROLES))
    )


def manufacturer_users(manufacturer_id: int) -> list[User]:
    return _active(
        sa.select(User)
        .where(User.role == Role.manufacturer)
        .where(User.manufacturer_id == manufacturer_id)
    )


def _named(report: Report) -> str:
    if report.security_sensitive:
        return f"{report.label} (security-sensitive)"
    return f"{report.label}: {report.title}"


def notify(
    recipients: Iterable[User],
    *,
    kind: str,
    subject: str,
    body: str,
    link: str = "",
    report: Report | None = None,
) -> list[Notification]:
    created, seen = [], set()
    for user in recipients:
        if user.id in seen or not user.active:
            continue
        seen.add(user.id)
        notification = Notification(
            user_id=user.id,
            kind=kind,
            report_id=report.id if report else None,
            subject=subject[:300],
            body=body,
            link=link,
        )
        if user.notification_delivery == Delivery.immediate:
            outbox.enqueue_email(to=user.email, subject=subject, body=_email_text(body, link))
            notification.emailed_at = utcnow()
        db.session.add(notification)
        created.append(notification)
    return created


def _email_text(body: str, link: str) -> str:
    base = current_app.config["BASE_URL"]
    lines = [body, ""]
    if link:
        lines += [f"Open it in the register: {base}{link}", ""]
    lines += [
        "You receive this because of your role in the Issues & Defects Register. You can "
        f"choose a daily digest instead: {base}/notifications/",
        "",
        current_app.config["DISCLAIMER"],
    ]
    return "\n".join(lines)


# --- the events of DESIGN §7 ----------------------------------------------------------


def report_submitted(report: Report) -> None:
    notify(
        validators(),
        kind="report_submitted",
        subject=f"New report to validate: {report.label}",
        body=f"{_named(report)} was submitted and is waiting in the validation queue.",
        link=f"/validation/{report.reference}",
        report=report,
    )


def info_requested(report: Report) -> None:
    notify(
        reporting_organisation(report),
        kind="info_requested",
        subject=f"Information requested on {report.label}",
        body=f"The DCC validator has a question about {_named(report)}. Answer it in the "
        "register so validation can continue.",
        link=f"/reports/{report.reference}",
        report=report,
    )


def report_rejected(report: Report) -> None:
    notify(
        reporting_organisation(report),
        kind="report_rejected",
        subject=f"Report {report.label} was not accepted",
        body=f"{_named(report)} was rejected ({report.rejection_ground.label.lower()}). "
        "The reason is shown on the report.",
        link=f"/reports/{report.reference}",
        report=report,
    )


def review_requested(report: Report, review: ManufacturerReview) -> None:
    notify(
        manufacturer_users(review.manufacturer_id),
        kind="review_requested",
        subject=f"Prior notice: {report.label} involves your Devices",
        body=f"{_named(report)} involves Devices of {review.manufacturer.name}. You may agree, "
        "dispute it, add or correct a fix, and give a statement to publish with the record, "
        f"until the end of {report.review_deadline:%A %d %B %Y}.",
        link=f"/review/{report.reference}",
        report=report,
    )


def review_deadline_extended(report: Report, review: ManufacturerReview) -> None:
    notify(
        manufacturer_users(review.manufacturer_id),
        kind="review_extended",
        subject=f"More time to respond on {report.label}",
        body=f"The response window for {_named(report)} now closes at the end of "
        f"{report.review_deadline:%A %d %B %Y}.",
        link=f"/review/{report.reference}",
        report=report,
    )


def deadline_approaching(report: Report, review: ManufacturerReview) -> None:
    notify(
        manufacturer_users(review.manufacturer_id),
        kind="deadline_approaching",
        subject=f"Response window closing: {report.label}",
        body=f"The response window for {_named(report)} closes at the end of "
        f"{report.review_deadline:%A %d %B %Y}. Without a response it is recorded as "
        "'no response' and does not stop publication.",
        link=f"/review/{report.reference}",
        report=report,
    )


def manufacturer_responded(report: Report, review: ManufacturerReview) -> None:
    recipients = [report.validator] if report.validator else validators()
    notify(
        recipients,
        kind="manufacturer_responded",
        subject=f"{review.manufacturer.name} responded on {report.label}",
        body=f"{review.manufacturer.name} responded to {_named(report)}: "
        f"{review.response.label.lower()}.",
        link=f"/validation/{report.reference}",
        report=report,
    )


def record_published(report: Report, *, revised: bool = False) -> None:
    makers = [u for m in sorted(report.manufacturer_ids()) for u in manufacturer_users(m)]
    what = "revised" if revised else "published"
    notify(
        [*reporting_organisation(report), *makers],
        kind="record_revised" if revised else "record_published",
        subject=f"Record {what}: {report.label}",
        body=f"{_named(report)} was {what} in the register.",
        link=f"/reports/{report.reference}",
        report=report,
    )


def edition_ready(edition: Edition, month_label: str) -> None:
    notify(
        _active(sa.select(User).where(User.role == Role.secas)),
        kind="edition_ready",
        subject=f"Monthly edition ready: {month_label}, version {edition.version}",
        body=f"The {month_label} edition of the register (version {edition.version}, "
        f"{edition.record_count} record(s)) is ready to download and publish.",
        link="/publications/",
    )


# --- reading and preferences ----------------------------------------------------------


def list_for(actor: User, *, page: int, per_page: int = 30):
    policy.require(actor, "notifications.read")
    stmt = (
        sa.select(Notification)
        .where(Notification.user_id == actor.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def unread_count(actor: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    )


def mark_read(*, actor: User, notification_id: int | None = None) -> int:
    """Mark one notification (or, with no id, all) of the actor as read."""
    policy.require(actor, "notifications.read")
    stmt = sa.update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        exists = db.session.scalar(
            sa.select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == actor.id
            )
        )
        if exists is None:
            raise NotFound("No such notification.")
        stmt = stmt.where(Notification.id == notification_id)
    count = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


def set_delivery(*, actor: User, delivery: Delivery | str) -> User:
    policy.require(actor, "notifications.read")
    actor.notification_delivery = Delivery(delivery)
    audit.record(actor, "notifications.delivery_changed", actor, actor.notification_delivery.value)
    db.session.commit()
    return actor


def send_digests(now: datetime | None = None) -> int:
    """One e-mail per user with everything not yet e-mailed; returns how many were queued.
    Digest users get one at most every DIGEST_INTERVAL; a user who switched back to
    immediate e-mail gets what was still waiting for their digest at once."""
    now = now or utcnow()
    waiting = sa.select(Notification.user_id).where(Notification.emailed_at.is_(None))
    sent = 0
    for user in _active(sa.select(User).where(User.id.in_(waiting))):
        digest = user.notification_delivery == Delivery.daily_digest
        if digest and user.last_digest_at and now - user.last_digest_at < DIGEST_INTERVAL:
            continue
        pending = list(
            db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user.id, Notification.emailed_at.is_(None))
                .order_by(Notification.id)
            )
        )
        outbox.enqueue_email(
            to=user.email,
            subject=f"Issues & Defects Register: {len(pending)} new notification(s)",
            body=_email_text(_digest_text(pending), "/notifications/"),
        )
        for notification in pending:
            notification.emailed_at = now
        if digest:
            user.last_digest_at = now
        sent += 1
    db.session.commit()
    return sent


def _digest_text(pending: list[Notification]) -> str:
    base = current_app.config["BASE_URL"]
    items = []
    for n in pending:
        lines = [f"- {n.subject}", f"  {n.body}"]
        if n.link:
            lines.append(f"  {base}{n.link}")
        items.append("\n".join(lines))
    return "Since your last digest:\n\n" + "\n\n".join(items)
