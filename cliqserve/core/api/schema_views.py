"""The schema and its two viewers, answering their errors in JSON like every /api/ path.

drf-spectacular's views render with OpenAPI YAML or HTML renderers, so a wrong method on them
came back as a YAML error document or Django's bare HTML 405 page.

The two viewers render templates of ours (cliqserve/core/templates/core/) that run no inline code,
so the Content-Security-Policy (base.py) can refuse inline scripts and styles.
"""

from __future__ import annotations

from typing import Any

from csp.constants import SELF
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


class JSONErrorsMixin(APIView):
    """Put before the drf-spectacular view in the bases: errors render as JSON, whatever the
    view's own renderers are."""

    def handle_exception(self, exc: Exception) -> Response:
        renderer = JSONRenderer()
        self.request.accepted_renderer, self.request.accepted_media_type = renderer, renderer.media_type
        return super().handle_exception(exc)


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    """The split view serves Swagger UI's init script from its own URL (`?script`), not inline."""

    template_name = "core/swagger_ui.html"


# Redoc's bundle injects perfect-scrollbar's stylesheet while it loads, before it can be handed the
# nonce: that <style> (empty, then filled) is allowed by its hashes, those of the bundle that
# drf-spectacular-sidecar pins; the browser test fails if an upgrade changes them. Its search
# index runs in a Worker made from a blob: URL, which only the page's own scripts can create.
REDOC_CSP: dict[str, Any] = {
    "style-src": [
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    ],
    "worker-src": [SELF, "blob:"],
}


@method_decorator(csp_update(REDOC_CSP), name="get")
class RedocView(JSONErrorsMixin, SpectacularRedocView):
    template_name = "core/redoc.html"
