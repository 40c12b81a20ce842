"""factory_boy factories. Tenant-owned rows are created through `.unscoped()`: tests build
several tenants' data at once, outside any request scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.tenants.models import Branch, Device, DeviceAssignment, Tenant

PASSWORD = "correct-horse-battery-staple"


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        return model_class.objects.unscoped().create(*args, **kwargs)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Business {n}")
    slug = factory.Sequence(lambda n: f"business-{n}")
    currency = "USD"
    timezone = "Europe/Madrid"


class BranchFactory(TenantOwnedFactory):
    class Meta:
        model = Branch

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"BR{n}")


class DeviceFactory(TenantOwnedFactory):
    class Meta:
        model = Device
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    tenant = factory.SelfAttribute("branch.tenant")
    name = factory.Sequence(lambda n: f"Till {n}")
    code = factory.Sequence(lambda n: f"POS{n}")

    @factory.post_generation
    def assigned_users(self, create: bool, users: Any, **kwargs: Any) -> None:
        for user in users or ():
            DeviceAssignment.objects.unscoped().create(tenant=self.tenant, device=self, user=user)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.CASHIER
    branch = factory.SubFactory(BranchFactory)
    tenant = factory.SelfAttribute("branch.tenant")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class CategoryFactory(TenantOwnedFactory):
    class Meta:
        model = "catalog.Category"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class TaxRateFactory(TenantOwnedFactory):
    class Meta:
        model = "catalog.TaxRate"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"VAT {n}")
    rate = Decimal("15.00")
    inclusive = False


class ProductFactory(TenantOwnedFactory):
    """A product with an English name (parler translation)."""

    class Meta:
        model = "catalog.Product"
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("10.00")
    track_stock = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.pop("name", None) or f"Product {kwargs['sku']}"
        product = model_class(*args, **kwargs)
        product.set_current_language("en")
        product.name = name
        product.save()
        return product
