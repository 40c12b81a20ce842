"""Catalog answers revalidated and cached by the tenant's catalog version (ADR 0015).

The version is the tenant's catalog change counter (ADR 0002): every catalog write takes the
next number in its transaction, so a committed write changes the version. ETags and cache keys
both carry it, so invalidation is exact by construction: a write moves every reader to new
keys, and a revalidation costs one indexed read of the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from cliqserve.core.api.conditional import revalidated, signed_variant
from cliqserve.core.api.viewsets import ServiceModelViewSet
from cliqserve.core.cache import cached
from cliqserve.tenants.models import Tenant

from ..sync import catalog_high_water_mark
from .language import catalog_language


def catalog_answer(request: Request, *, tenant: Tenant, data: Callable[[], Any]) -> Response:
    """GET answers of the catalog: ETag/304, and the body from the cache while current."""
    version = catalog_high_water_mark(tenant_id=tenant.pk)
    language = catalog_language(request, default=tenant.default_language)
    query = sorted(request.query_params.lists())
    # Everything else the body depends on: the host (pagination links), the currency.
    variant = signed_variant(tenant.pk, tenant.currency, request.get_host(), request.path, query, language)
    key = f"catalog:{tenant.pk}:{version}:{variant}"
    return revalidated(
        request,
        etag=f'W/"{version}-{variant}"',
        data=lambda: cached("catalog", key, data, timeout=settings.CATALOG_CACHE_SECONDS),
    )


class CatalogViewSet(ServiceModelViewSet):
    """A catalog viewset whose list and retrieve go through catalog_answer()."""

    revalidated: ClassVar[bool] = True

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parent = super().list
        return catalog_answer(request, tenant=self.tenant, data=lambda: parent(request, *args, **kwargs).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parent = super().retrieve
        return catalog_answer(request, tenant=self.tenant, data=lambda: parent(request, *args, **kwargs).data)
