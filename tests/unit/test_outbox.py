from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow
from app.services import outbox
from tests.support.smtp import free_port


def queue_mail(app, to="someone@example.test", subject="Hello"):
    with app.app_context():
        outbox.enqueue_email(to=to, subject=subject, body="Body text")
        db.session.commit()


def message_rows(app):
    with app.app_context():
        return [
            (m.status, m.attempts, m.last_error)
            for m in db.session.scalars(sa.select(OutboxMessage))
        ]


def test_without_mail_server_mail_is_written_as_eml_files(app):
    queue_mail(app)
    with app.app_context():
        result = outbox.drain()
    assert result.done == 1
    files = list(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "Subject: Hello" in text and "To: someone@example.test" in text


def test_mail_is_sent_through_a_real_smtp_server(app, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    queue_mail(app, subject="Over SMTP")
    with app.app_context():
        assert outbox.drain().done == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Over SMTP"]
    assert message_rows(app)[0][0] == OutboxStatus.done


def test_failures_retry_with_back_off_and_nothing_is_lost(app, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3)
    queue_mail(app, subject="Kept while down")
    with app.app_context():
        first = outbox.drain()
        assert (first.done, first.retrying) == (0, 1)
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert outbox.drain().processed == 0  # not due yet
        # Mail server comes back: the message goes out at its next attempt.
        message.next_attempt_at = utcnow()
        db.session.commit()
    app.config["MAIL_PORT"] = smtp_server.port
    with app.app_context():
        assert outbox.drain().done == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Kept while down"]


def test_after_the_last_attempt_the_message_is_failed_and_can_be_retried(
    app, smtp_server, make_user
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=2)
    queue_mail(app)
    for _ in range(2):
        with app.app_context():
            outbox.drain()
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
    status, attempts, error = message_rows(app)[0]
    assert (status, attempts) == (OutboxStatus.failed, 2)
    assert "ConnectionRefusedError" in error
    admin = make_user("admin")
    app.config["MAIL_PORT"] = smtp_server.port
    with app.app_context():
        from app.models import User

        message_id = db.session.scalar(sa.select(OutboxMessage.id))
        outbox.retry(actor=db.session.get(User, admin.id), message_id=message_id)
        assert outbox.drain().done == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (20, 6 * 3600)])
def test_backoff_doubles_up_to_a_cap(attempts, seconds):
    assert outbox.backoff(attempts) == timedelta(seconds=seconds)


def test_unknown_kind_is_refused(app):
    with app.app_context(), pytest.raises(KeyError):
        outbox.enqueue("no-such-kind", {})


APPLIED: list[dict] = []


@outbox.batch_handler("test.batch", size=10)
def _record_batch(payloads: list[dict]) -> None:
    if any(p.get("bad") for p in payloads):
        raise ValueError("a bad payload")
    APPLIED.extend(payloads)


def test_a_batch_is_applied_together_and_a_bad_message_does_not_hold_back_the_rest(app):
    APPLIED.clear()
    with app.app_context():
        for n in range(4):
            outbox.enqueue("test.batch", {"n": n, "bad": n == 2})
        db.session.commit()
        result = outbox.drain()
        rows = {m.payload["n"]: m for m in db.session.scalars(sa.select(OutboxMessage))}
        assert result.done == 3 and result.retrying == 1
        assert sorted(p["n"] for p in APPLIED) == [0, 1, 3]
        assert rows[2].status == OutboxStatus.pending and "a bad payload" in rows[2].last_error
        assert all(rows[n].status == OutboxStatus.done for n in (0, 1, 3))


@outbox.handler("test.wait")
def _wait_for_another_worker(payload: dict) -> None:
    raise outbox.RetryLater("another worker holds it", at=utcnow() + timedelta(minutes=30))


def test_waiting_for_another_worker_postpones_without_using_an_attempt(app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    with app.app_context():
        outbox.enqueue("test.wait", {})
        db.session.commit()
        for _ in range(3):  # due only once: later drains find nothing to do
            outbox.drain()
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.status == OutboxStatus.pending and message.attempts == 0
        assert message.last_error == "Waiting: another worker holds it"
        assert message.next_attempt_at > utcnow() + timedelta(minutes=29)
