"""Real `flask outbox drain` processes against one database and a real SMTP server: two
drains at once deliver every message exactly once, and a drain killed mid-send leaves its
message leased until the lease expires, then another drain delivers it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow
from app.services import outbox
from tests.support.smtp import CapturingSMTPServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp_server_meeting():
    server = CapturingSMTPServer(meet=2)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server_holding():
    server = CapturingSMTPServer(hold_first=True)
    server.start()
    yield server
    server.stop()


def start_drain(app, tmp_path: Path, port: int) -> subprocess.Popen:
    """`flask --app wsgi outbox drain` as an operator's timer runs it, on the test database."""
    env = os.environ | {
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DIR": str(tmp_path / "mail"),
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "drain"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def queue_mail(app, subjects: list[str]) -> None:
    with app.app_context():
        for subject in subjects:
            outbox.enqueue_email(to="party@example.test", subject=subject, body="Body text")
        db.session.commit()


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_two_drains_at_once_deliver_every_message_exactly_once(app, tmp_path, smtp_server_meeting):
    subjects = [f"Message {n}" for n in range(40)]
    queue_mail(app, subjects)
    drains = [start_drain(app, tmp_path, smtp_server_meeting.port) for _ in range(2)]
    outputs = [drain.communicate(timeout=300) for drain in drains]
    for drain, (_out, err) in zip(drains, outputs, strict=True):
        assert drain.returncode == 0, err
    # The server held the first sends until both drains were sending at once.
    assert smtp_server_meeting.most_at_once == 2, "the two drains never overlapped"
    received = Counter(m["Subject"] for m in smtp_server_meeting.messages)
    not_once = sorted(s for s in subjects if received[s] != 1)
    assert not not_once, f"{len(not_once)} of {len(subjects)} not delivered once: {not_once}"
    assert received.total() == len(subjects)
    done = [int(out.split(" done")[0]) for out, _ in outputs]
    assert sum(done) == len(subjects) and all(done), outputs
    rows = outbox_rows(app)
    assert {(m.status, m.attempts, m.claimed_by) for m in rows} == {(OutboxStatus.done, 1, None)}


def test_a_drain_killed_mid_send_is_retried_once_its_lease_expires(
    app, tmp_path, smtp_server_holding
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server_holding.port)
    queue_mail(app, ["Sent once after its drain died"])
    drain = start_drain(app, tmp_path, smtp_server_holding.port)
    try:
        assert smtp_server_holding.holding.wait(timeout=120), drain.stderr
    finally:
        drain.send_signal(signal.SIGKILL)
        drain.wait(timeout=60)
    [message] = outbox_rows(app)
    assert message.status == OutboxStatus.pending and f":{drain.pid}:" in message.claimed_by
    assert message.claimed_until > utcnow()

    with app.app_context():  # another drain while the lease holds: it leaves the message
        assert outbox.drain().processed == 0
    assert smtp_server_holding.messages == []

    with app.app_context():  # time passes: the dead drain's lease expires
        db.session.execute(
            sa.update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert outbox.drain().done == 1
        assert outbox.drain().processed == 0
    assert [m["Subject"] for m in smtp_server_holding.messages] == [
        "Sent once after its drain died"
    ]
    [message] = outbox_rows(app)
    assert (message.status, message.attempts, message.claimed_by) == (OutboxStatus.done, 1, None)
