"""Which language a request is answered in (docs/adr/0016-i18n.md).

The order: the user's own preference → the request's `Accept-Language` → the tenant's
`default_language` → settings.LANGUAGE_CODE. Only languages in settings.LANGUAGES count.

Who the user is is known at two different places: the back office and the admin sign in with a
session, so `LocaleMiddleware` sees the user; the API authenticates in the DRF view (JWT, API
key), after every middleware has run, so the authentication classes call `activate_for` once the
user is known — before any validation runs or any error is rendered. The middleware answers
`Content-Language` with the language finally active and `Vary: Accept-Language`.

Only the language is chosen per request: the active time zone stays UTC, so API timestamps are
always UTC ISO 8601 (a user's zone formats the times shown to that user in pages, exports and
e-mails, where those are rendered).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header


def supported(code: str | None) -> str | None:
    """`code` (or its base language: "es-MX" → "es") if the catalogues cover it, else None."""
    if not code:
        return None
    languages = dict(settings.LANGUAGES)
    code = code.lower()
    if code in languages:
        return code
    base = code.split("-")[0]
    return base if base in languages else None


def from_accept_language(header: str) -> str | None:
    """The first supported language of an `Accept-Language` header, by its q-values."""
    for code, quality in parse_accept_lang_header(header):
        if quality <= 0:  # "not this one"
            continue
        if code == "*":
            break
        language = supported(code)
        if language:
            return language
    return None


def choose_language(user: Any, accept_language: str) -> str:
    """The language to answer `user` (a User, an ApiKey or anonymous) in. See the module doc."""
    if user is not None and getattr(user, "is_authenticated", False):
        own = supported(getattr(user, "language", None))
        if own:
            return own
    header = from_accept_language(accept_language)
    if header:
        return header
    tenant = getattr(user, "tenant", None) if user is not None else None
    return supported(getattr(tenant, "default_language", None)) or settings.LANGUAGE_CODE


def activate_for(request: HttpRequest, user: Any) -> str:
    """Activate the language for `user` on `request` (a Django request); return it."""
    language = choose_language(user, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


class LocaleMiddleware:
    """Chooses the language before the view (see the module doc); after it, says which one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A session user (back office, admin) is known here; an API caller is not yet, and the
        # DRF authentication classes choose again once it is.
        previous = translation.get_language()
        activate_for(request, getattr(request, "user", None))
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language() or settings.LANGUAGE_CODE)
        if previous and not response.streaming:  # a streamed body is still to be written
            translation.activate(previous)
        return response
