"""Which language a catalog answer speaks, and which translation a top-level `name` writes.

The client's `Accept-Language` decides; when it names none of settings.LANGUAGES (or is
absent) the tenant's default language does. Django's `get_language_from_request` (and
LocaleMiddleware's `request.LANGUAGE_CODE`) would answer settings.LANGUAGE_CODE instead,
which would hide the tenant's default, so the header is read here.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework.request import Request


def accepted_language(request: Request | HttpRequest) -> str | None:
    """The client's most preferred language among settings.LANGUAGES, or None."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, quality in parse_accept_lang_header(header):
        if quality <= 0:  # "not this one"
            continue
        if code == "*":
            return None
        try:
            return str(get_supported_language_variant(code))
        except LookupError:
            continue
    return None


def catalog_language(request: Request | HttpRequest, *, default: str) -> str:
    return accepted_language(request) or default
