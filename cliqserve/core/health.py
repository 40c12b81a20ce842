"""Liveness and readiness probes. Plain Django views: no auth, no throttling, no sessions."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

from .errors import error_body, error_object
from .metrics import metrics
from .sql import select_one

logger = logging.getLogger("cliqserve.health")

PROBE_TIMEOUT_SECONDS = 2


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    connection = connections["default"]
    try:
        select_one(connection)
    except Exception:
        # Drop the broken connection so the next probe (or request) dials afresh.
        connection.close()
        raise


def check_cache() -> None:
    key, value = f"readyz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, timeout=PROBE_TIMEOUT_SECONDS * 5)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(
            url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
        return
    with Connection(url, connect_timeout=PROBE_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1)


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database, "cache": check_cache}
    if settings.READYZ_CHECK_BROKER:
        checks["broker"] = check_broker
    return checks


# Only these take a pod out of service. The cache and the broker are shared by every pod:
# failing readiness on them would take all pods out at once, while the API still answers
# without them (a cache miss, a task retried from the outbox), so they report "degraded".
CRITICAL_CHECKS = frozenset({"database"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers (503 otherwise). The cache or the broker failing
    leaves it 200 with that check marked "degraded" (ADR 0015)."""
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not ready"
            logger.warning("readiness check failed", extra={"check": name, "error": type(exc).__name__})
            results[name] = "failed" if name in CRITICAL_CHECKS else "degraded"

    failed = [name for name, result in results.items() if result == "failed"]
    if not failed:
        status = "ok" if all(result == "ok" for result in results.values()) else "degraded"
        return JsonResponse({"status": status, "checks": results})
    error = error_object(
        status=503,
        code="service_unavailable",
        detail=f"Not ready: {', '.join(failed)} unavailable.",
        meta={"checks": results},
    )
    return JsonResponse(error_body([error]), status=503)


class OperationalEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics before Django validates the Host header.

    Orchestrators and scrapers address a pod by its IP, which is not in ALLOWED_HOSTS; going
    through CommonMiddleware they would get 400 and mark a healthy instance dead. These views
    read no user input beyond the (constant-time checked) metrics token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = _OPERATIONAL_VIEWS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)


_OPERATIONAL_VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
}
