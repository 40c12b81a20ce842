"""One error format for every failure, as the API contract defines it.

    {"errors": [{"status", "code", "detail", "source": {"pointer"}, "meta"}], "request_id"}

Services raise `DomainError` subclasses with stable codes and know nothing of HTTP beyond the
status they imply; DRF's exceptions and Django's 404/500 are mapped here, in one place.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import csrf
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from .context import current_request_id
from .security import security_event

logger = logging.getLogger("cliqserve.errors")


class DomainError(Exception):
    """A business rule said no. Subclasses set `status_code`, `code` and `default_detail`."""

    status_code = 409
    code = "conflict"
    default_detail = "The request conflicts with the current state."

    def __init__(
        self,
        detail: str | None = None,
        *,
        pointer: str | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or str(self.default_detail)
        self.pointer = pointer
        self.meta = meta or {}
        self.headers = headers or {}
        super().__init__(self.detail)


class Conflict(DomainError):
    """The target's state does not allow this (an illegal transition, a duplicate)."""


def error_object(
    *,
    status: int,
    code: str,
    detail: str,
    pointer: str | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": str(status), "code": code, "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    error["meta"] = meta or {}
    return error


def error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"errors": errors, "request_id": current_request_id()}


def _json_pointer(parent: str, key: object) -> str:
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{parent}/{token}"


def _field_errors(detail: Any, pointer: str = "") -> Iterator[tuple[str, list[drf.ErrorDetail]]]:
    """Walk DRF's nested validation detail and yield (JSON pointer, messages) per field."""
    if isinstance(detail, dict):
        yield from _dict_field_errors(detail, pointer)
    elif isinstance(detail, list):
        yield from _list_field_errors(detail, pointer)
    else:
        yield pointer, [detail]


def _dict_field_errors(detail: dict[Any, Any], pointer: str) -> Iterator[tuple[str, list[drf.ErrorDetail]]]:
    for key, value in detail.items():
        is_whole_object = key in (api_settings.NON_FIELD_ERRORS_KEY, "detail")
        yield from _field_errors(value, pointer if is_whole_object else _json_pointer(pointer, key))


def _list_field_errors(detail: list[Any], pointer: str) -> Iterator[tuple[str, list[drf.ErrorDetail]]]:
    # A list holds either the messages of one field, or one entry per item of a list field.
    messages = [item for item in detail if not isinstance(item, dict | list)]
    if messages:
        yield pointer, messages
    for index, item in enumerate(detail):
        if isinstance(item, dict | list) and item:
            yield from _field_errors(item, _json_pointer(pointer, index))


def validation_error_objects(exc: drf.ValidationError) -> list[dict[str, Any]]:
    return [
        error_object(
            status=400,
            code="validation_error",
            detail=" ".join(str(message) for message in messages),
            pointer=pointer or None,
            meta={"reasons": [getattr(message, "code", "invalid") for message in messages]},
        )
        for pointer, messages in _field_errors(exc.detail)
    ]


class RequestTooLarge(drf.APIException):
    """The body is over DATA_UPLOAD_MAX_MEMORY_SIZE (ADR 0005: 413 `request_too_large`)."""

    status_code = 413
    default_code = "request_too_large"
    default_detail = gettext_lazy("The request body is larger than this server accepts.")


def edge_exception(exc: Exception) -> Exception:
    """Django's own refusals of a request, as the API exceptions that answer them."""
    if isinstance(exc, Http404):
        return drf.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):  # too many fields or files, a malformed multipart body
        return drf.ParseError(_("The request is malformed."))
    return exc


# DRF exception class -> (HTTP status, contract code). Order matters: subclasses first.
_API_EXCEPTION_CODES: tuple[tuple[type[drf.APIException], int | None, str], ...] = (
    (drf.ParseError, 400, "invalid_request"),
    # The contract treats a body in the wrong media type like a malformed one.
    (drf.UnsupportedMediaType, 400, "invalid_request"),
    (drf.NotAuthenticated, None, "not_authenticated"),
    (drf.AuthenticationFailed, None, "authentication_failed"),
    (drf.PermissionDenied, None, "permission_denied"),
    (drf.NotFound, None, "not_found"),
    (drf.MethodNotAllowed, None, "method_not_allowed"),
    (drf.Throttled, None, "rate_limit_exceeded"),
)


def _api_exception_detail(exc: drf.APIException) -> str:
    detail: Any = exc.detail
    if isinstance(detail, dict):  # SimpleJWT's InvalidToken carries {"detail", "code", ...}
        detail = detail.get("detail", exc.default_detail)
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


