"""Request ids, JSON access logs, and the promise that secrets never reach the logs."""

from __future__ import annotations

import logging

import pytest

pytestmark = [pytest.mark.urls("cliqserve.core.tests.urls"), pytest.mark.django_db]

A_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiNDIifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_request_id_is_made_when_absent(api_client):
    response = api_client.get("/healthz")

    assert len(response["X-Request-ID"]) == 32


def test_sane_incoming_request_id_is_echoed(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="pos-7:abc.123")

    assert response["X-Request-ID"] == "pos-7:abc.123"


@pytest.mark.parametrize("incoming", ["bad id with spaces", "x" * 200, "id\nforged-log-line", ""])
def test_insane_incoming_request_id_is_replaced(api_client, incoming):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_each_request_writes_one_json_access_line(api_client, json_logs):
    api_client.get("/api/v1/nope/?token=leaky", HTTP_X_REQUEST_ID="access-1")

    [line] = [r for r in json_logs.records if r["logger"] == "cliqserve.request"]
    assert line["request_id"] == "access-1"
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/nope/"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float)
    assert {"tenant_id", "user_id", "level", "timestamp", "message"} <= set(line)
    assert "leaky" not in json_logs.text


def test_access_line_carries_the_client_address_and_user_agent(api_client, json_logs, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_client.get(
        "/api/v1/nope/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",  # the client forged the first address
        HTTP_USER_AGENT="PosTill/4.2 " + "x" * 400,
    )

    [line] = [r for r in json_logs.records if r["logger"] == "cliqserve.request"]
    assert line["client_ip"] == "203.0.113.7"  # what the one trusted proxy saw
    assert line["user_agent"].startswith("PosTill/4.2 ")
    assert len(line["user_agent"]) == 256


def test_access_line_names_the_authenticated_user(api_client, django_user_model, json_logs):
    api_client.force_authenticate(django_user_model(pk=4242))

    api_client.get("/api/v1/_test/private/")

    [line] = [r for r in json_logs.records if r["logger"] == "cliqserve.request"]
    assert line["user_id"] == "4242"


def test_passwords_tokens_and_authorization_headers_never_reach_the_logs(api_client, json_logs):
    api_client.post(
        "/api/v1/_test/boom/",
        {"email": "a@example.com", "password": "hunter2-hunter2"},
        HTTP_AUTHORIZATION=f"Bearer {A_JWT}",
    )
    logging.getLogger("cliqserve.tests").info(
        "login attempt", extra={"token": "raw-token-value", "context": {"refresh": A_JWT}}
    )
    logging.getLogger("cliqserve.tests").warning("retrying with password=hunter2-hunter2 and %s", A_JWT)

    assert json_logs.records, "something was logged"
    assert "hunter2" not in json_logs.text
    assert A_JWT not in json_logs.text
    assert "raw-token-value" not in json_logs.text
    assert "[redacted]" in json_logs.text


def test_log_records_outside_a_request_have_empty_context(json_logs):
    logging.getLogger("cliqserve.tests").info("background work")

    [record] = json_logs.records
    assert record["request_id"] is None
    assert record["message"] == "background work"


def test_access_line_names_the_callers_tenant(world, json_logs):
    from conftest import client_for

    client_for(world.a.tenant_admin).get("/api/v1/branches/")

    [line] = [r for r in json_logs.records if r["logger"] == "cliqserve.request"]
    assert line["tenant_id"] == str(world.a.tenant.pk)
    assert line["user_id"] == str(world.a.tenant_admin.pk)


def test_each_security_event_is_counted_by_name_for_the_alert_rules():
    from prometheus_client import REGISTRY

    from cliqserve.core.security import security_event

    def count() -> float:
        return REGISTRY.get_sample_value("cliqserve_security_events_total", {"event": "login_failed"}) or 0.0

    before = count()
    security_event("login_failed", reason="bad_credentials", client_ip="192.0.2.1")

    assert count() == before + 1
