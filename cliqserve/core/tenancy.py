"""Tenancy, layer 2 of ARCHITECTURE §2: a fail-closed ambient scope.

Services and selectors always take `tenant` explicitly and filter by it (layer 1). Underneath,
the default manager of every tenant-owned model refuses to query at all unless a tenant scope
is active, and then only returns that tenant's rows. So a forgotten filter is an error, never
a leak. The API base view enters the scope for the request's tenant; Celery tasks enter it
with `tenant_scope(tenant_id)`. The only bypass is `Model.objects.unscoped()`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from django.db import models

from .context import tenant_id_var

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

Tenancy = Literal["tenant", "global"]
ModelT = TypeVar("ModelT", bound=models.Model)


class TenantScopeMissing(RuntimeError):
    """A tenant-owned table was queried with no tenant scope active: a bug, never a 4xx."""


def current_tenant_id() -> str | None:
    return tenant_id_var.get()


@contextmanager
def tenant_scope(tenant_id: uuid.UUID | str) -> Iterator[None]:
    """Run the block with `tenant_id` as the active scope; restores the previous one after."""
    token = tenant_id_var.set(str(tenant_id))
    try:
        yield
    finally:
        tenant_id_var.reset(token)


class _RequireTenantScope(models.Expression):
    """A WHERE condition that refuses to become SQL.

    A queryset built with no scope active may still be built, inspected and emptied (Django,
    django-filter and drf-spectacular do that at import time); the moment anything would
    send it to the database — iterate, count, exists, update, delete, or use it as a
    subquery — compiling this condition raises.
    """

    def __init__(self, model_name: str) -> None:
        super().__init__(output_field=models.BooleanField())
        self.model_name = model_name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        raise TenantScopeMissing(
            f"{self.model_name} is tenant-owned: query it inside tenant_scope() or, "
            "deliberately, through .unscoped()."
        )


class TenantScopedManager(models.Manager[ModelT], Generic[ModelT]):
    """Default manager of tenant-owned models: filters by the active scope, or fails closed."""

    def get_queryset(self) -> models.QuerySet[ModelT]:
        tenant_id = current_tenant_id()
        if tenant_id is None:
            return super().get_queryset().filter(_RequireTenantScope(self.model.__name__))
        return super().get_queryset().filter(tenant_id=tenant_id)

    # Inserts read nothing, so the scope's filter has nothing to confine; building it is
    # skipped (it is a measurable share of the checkout's inserts). The rows' own tenant_id
    # says whose they are.
    def create(self, **kwargs: Any) -> ModelT:
        return super().get_queryset().create(**kwargs)

    def bulk_create(self, objs: Iterable[ModelT], *args: Any, **kwargs: Any) -> list[ModelT]:
        return super().get_queryset().bulk_create(objs, *args, **kwargs)

    def none(self) -> models.QuerySet[ModelT]:
        # Reads nothing, so it needs no scope (schema generation and forms ask for one).
        return super().get_queryset().none()

    def unscoped(self) -> models.QuerySet[ModelT]:
        """Every tenant's rows. Reviewers: each call site must say why it is safe."""
        return super().get_queryset()


class TenantOwnedModel(models.Model):
    """Base of every row that belongs to one tenant.

    The `tenant_id` column sits on every such table, child tables included, so that
    PostgreSQL row-level security (`USING (tenant_id = current_setting('app.tenant_id')::uuid)`)
    and Citus distribution by `tenant_id` can be added without changing a table.
    """

    tenancy: ClassVar[Tenancy] = "tenant"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantScopedManager()

    class Meta:
        abstract = True

    # Following a foreign key (device.branch) uses Django's plain base manager: that row was
    # reached from one already scoped, and its tenant_id is the same.
    if TYPE_CHECKING:
        tenant_id: uuid.UUID
        tenant: Tenant  # type: ignore[no-redef]


class GlobalModel(models.Model):
    """Base of rows that belong to no single tenant (tenants themselves, for one)."""

    tenancy: ClassVar[Tenancy] = "global"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
