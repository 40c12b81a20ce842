from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from cliqserve.core import errors
from cliqserve.core.api.schema_views import RedocView, SchemaView, SwaggerView
from cliqserve.core.health import healthz, readyz
from cliqserve.core.metrics import metrics

api_v1: list[URLPattern | URLResolver] = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("cliqserve.accounts.api.urls")),
    path("", include("cliqserve.tenants.api.urls")),
    path("", include("cliqserve.inventory.api.urls")),
    path("", include("cliqserve.sales.api.urls")),
    path("", include("cliqserve.reports.api.urls")),
    path("", include("cliqserve.catalog.api.urls")),
    path("", include("cliqserve.catalog.api.sync_urls")),
    path("", include("cliqserve.catalog.api.csv_urls")),
    path("", include("cliqserve.core.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # The admin only where ADMIN_ENABLED says, at ADMIN_URL (contract, "Operations").
    *([path(settings.ADMIN_URL, admin.site.urls)] if settings.ADMIN_ENABLED else []),
    path("api/v1/", include(api_v1)),
    path("backoffice/", include("cliqserve.backoffice.api.urls")),
    # Anything else under /api/ is a JSON 404 in every environment, DEBUG included.
    re_path(r"^api(?:/.*)?$", errors.api_path_not_found),
]

handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
