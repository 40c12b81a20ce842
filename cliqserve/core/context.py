"""Per-request values that logs and error bodies carry without passing them around.

Each value is a `ContextVar`, so it is isolated per thread and per asyncio task, and every
setter returns a token that the caller resets in a `finally`.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
tenant_id_var: ContextVar[str | None] = ContextVar("tenant_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


# The caller's address (as the throttles see it) and user agent, for the audit trail.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
user_agent_var: ContextVar[str] = ContextVar("user_agent", default="")
