"""Django admin for platform staff: users, with Django's password machinery, for an email login.

The forms hold users to the same rules as the model's constraints and accounts.services, with
messages a person can act on: platform owners have no tenant (and come only from
`manage.py create_platform_owner`), tenant roles need a tenant, branch roles a branch of that
tenant, and only platform owners may sign in to the admin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.db.models import BLANK_CHOICE_DASH
from django.http import HttpRequest

from cliqserve.core.errors import DomainError
from cliqserve.core.roles import BRANCH_ROLES, Role
from cliqserve.tenants.admin import UnscopedForeignKeys

from .models import User
from .services import drop_assignments_elsewhere, user_branch_changing


def _scope_problems(*, role: str, tenant: Any, branch: Any) -> list[tuple[str, str]]:
    """Which tenant and branch the role needs; the model's check constraints, in words."""
    return [
        *_tenant_problems(role=role, tenant=tenant),
        *_branch_problems(role=role, tenant=tenant, branch=branch),
    ]


def _tenant_problems(*, role: str, tenant: Any) -> list[tuple[str, str]]:
    if role == Role.PLATFORM_OWNER and tenant is not None:
        return [("tenant", "Platform owners belong to no tenant.")]
    if role != Role.PLATFORM_OWNER and tenant is None:
        return [("tenant", "This role needs a tenant.")]
    return []


def _branch_problems(*, role: str, tenant: Any, branch: Any) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if role in BRANCH_ROLES and branch is None:
        problems.append(("branch", "This role needs a branch."))
    if role not in BRANCH_ROLES and branch is not None:
        problems.append(("branch", "Only branch managers and cashiers have a branch."))
    if branch is not None and tenant is not None and branch.tenant_id != tenant.pk:
        problems.append(("branch", "This branch belongs to another tenant."))
    return problems


class UserRulesForm(forms.ModelForm):
    """Role, tenant and branch rules shared by the add and the change form."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields.get("role")
        if isinstance(role, forms.ChoiceField) and not self.instance.is_platform_owner:
            # Platform owners come only from `manage.py create_platform_owner`.
            role.choices = [
                *BLANK_CHOICE_DASH,
                *((v, label) for v, label in Role.choices if v != Role.PLATFORM_OWNER),
            ]
        branch = self.fields.get("branch")
        if isinstance(branch, forms.ModelChoiceField) and self.instance.tenant_id is not None:
            branch.queryset = branch.queryset.filter(tenant_id=self.instance.tenant_id)  # type: ignore[union-attr]

    def clean_email(self) -> str:
        # Stored lowercased by User.save(), but the constraint checks run before it: match them.
        return str(self.cleaned_data["email"]).strip().lower()

    def _value(self, name: str) -> Any:
        """The submitted value, or the stored one for a field the form does not edit."""
        if name in self.fields:
            return self.cleaned_data.get(name)
        return getattr(self.instance, name)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        role = self._value("role")
        if not role:
            return cleaned  # already reported on the role field
        problems = _scope_problems(role=role, tenant=self._value("tenant"), branch=self._value("branch"))
        if role != Role.PLATFORM_OWNER and (self._value("is_staff") or self._value("is_superuser")):
            problems.append(("is_staff", "Only platform owners may use the admin."))
        problems += self._move_problems(role=role)
        for name, message in problems:
            self.add_error(name if name in self.fields else None, message)
        return cleaned

    def _move_problems(self, *, role: str) -> list[tuple[str, str]]:
        """As accounts.services.user_update: a move the domains refuse (sales: an open shift at
        the old branch) is an error on the branch."""
        branch = self._value("branch") if role in BRANCH_ROLES else None
        branch_id = getattr(branch, "pk", None)
        if self.instance.pk is None or branch_id == self.instance.branch_id:
            return []
        try:
            user_branch_changing.send(sender=User, user=self.instance, branch_id=branch_id)
        except DomainError as exc:
            return [("branch", str(exc.detail))]
        return []


class UserCreationForm(UserRulesForm, DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(UserRulesForm, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(UnscopedForeignKeys, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Role", {"fields": ("role", "tenant", "branch")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "password1", "password2", "role", "tenant", "branch"),
            },
        ),
        ("Personal info", {"fields": ("first_name", "last_name")}),
    )
    list_display = ("email", "role", "tenant", "branch", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "tenant")
    list_select_related = ("tenant", "branch")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        # As in accounts.services.user_update: a user never moves to another tenant.
        return (*readonly, "tenant") if obj is not None else readonly

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"branch", "role"} & set(form.changed_data):
            # As accounts.services.user_update: a user's tills are in its branch.
            drop_assignments_elsewhere(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Users are deactivated, never deleted: their shifts and sales name them.
        return False
