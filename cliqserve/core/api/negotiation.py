from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class JSONFallbackNegotiation(DefaultContentNegotiation):
    """Honour `Accept` when we can; otherwise answer JSON rather than a bare 406.

    A POS client that sends `Accept: text/html` by accident still gets a readable answer,
    and the contract promises JSON everywhere.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str] | Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = next(iter(renderers))
            return renderer, renderer.media_type
