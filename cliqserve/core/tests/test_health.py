"""Liveness, readiness (and recovery without a restart) and the metrics endpoint."""

from __future__ import annotations

import os
import socket
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import override_settings

from cliqserve.core import health


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_answers_without_any_io(api_client):
    # No django_db mark: pytest-django makes any database access here an error.
    with mock.patch.object(health, "cache") as cache:
        response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    cache.assert_not_called()


@pytest.mark.django_db
def test_readyz_is_ok_when_every_dependency_answers(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_readyz_stays_ready_with_the_cache_marked_degraded(api_client):
    # A shared cache failing would take every pod out at once: only the database does that.
    with mock.patch.object(cache, "get", return_value=None):
        response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "degraded"}}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readyz_turns_503_while_database_is_unreachable_and_recovers_without_restart(api_client):
    connection = connections["default"]
    real_port = connection.settings_dict["PORT"]
    assert api_client.get("/readyz").status_code == 200

    connection.close()
    connection.settings_dict["PORT"] = str(_closed_port())
    try:
        down = api_client.get("/readyz")
    finally:
        connection.settings_dict["PORT"] = real_port

    assert down.status_code == 503
    assert down.json()["errors"][0]["meta"]["checks"]["database"] == "failed"
    assert "database" in down.json()["errors"][0]["detail"]
    assert api_client.get("/readyz").status_code == 200


@pytest.mark.django_db
@override_settings(READYZ_CHECK_BROKER=True, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_readyz_checks_the_broker_when_tasks_use_one_and_marks_it_degraded(api_client):
    # Port 1 on loopback refuses connections at once.
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["broker"] == "degraded"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)")
def test_broker_check_passes_against_a_live_redis(settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]

    health.check_broker()  # raises if Redis does not answer


def test_metrics_are_open_without_a_token_outside_production(api_client):
    response = api_client.get("/metrics")

    assert response.status_code == 200
    assert b"django_http_requests" in response.content


@override_settings(METRICS_TOKEN="s3cret-metrics-token")
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        ("Basic s3cret-metrics-token", 401),
        ("Bearer s3cret-metrics-token", 200),
    ],
)
def test_metrics_require_the_configured_bearer_token(api_client, authorization, status):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = api_client.get("/metrics", **headers)

    assert response.status_code == status
    if status == 401:
        assert response.json()["errors"][0]["code"] == "not_authenticated"


@override_settings(METRICS_REQUIRE_TOKEN=True, METRICS_TOKEN="")
def test_metrics_are_absent_in_production_without_a_token(api_client):
    response = api_client.get("/metrics")

    assert response.status_code == 404
    assert b"django_http" not in response.content


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["pos.example.com"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_answer_a_host_outside_allowed_hosts(client, path):
    # Kubernetes probes and Prometheus address the pod by IP.
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


@override_settings(ALLOWED_HOSTS=["pos.example.com"])
def test_other_paths_still_reject_a_foreign_host(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="evil.example.net")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_request"
