"""Sentry events carry the tenant, user and request ids, and nothing that names a person
(issue 12): no email, username, client address, cookie, credential, body or query string."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.types import Event

from cliqserve.core.context import request_id_var, tenant_id_var, user_id_var
from cliqserve.core.sentry import before_send, init_sentry

EMAIL = "jane.doe@shop.test"
ADDRESS = "203.0.113.7"
TENANT_ID = "7b3c1f0e-0000-4000-8000-00000000000a"
USER_ID = "7b3c1f0e-0000-4000-8000-00000000000b"
REQUEST_ID = "req-42"


@contextmanager
def request_context(*, tenant_id: str | None, user_id: str | None) -> Iterator[None]:
    tokens = [
        (request_id_var, request_id_var.set(REQUEST_ID)),
        (tenant_id_var, tenant_id_var.set(tenant_id)),
        (user_id_var, user_id_var.set(user_id)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def sample_event() -> Event:
    """An event as an integration with personal data switched on would shape it."""
    return {
        "message": "boom",
        "tags": {"component": "api"},
        "user": {"id": "someone-else", "email": EMAIL, "username": EMAIL, "ip_address": ADDRESS},
        "request": {
            "url": "https://pos.example.com/api/v1/auth/login/",
            "method": "POST",
            "query_string": f"email={EMAIL}",
            "data": {"email": EMAIL, "password": "hunter2-hunter2"},
            "cookies": {"sessionid": "s3cr3t"},
            "env": {"REMOTE_ADDR": ADDRESS, "SERVER_NAME": "pos"},
            "headers": {
                "Content-Type": "application/json",
                "User-Agent": "Till/3.1",
                "Authorization": "Bearer eyJ.secret",
                "Cookie": "sessionid=s3cr3t",
                "X-Forwarded-For": ADDRESS,
                "X-Real-Ip": ADDRESS,
                "Forwarded": f"for={ADDRESS}",
            },
        },
    }


def test_an_event_carries_the_ids_and_nothing_personal() -> None:
    with request_context(tenant_id=TENANT_ID, user_id=USER_ID):
        event = before_send(sample_event(), {})

    assert event["user"] == {"id": USER_ID}
    assert event["tags"] == {"component": "api", "tenant_id": TENANT_ID, "request_id": REQUEST_ID}
    assert event["request"] == {
        "url": "https://pos.example.com/api/v1/auth/login/",
        "method": "POST",
        "headers": {"Content-Type": "application/json", "User-Agent": "Till/3.1"},
    }
    sent = json.dumps(event)
    for personal in (EMAIL, ADDRESS, "s3cr3t", "hunter2", "eyJ"):
        assert personal not in sent


def test_an_event_outside_a_request_has_no_user() -> None:
    """A Celery task or a command: no request, tenant or user to name, and no user to invent."""
    event = sample_event()
    del event["request"]

    with request_context(tenant_id=None, user_id=None):
        scrubbed = before_send(event, {})

    assert "user" not in scrubbed
    assert scrubbed["tags"] == {"component": "api", "request_id": REQUEST_ID}


def test_a_request_without_headers_loses_its_body_all_the_same() -> None:
    event = sample_event()
    event["request"] = {"url": "https://pos.example.com/api/v1/sales/", "data": {"email": EMAIL}}

    with request_context(tenant_id=TENANT_ID, user_id=USER_ID):
        scrubbed = before_send(event, {})

    assert scrubbed["request"] == {"url": "https://pos.example.com/api/v1/sales/"}


class Captured(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.events += [item.payload.json for item in envelope.items if item.type == "event"]


def test_the_sdk_sends_the_scrubbed_event() -> None:
    """Through the SDK as configured: the hook is installed and local variables stay home."""
    init_sentry(dsn="https://public@sentry.invalid/1", environment="test", traces_sample_rate=0.0)
    transport = Captured()
    try:
        client = sentry_sdk.get_client()
        client.transport = transport
        assert client.options["send_default_pii"] is False
        customer_email = EMAIL  # a local variable of the failing frame
        with request_context(tenant_id=TENANT_ID, user_id=USER_ID):
            try:
                raise RuntimeError(f"refused {len(customer_email)}")
            except RuntimeError as exc:
                sentry_sdk.capture_exception(exc)
    finally:
        sentry_sdk.init(dsn=None)

    [event] = transport.events
    assert event["user"] == {"id": USER_ID}
    assert (event["tags"]["tenant_id"], event["tags"]["request_id"]) == (TENANT_ID, REQUEST_ID)
    assert EMAIL not in json.dumps(event)
