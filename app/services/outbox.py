"""The transactional outbox and its drain.

`enqueue` adds a row in the caller's transaction, so the work exists exactly when the change
that caused it is committed. `drain` applies due rows one by one (kinds registered with
`batch_handler`, a batch at a time), each leased to one drain by a conditional UPDATE
committed before the work starts: concurrent drains never apply a message twice, and one
that dies mid-work leaves it to be retried once its lease (OUTBOX_LEASE_SECONDS) expires.
A failure is retried with exponential back-off and, after OUTBOX_MAX_ATTEMPTS, left as
`failed` for an admin to see and retry. A handler that must wait for something else
raises `RetryLater`. Nothing is deleted.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, User
from app.models.base import utcnow
from app.services import audit, mailer, policy
from app.services.errors import NotFound

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)

Handler = Callable[[dict], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


# Kinds whose due messages are applied together, up to this many at once: the handler gets
# a list of payloads. Search index updates are batched so that a bulk import's thousand
# messages become a few index commits, not a thousand small segments.
BATCHED: dict[str, int] = {}


BatchHandler = Callable[[list[dict]], None]


def batch_handler(kind: str, *, size: int = 50) -> Callable[[BatchHandler], BatchHandler]:
    def register(fn: BatchHandler) -> BatchHandler:
        HANDLERS[kind] = fn
        BATCHED[kind] = size
        return fn

    return register


class RetryLater(Exception):
    """Raised by a handler that cannot do its work yet through no fault of its own (another
    worker holds it): the drain tries the message again at `at` without counting an
    attempt, so waiting never uses up OUTBOX_MAX_ATTEMPTS."""

    def __init__(self, message: str, *, at: datetime):
        super().__init__(message)
        self.at = at


def enqueue(kind: str, payload: dict) -> OutboxMessage:
    if kind not in HANDLERS:
        raise KeyError(f"no outbox handler for {kind!r}")
    message = OutboxMessage(kind=kind, payload=payload)
    db.session.add(message)
    return message


def enqueue_email(*, to: str, subject: str, body: str) -> OutboxMessage:
    return enqueue("email", {"to": to, "subject": subject, "body": body})


@handler("email")
def _send_email(payload: dict) -> None:
    mailer.deliver(mailer.build_message(**payload))


def backoff(attempts: int) -> timedelta:
    return min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


@dataclass
class DrainResult:
    done: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.retrying + self.failed


def drain(limit: int = 500) -> DrainResult:
    """Apply due messages, each (or each batch of a batched kind) in its own transaction.
    Safe to run in several processes at once, on SQLite as on PostgreSQL: each message is
    leased to one drain, and the lease committed, before its work starts."""
    owner = _owner()
    result = DrainResult()
    while result.processed < limit:
        messages = _claim_next(owner)
        if not messages:
            break
        _apply(messages, owner, result)
    return result


@dataclass(frozen=True)
class Claimed:
    """A message leased to this drain: what the work needs, read as the lease was taken."""

    id: int
    kind: str
    payload: dict
    attempts: int


def _owner() -> str:
    # One per drain run (two drains in one process differ too); readable on /admin/outbox.
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claimable(now: datetime):
    """Due, and not leased to a drain, or leased to one that has stopped (lease expired)."""
    return sa.and_(
        OutboxMessage.status == OutboxStatus.pending,
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def _claim_next(owner: str) -> list[Claimed]:
    """Lease the oldest due message to `owner`, with more of its kind for a batched kind.
    Candidates are read without locks and the conditional UPDATE decides, so a drain that
    loses its candidates to another simply looks again (they are leased now, so it finds
    others)."""
    while True:
        now = utcnow()
        first = db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.kind)
            .where(_claimable(now))
            .order_by(OutboxMessage.id)
            .limit(1)
        ).first()
        if first is None:
            db.session.commit()  # end the read: a drain holds no transaction while idle
            return []
        ids = [first.id]
        if size := BATCHED.get(first.kind):
            ids += db.session.scalars(
                sa.select(OutboxMessage.id)
                .where(_claimable(now), OutboxMessage.kind == first.kind)
                .where(OutboxMessage.id > first.id)
                .order_by(OutboxMessage.id)
                .limit(size - 1)
            )
        if claimed := _lease(ids, owner, now):
            return claimed


def _lease(ids: list[int], owner: str, now: datetime) -> list[Claimed]:
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    rows = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _claimable(now))
        .values(claimed_by=owner, claimed_until=now + lease)
        .returning(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.attempts
        )
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()  # the lease holds before any work starts, and outlives a crash
    return sorted((Claimed(*row) for row in rows), key=lambda m: m.id)


def _apply(messages: list[Claimed], owner: str, result: DrainResult) -> None:
    """Apply one message, or a batch of one kind together. A batch that fails is applied
    again a message at a time, so one bad message does not hold back the others."""
    kind = messages[0].kind
    try:
        if kind in BATCHED:
            HANDLERS[kind]([m.payload for m in messages])
        else:
            HANDLERS[kind](messages[0].payload)
    except Exception as exc:  # any failure of the outside world is retried, never lost
        db.session.rollback()  # whatever the handler left half done is not kept
        if len(messages) > 1:
            for message in messages:
                _apply([message], owner, result)
            return
        if isinstance(exc, RetryLater):
            _postpone(messages[0], owner, exc, result)
        else:
            _record_failure(messages[0], owner, f"{type(exc).__name__}: {exc}"[:2000], result)
    else:
        for message in messages:
            _settle(
                message,
                owner,
                attempts=message.attempts + 1,
                status=OutboxStatus.done,
                processed_at=utcnow(),
                last_error=None,
            )
            result.done += 1
    db.session.commit()


def _settle(message: Claimed, owner: str, **values) -> None:
    """Record how the work ended and end the lease, only while this drain still holds it:
    a drain that outlived its lease leaves the message to the drain that took it over."""
    settled = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == owner)
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if settled.rowcount != 1:
        current_app.logger.warning(
            "Outbox message %s (%s) outlived its lease; another drain has taken it over "
            "(raise OUTBOX_LEASE_SECONDS if its work takes this long)",
            message.id,
            message.kind,
        )


def _record_failure(message: Claimed, owner: str, error: str, result: DrainResult) -> None:
    attempts = message.attempts + 1
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        _settle(message, owner, attempts=attempts, last_error=error, status=OutboxStatus.failed)
        result.failed += 1
    else:
        retry_at = utcnow() + backoff(attempts)
        _settle(message, owner, attempts=attempts, last_error=error, next_attempt_at=retry_at)
        result.retrying += 1


def _postpone(message: Claimed, owner: str, wait: RetryLater, result: DrainResult) -> None:
    _settle(
        message,
        owner,
        last_error=f"Waiting: {wait}"[:2000],
        next_attempt_at=max(wait.at, utcnow()),
    )
    result.retrying += 1


def waiting(actor: User, *, page: int, per_page: int = 50):
    """Messages not yet done, failures first, for the admin's outbox page."""
    policy.require(actor, "outbox.manage")
    stmt = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status != OutboxStatus.done)
        .order_by(OutboxMessage.status.desc(), OutboxMessage.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def retry(*, actor: User, message_id: int) -> OutboxMessage:
    """Make a message due now with its attempts counted afresh. Conditional, as a drain's own
    writes are: a message a drain has just marked done is not sent again, and a lease held
    by a drain is left alone (that drain settles the message, or its lease expires)."""
    policy.require(actor, "outbox.manage")
    retried = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status != OutboxStatus.done)
        .values(status=OutboxStatus.pending, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if retried.rowcount != 1:
        raise NotFound("No such message waiting in the outbox.")
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    audit.record(actor, "outbox.retry", message, f"{message.kind} #{message.id}")
    db.session.commit()
    return message
