"""Request context: an id for every request, and one access-log line when it ends."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .context import client_ip_var, request_id_var, tenant_id_var, user_agent_var, user_id_var

access_log = logging.getLogger("cliqserve.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Probes and scrapes arrive every few seconds; their lines are kept out of the INFO stream.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A user agent is the client's own text: kept short in the log line.
USER_AGENT_MAX = 256
# An incoming id is kept only if it is short and plain, so it cannot inject into logs.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _request_id_from(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    if _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


_REQUEST_VARS: tuple[ContextVar[Any], ...] = (
    request_id_var,
    tenant_id_var,
    user_id_var,
    client_ip_var,
    user_agent_var,
)


class RequestContextMiddleware:
    """Sets the request id (accepted from `X-Request-ID` or made), echoes it, logs the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens: tuple[Token[Any], ...] = (
            request_id_var.set(request_id),
            tenant_id_var.set(None),
            user_id_var.set(None),
            client_ip_var.set(client_ip(request)),
            user_agent_var.set(request.headers.get("User-Agent", "")[:USER_AGENT_MAX]),
        )
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response, started)
            return response
        finally:
            for var, token in zip(_REQUEST_VARS, tokens, strict=True):
                var.reset(token)

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponse, started: float) -> None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and not user_id_var.get():
            user_id_var.set(str(user.pk))
        # The path only: query strings may carry tokens or personal data.
        level = logging.DEBUG if request.path in _QUIET_PATHS and response.status_code < 400 else logging.INFO
        access_log.log(
            level,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "tenant_id": tenant_id_var.get() or getattr(request, "log_tenant_id", None),
                "client_ip": client_ip_var.get(),
                "user_agent": user_agent_var.get(),
            },
        )


def client_ip(request: HttpRequest) -> str:
    """The client's address as the throttles see it: the connecting address, or the one the
    trusted proxies (NUM_PROXIES) put in X-Forwarded-For, never a client-supplied one."""
    # DRF's identity reads only META: a Django request will do.
    return str(BaseThrottle().get_ident(cast("Request", request)))
