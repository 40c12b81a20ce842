"""Sentry error reporting, started only when SENTRY_DSN is set.

An event says which tenant, user and request it came from, by id only: no email, name, client
address, cookie or body leaves. send_default_pii stays off, and `before_send` removes whatever an
integration may still have attached, so the guarantee does not rest on the SDK's defaults.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint

from .context import request_id_var, tenant_id_var, user_id_var

# Request headers that carry a credential or the client's address.
IDENTIFYING_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "forwarded",
        "x-forwarded-for",
        "x-real-ip",
    }
)
# Parts of an event's request that may hold personal data: bodies (a login's email, a customer's
# details), query strings, cookies, and the WSGI environment (REMOTE_ADDR).
PERSONAL_REQUEST_PARTS = ("data", "query_string", "cookies", "env")


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        # A frame's local variables hold users, customers and request bodies: the stack trace is
        # reported without them.
        include_local_variables=False,
        before_send=before_send,
    )


def before_send(event: Event, hint: Hint) -> Event:
    """Tag the event with the ids of the request it came from and strip what names a person.

    Runs where the error was captured, so the ContextVars still hold that request's ids."""
    _scrub_request(event.get("request"))
    user_id = user_id_var.get()
    if user_id:
        event["user"] = {"id": user_id}
    else:
        event.pop("user", None)
    tags = event.setdefault("tags", {})
    for name, var in (("tenant_id", tenant_id_var), ("request_id", request_id_var)):
        value = var.get()
        if value:
            tags[name] = value
    return event


def _scrub_request(request: dict[str, Any] | None) -> None:
    if not request:
        return
    for part in PERSONAL_REQUEST_PARTS:
        request.pop(part, None)
    headers = request.get("headers")
    if headers:
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() not in IDENTIFYING_HEADERS
        }