def _api_exception_response(exc: drf.APIException) -> Response:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(exc, drf.ValidationError):
        return Response(error_body(validation_error_objects(exc)), status=400, headers=headers)

    status, code = exc.status_code, str(exc.default_code)
    for exception_class, mapped_status, mapped_code in _API_EXCEPTION_CODES:
        if isinstance(exc, exception_class):
            status, code = mapped_status or exc.status_code, mapped_code
            break
    error = error_object(status=status, code=code, detail=_api_exception_detail(exc))
    return Response(error_body([error]), status=status, headers=headers)


def internal_error_body() -> dict[str, Any]:
    return error_body(
        [
            error_object(
                status=500,
                code="internal_server_error",
                detail=_("Something went wrong on our side. Quote the request id when reporting it."),
            )
        ]
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes a contract error."""
    set_rollback()
    exc = edge_exception(exc)

    if isinstance(exc, drf.PermissionDenied | NotPermitted):
        request = context.get("request")
        security_event(
            "permission_denied",
            method=getattr(request, "method", None),
            path=getattr(request, "path", None),
            view=type(context.get("view")).__name__,
        )

    if isinstance(exc, DomainError):
        error = error_object(
            status=exc.status_code,
            code=exc.code,
            detail=exc.detail,
            pointer=exc.pointer,
            meta=exc.meta,
        )
        return Response(error_body([error]), status=exc.status_code, headers=exc.headers)
    if isinstance(exc, drf.APIException):
        return _api_exception_response(exc)

    logger.error("unhandled exception", exc_info=exc)
    response = Response(internal_error_body(), status=500)
    # Django would log the 500 again, without the traceback; this line is the one that counts.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


# --- Django-level handlers, for what never reaches a DRF view ------------------------------


def _resolves_to_an_endpoint(path: str) -> bool:
    try:
        return resolve(path).func is not api_path_not_found
    except Resolver404:
        return False


def _not_found_response(request: HttpRequest) -> JsonResponse:
    detail = _("No endpoint matches this path.")
    if not request.path.endswith("/") and _resolves_to_an_endpoint(request.path + "/"):
        detail = _("No endpoint matches this path. Did you mean %(path)s/ ?") % {"path": request.path}
    error = error_object(status=404, code="not_found", detail=detail)
    return JsonResponse(error_body([error]), status=404)


# Exempt like every DRF view: the API authenticates by token, never by cookie, so CSRF has
# nothing to protect here, and an unknown path must answer 404 for every method, not 403.
@csrf_exempt
def api_path_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown paths under /api/: JSON 404 in every environment, DEBUG included."""
    return _not_found_response(request)


def _is_api_path(request: HttpRequest) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the contract's error under /api/, Django's own page elsewhere (admin)."""
    if not _is_api_path(request):
        return csrf.csrf_failure(request, reason=reason)
    error = error_object(
        status=403,
        code="permission_denied",
        detail=_("CSRF verification failed. API calls authenticate with a token, not a cookie."),
    )
    return JsonResponse(error_body([error]), status=403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _not_found_response(request)


def handler500(request: HttpRequest) -> HttpResponse:
    return JsonResponse(internal_error_body(), status=500)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    error = error_object(
        status=403, code="permission_denied", detail=_("You do not have permission to do this.")
    )
    return JsonResponse(error_body([error]), status=403)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        too_large = RequestTooLarge()
        error = error_object(status=413, code="request_too_large", detail=str(too_large.detail))
        return JsonResponse(error_body([error]), status=413)
    error = error_object(status=400, code="invalid_request", detail=_("The request is malformed."))
    return JsonResponse(error_body([error]), status=400)


class NotPermitted(DomainError):
    """The actor's role or scope does not allow this write (e.g. granting a higher role)."""

    status_code = 403
    code = "permission_denied"
    default_detail = "You do not have permission to do this."


class RateLimited(DomainError):
    """Too many attempts; `Retry-After` says when to try again."""

    status_code = 429
    code = "rate_limit_exceeded"
    default_detail = "Too many attempts. Try again later."

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class Unauthenticated(DomainError):
    """Credentials or tokens were refused."""

    status_code = 401
    code = "authentication_failed"
    default_detail = "Incorrect authentication credentials."


class InvalidInput(DomainError):
    """A value is well-formed but breaks a business rule; names the field when it can."""

    status_code = 400
    code = "validation_error"
    default_detail = "Invalid input."


class IdempotencyKeyRequired(DomainError):
    """A write that must be exactly-once came without a usable `Idempotency-Key` header."""

    status_code = 400
    code = "idempotency_key_required"
    default_detail = "This request needs an Idempotency-Key header of 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(DomainError):
    """The key was already used on this endpoint with another body."""

    status_code = 422
    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with another request body."


class IdempotencyKeyInUse(DomainError):
    """The first request with this key is still running; retry shortly to get its answer."""

    status_code = 409
    code = "idempotency_key_in_use"
    default_detail = "A request with this Idempotency-Key is still in progress. Retry shortly."
