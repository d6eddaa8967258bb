"""What the domain may know about the current request: only the client address, for audit.
The web layer sets it; CLI commands leave it empty."""

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
