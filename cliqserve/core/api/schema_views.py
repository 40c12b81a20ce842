"""The schema and its two viewers, answering their errors in JSON like every /api/ path.

drf-spectacular's views render with OpenAPI YAML or HTML renderers, so a wrong method on them
came back as a YAML error document or Django's bare HTML 405 page.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
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


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerView):
    pass


class RedocView(JSONErrorsMixin, SpectacularRedocView):
    pass
