"""Django admin for platform staff: tenants, branches, devices and who may use them.

Platform staff oversee every tenant, so these admins read tenant-owned rows through
`.unscoped()`. Only platform owners may be staff (the user admin refuses `is_staff` for
tenant roles), which is what makes each bypass below safe. Writes still respect the tenant:
a row's tenant is fixed once created, what it points at must be in the same tenant, and form
validation (unique codes) runs inside that tenant's scope.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from cliqserve.core.roles import BRANCH_ROLES
from cliqserve.core.tenancy import TenantScopedManager, tenant_scope

from .models import Branch, Device, DeviceAssignment, Tenant

# A tenant scope that matches no row.
NO_TENANT = uuid.UUID(int=0)


def is_scoped(model: type[models.Model]) -> bool:
    """Does the model's default manager refuse to query outside a tenant scope?"""
    return isinstance(model._default_manager, TenantScopedManager)


class TenantLabelledChoiceField(forms.ModelChoiceField):
    """A choice among every tenant's rows: each is labelled with its tenant."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.tenant} / {obj}"


class UnscopedForeignKeys(BaseModelAdmin):
    """Dropdowns of tenant-owned rows (a device's branch, a user's branch) in admin forms.

    Left alone, Django would build them from the scoped default manager and raise.
    """

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        related = db_field.remote_field.model
        if not is_scoped(related):
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        if "queryset" not in kwargs:
            # unscoped() is safe: only platform staff reach the admin, and TenantOwnedAdminForm
            # narrows the choices to the edited row's tenant and refuses any other tenant's row.
            queryset = related._default_manager.unscoped()  # type: ignore[attr-defined]
            # Order by tenant, then by the model's own ordering (or pk): not every model has `code`.
            has_code = any(field.name == "code" for field in related._meta.fields)
            own_order = list(related._meta.ordering or ()) or (["code"] if has_code else ["pk"])
            kwargs["queryset"] = queryset.select_related("tenant").order_by("tenant__name", *own_order)
            kwargs.setdefault("form_class", TenantLabelledChoiceField)
        # ForeignKey.formfield() builds a queryset from the default manager even when given one,
        # and discards it; under a scope that matches no tenant, that can never read a row.
        with tenant_scope(NO_TENANT):
            return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantOwnedAdminForm(forms.ModelForm):
    """A form for a row of one tenant: whatever it points at must be in that tenant too.

    `same_tenant_fields` names the foreign keys to tenant-owned rows. Django's own validation
    (unique checks, constraints) queries the default manager, so it runs in the row's scope.
    """

    same_tenant_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant_id = self.instance.tenant_id
        if tenant_id is None:
            return
        for name in self.same_tenant_fields:
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.filter(tenant_id=tenant_id)  # type: ignore[union-attr]

    def chosen_tenant_id(self) -> uuid.UUID | None:
        if "tenant" not in self.fields:  # read-only once the row exists
            stored: uuid.UUID | None = self.instance.tenant_id
            return stored
        tenant = self.cleaned_data.get("tenant")
        return tenant.pk if tenant is not None else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        tenant_id = self.chosen_tenant_id()
        for name in self.same_tenant_fields:
            value = cleaned.get(name)
            if value is not None and tenant_id is not None and value.tenant_id != tenant_id:
                self.add_error(name, "This belongs to another tenant.")
        return cleaned

    def validate_unique(self) -> None:
        super().validate_unique()
        if "tenant" in self.fields:
            return
        # Once the row exists its tenant is read-only, so Django leaves out every constraint that
        # names the tenant: the per-tenant unique codes. Check them against the stored tenant.
        fields = self._meta.model._meta.concrete_fields
        exclude = {field.name for field in fields if field.name not in self.cleaned_data} - {"tenant"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self.add_error(None, error)

    def _post_clean(self) -> None:
        # With no tenant chosen the form (or its parent's) is invalid already; a scope that
        # matches nothing keeps Django's checks from finding rows of some other tenant.
        with tenant_scope(self.chosen_tenant_id() or NO_TENANT):
            super()._post_clean()  # type: ignore[misc]  # not in django-stubs


class TenantOwnedAdmin(UnscopedForeignKeys, admin.ModelAdmin):
    """Every tenant's rows; the tenant is chosen on creation and fixed after."""

    form = TenantOwnedAdminForm

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        # unscoped() is safe: only platform staff reach the admin, and they oversee every tenant.
        queryset: models.QuerySet[Any] = self.model.objects.unscoped()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Moving a row to another tenant would strand everything that points at it.
        return (*readonly, "tenant") if obj is not None else readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Sales and stock history will point at these rows: deactivate them instead.
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "currency", "timezone", "default_language", "is_active", "created_at")
    list_filter = ("is_active", "currency")
    search_fields = ("name", "slug")
    ordering = ("name",)
    readonly_fields = ("id", "created_at", "updated_at")
    fields = (
        "id",
        "name",
        "slug",
        "currency",
        "timezone",
        "default_language",
        "is_active",
        "created_at",
        "updated_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        # Tenants are never deleted: their sales and stock history depend on them.
        return False


@admin.register(Branch)
class BranchAdmin(TenantOwnedAdmin):
    list_display = ("code", "name", "tenant", "timezone", "is_active", "created_at")
    list_filter = ("is_active", "tenant")
    list_select_related = ("tenant",)
    search_fields = ("code", "name", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "code")
    readonly_fields = ("id", "created_at", "updated_at")
    fields = ("id", "tenant", "code", "name", "timezone", "is_active", "created_at", "updated_at")


class DeviceAdminForm(TenantOwnedAdminForm):
    same_tenant_fields = ("branch",)


class DeviceAssignmentFormSet(forms.BaseInlineFormSet):
    """Assignees follow the rules of tenants.services; each new row takes the device's tenant.

    The unique constraint on assignments names the tenant, which these forms leave out, so
    Django does not check it: a duplicate is caught here instead of as an IntegrityError.
    """

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        # Django gives each row a hidden id field whose choices come from the default manager,
        # which has no scope here. Build it under one that matches nothing, then give it the
        # device's own rows.
        with tenant_scope(NO_TENANT):
            super().add_fields(form, index)
        id_field = form.fields[self.model._meta.pk.name]
        # unscoped() is safe: confined to the assignments of the one device being edited.
        id_field.queryset = DeviceAssignment.objects.unscoped().filter(device_id=self.instance.pk)  # type: ignore[attr-defined]
        # A new row belongs to the device's tenant; the form validates in that tenant's scope.
        if form.instance.tenant_id is None:  # type: ignore[attr-defined]
            form.instance.tenant_id = self.instance.tenant_id  # type: ignore[attr-defined]

    def clean(self) -> None:
        super().clean()
        device = self.instance
        if device.tenant_id is None:  # the device form is invalid and says so
            return
        seen: set[uuid.UUID] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            user = data.get("user")
            if user is None or data.get("DELETE"):
                continue
            problem = _assignment_problem(user=user, device=device, seen=seen)
            if problem:
                form.add_error("user", problem)
            seen.add(user.pk)


def _assignment_problem(*, user: Any, device: Device, seen: set[uuid.UUID]) -> str | None:
    if user.tenant_id != device.tenant_id:
        return "This user belongs to another tenant."
    if user.role in BRANCH_ROLES and user.branch_id != device.branch_id:
        return "This user works in another branch."
    if user.pk in seen:
        return "This user is assigned twice."
    return None


class DeviceAssignmentInline(UnscopedForeignKeys, admin.TabularInline):
    model = DeviceAssignment
    form = TenantOwnedAdminForm
    formset = DeviceAssignmentFormSet
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[DeviceAssignment]:
        # unscoped() is safe: the inline shows the assignments of one device that the (unscoped,
        # platform-staff-only) device admin already loaded; Django filters them by that device.
        return DeviceAssignment.objects.unscoped()


@admin.register(Device)
class DeviceAdmin(TenantOwnedAdmin):
    form = DeviceAdminForm
    inlines = (DeviceAssignmentInline,)
    list_display = ("code", "name", "branch", "tenant", "is_active", "last_seen_at")
    list_filter = ("is_active", "tenant")
    list_select_related = ("tenant", "branch")
    search_fields = ("code", "name", "branch__code", "branch__name", "tenant__name", "tenant__slug")
    ordering = ("tenant__name", "code")
    readonly_fields = ("id", "last_seen_at", "created_at", "updated_at")
    fields = (
        "id",
        "tenant",
        "branch",
        "code",
        "name",
        "is_active",
        "last_seen_at",
        "created_at",
        "updated_at",
    )
