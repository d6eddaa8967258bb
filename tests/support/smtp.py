"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Two ways of shaping when it answers, for tests of concurrent senders: `meet=2` makes the
first transactions wait (at MAIL FROM, briefly) until two are open at once, so two senders
are proven to overlap (`most_at_once`); `hold_first=True` never answers the first
transaction, as a sender killed mid-send would leave it (`holding` is set once it is held).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# Below smtplib's 20 s timeout in app/services/mailer.py, so a wait never fails a send.
MEET_TIMEOUT_SECONDS = 15


class _Collector:
    def __init__(self, *, meet: int, hold_first: bool):
        self.messages: list[EmailMessage] = []
        self.meet = meet
        self.hold_first = hold_first
        self.holding = threading.Event()
        self.open = 0
        self.most_at_once = 0
        self._met: asyncio.Event | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.open += 1
        self.most_at_once = max(self.most_at_once, self.open)
        if self.hold_first and not self.holding.is_set():
            self.holding.set()
            await asyncio.Event().wait()  # until the server stops
        if self._met is None:
            self._met = asyncio.Event()
        if self.open >= self.meet:
            self._met.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._met.wait(), MEET_TIMEOUT_SECONDS)
        self._met.set()  # met (or given up on) once: later transactions do not wait
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.open -= 1
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CapturingSMTPServer:
    def __init__(self, *, meet: int = 1, hold_first: bool = False):
        self.port = free_port()
        self._collector = _Collector(meet=meet, hold_first=hold_first)
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._collector.messages

    @property
    def most_at_once(self) -> int:
        """The most transactions (MAIL FROM to end of DATA) that were open at one time."""
        return self._collector.most_at_once

    @property
    def holding(self) -> threading.Event:
        return self._collector.holding

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
