"""The transactional outbox and its drain.

`enqueue` adds a row in the caller's transaction, so the work exists exactly when the change
that caused it is committed. `drain` applies due rows one by one (kinds registered with
`batch_handler`, a batch at a time); a failure is retried with exponential back-off and,
after OUTBOX_MAX_ATTEMPTS, left as `failed` for an admin to see
and retry. A handler that must wait for something else raises `RetryLater`. Nothing is
deleted.
"""

from __future__ import annotations

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
    Safe to run in several processes on PostgreSQL (rows are claimed with SKIP LOCKED)."""
    result = DrainResult()
    while result.processed < limit:
        message = _claim_next()
        if message is None:
            break
        _apply(_with_batch(message), result)
    return result


def _due(limit: int, kind: str | None = None, after: int = 0):
    stmt = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.next_attempt_at <= utcnow())
        .where(OutboxMessage.id > after)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


def _claim_next() -> OutboxMessage | None:
    return db.session.scalar(_due(1))


def _with_batch(message: OutboxMessage) -> list[OutboxMessage]:
    size = BATCHED.get(message.kind)
    if not size:
        return [message]
    return [message, *db.session.scalars(_due(size - 1, message.kind, after=message.id))]


def _apply(messages: list[OutboxMessage], result: DrainResult) -> None:
    """Apply one message, or a batch of one kind together. A batch that fails is applied
    again a message at a time, so one bad message does not hold back the others."""
    kind = messages[0].kind
    try:
        if kind in BATCHED:
            HANDLERS[kind]([m.payload for m in messages])
        else:
            HANDLERS[kind](messages[0].payload)
    except Exception as exc:  # any failure of the outside world is retried, never lost
        if len(messages) > 1:
            for message in messages:
                _apply([message], result)
            return
        if isinstance(exc, RetryLater):
            _postpone(messages[0], exc, result)
        else:
            _record_failure(messages[0], f"{type(exc).__name__}: {exc}"[:2000], result)
    else:
        for message in messages:
            message.attempts += 1
            message.status = OutboxStatus.done
            message.processed_at = utcnow()
            message.last_error = None
            result.done += 1
    db.session.commit()


def _record_failure(message: OutboxMessage, error: str, result: DrainResult) -> None:
    message.attempts += 1
    message.last_error = error
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.failed
        result.failed += 1
    else:
        message.next_attempt_at = utcnow() + backoff(message.attempts)
        result.retrying += 1


def _postpone(message: OutboxMessage, wait: RetryLater, result: DrainResult) -> None:
    message.last_error = f"Waiting: {wait}"[:2000]
    message.next_attempt_at = max(wait.at, utcnow())
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
    policy.require(actor, "outbox.manage")
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status == OutboxStatus.done:
        raise NotFound("No such message waiting in the outbox.")
    message.status = OutboxStatus.pending
    message.attempts = 0
    message.next_attempt_at = utcnow()
    audit.record(actor, "outbox.retry", message, f"{message.kind} #{message.id}")
    db.session.commit()
    return message
