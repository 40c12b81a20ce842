"""The fail-closed tenant scope (ARCHITECTURE §2, layer 2), and the model declarations."""

from __future__ import annotations

from typing import cast

import pytest
from django.apps import apps

from cliqserve.core.tenancy import GlobalModel, TenantOwnedModel, TenantScopeMissing, tenant_scope
from cliqserve.tenants.models import Branch, Device
from tests.factories import BranchFactory, DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_branches():
    return BranchFactory(code="A1"), BranchFactory(code="B1")


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Branch.objects.all()),
        lambda: Branch.objects.count(),
        lambda: Branch.objects.exists(),
        lambda: Branch.objects.filter(code="A1").first(),
        lambda: Branch.objects.update(name="x"),
        lambda: Branch.objects.all().delete(),
        lambda: list(Device.objects.unscoped().filter(branch__in=Branch.objects.all())),
    ],
    ids=["iterate", "count", "exists", "first", "update", "delete", "subquery"],
)
def test_no_scope_means_no_query(two_branches, query):
    with pytest.raises(TenantScopeMissing, match="Branch is tenant-owned"):
        query()


def test_building_a_queryset_without_scope_is_harmless(two_branches):
    assert Branch.objects.all().query is not None
    assert list(Branch.objects.none()) == []


def test_scope_confines_every_query_to_its_tenant(two_branches):
    branch_a, branch_b = two_branches

    with tenant_scope(branch_a.tenant_id):
        assert list(Branch.objects.values_list("code", flat=True)) == ["A1"]
        assert Branch.objects.filter(pk=branch_b.pk).first() is None
        assert Branch.objects.update(name="renamed") == 1
    branch_b.refresh_from_db()
    assert branch_b.name != "renamed"


def test_scope_is_restored_after_the_block_even_on_error(two_branches):
    branch_a, _ = two_branches
    with pytest.raises(RuntimeError), tenant_scope(branch_a.tenant_id):
        raise RuntimeError

    with pytest.raises(TenantScopeMissing):
        Branch.objects.count()


def test_unscoped_is_the_deliberate_bypass(two_branches):
    assert Branch.objects.unscoped().count() == 2


def test_related_managers_are_scoped_too(db):
    device = cast(Device, DeviceFactory())

    with pytest.raises(TenantScopeMissing):
        list(device.branch.devices.all())
    with tenant_scope(device.tenant_id):
        assert list(device.branch.devices.all()) == [device]


def test_every_model_declares_whether_it_is_tenant_owned_or_global():
    ours = [model for model in apps.get_models() if model.__module__.startswith("cliqserve.")]

    assert ours, "the project's models are found"
    for model in ours:
        tenancy = getattr(model, "tenancy", None)
        assert tenancy in ("tenant", "global"), f"{model.__name__} must declare tenancy"
        if tenancy == "tenant":
            assert any(field.column == "tenant_id" for field in model._meta.fields), model.__name__
        if issubclass(model, TenantOwnedModel):
            assert tenancy == "tenant"
        if issubclass(model, GlobalModel):
            assert tenancy == "global"


def test_tenant_owned_unique_constraints_include_the_tenant():
    for model in apps.get_models():
        if getattr(model, "tenancy", None) != "tenant" or model.__name__ == "User":
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ()) or ()
            expressions = [str(e) for e in getattr(constraint, "expressions", ())]
            if fields or expressions:
                mentions_tenant = "tenant" in fields or any("tenant" in e for e in expressions)
                assert mentions_tenant, f"{model.__name__}.{constraint.name} must include tenant"
