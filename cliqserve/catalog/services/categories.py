"""Categories: a tree of the tenant's own, deleted outright only while empty."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from cliqserve.core.errors import Conflict, InvalidInput
from cliqserve.core.services import assign_fields, validate_model

from ..models import CatalogTombstone, Category, Product
from ..sequence import next_change_seq, renumber

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

CATEGORY_FIELDS = frozenset({"name", "parent", "is_active"})


def _check_parent(*, tenant: Tenant, category: Category) -> None:
    """The parent is a category of the tenant's own, and the category is not its own ancestor.

    Walks up from the parent, one row per level, under the catalog lock: no concurrent move
    can close a loop behind this check, nor delete the parent before the write commits.
    """
    if category.parent is None:
        return
    categories = Category.objects.filter(tenant=tenant)
    ancestor_id: uuid.UUID | None = category.parent.pk
    seen: set[uuid.UUID] = set()
    while ancestor_id is not None and ancestor_id not in seen:
        if ancestor_id == category.pk:
            raise InvalidInput(
                _("A category cannot be placed under itself or its own subcategory."), pointer="/parent"
            )
        seen.add(ancestor_id)
        parent_ids = list(categories.filter(pk=ancestor_id).values_list("parent_id", flat=True))
        if not parent_ids:
            raise InvalidInput(_("Unknown parent."), pointer="/parent")
        ancestor_id = parent_ids[0]


def _save_category(*, tenant: Tenant, category: Category) -> Category:
    renumber(category, tenant_id=tenant.pk)
    _check_parent(tenant=tenant, category=category)
    validate_model(category, exclude=["tenant", "parent"])
    category.save()
    return category


@transaction.atomic
def category_create(*, tenant: Tenant, actor: User, **fields: Any) -> Category:
    category = Category(tenant=tenant)
    assign_fields(category, fields, allowed=CATEGORY_FIELDS)
    return _save_category(tenant=tenant, category=category)


@transaction.atomic
def category_update(*, tenant: Tenant, actor: User, category: Category, **fields: Any) -> Category:
    assign_fields(category, fields, allowed=CATEGORY_FIELDS)
    return _save_category(tenant=tenant, category=category)


@transaction.atomic
def category_delete(*, tenant: Tenant, actor: User, category: Category) -> None:
    """Deleted outright, only while empty; devices learn of it from the tombstone."""
    change_seq = next_change_seq(tenant_id=tenant.pk)
    if Category.objects.filter(tenant=tenant, parent=category).exists():
        raise Conflict(_("This category has subcategories: move or delete them first."))
    if Product.objects.filter(tenant=tenant, category=category).exists():
        raise Conflict(_("This category has products: move them to another category first."))
    object_id = category.pk
    try:
        category.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(_("Other records still refer to this category.")) from exc
    CatalogTombstone.objects.create(
        tenant=tenant, kind=CatalogTombstone.Kind.CATEGORY, object_id=object_id, change_seq=change_seq
    )
