"""Django admin for platform staff: the outbox, read-only (what is pending, sent or dead, and why),
and the feature flags' conditions.

Nothing here writes to the outbox: a message is delivered, retried and purged by the outbox alone
(docs/adr/0004-transactional-outbox.md). Only platform owners may be staff, which is what
makes reading every tenant's messages through `.unscoped()` safe.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from flags import forms as flags_forms
from flags.models import FlagState

from . import feature_flags
from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant_id", "topic", "key", "state", "attempts", "available_at", "sent_at")
    list_filter = ("state", "topic")
    search_fields = ("key", "=id")
    ordering = ("-created_at",)
    readonly_fields = (
        "id",
        "tenant_id",
        "topic",
        "key",
        "payload",
        "state",
        "attempts",
        "available_at",
        "last_error",
        "created_at",
        "updated_at",
        "sent_at",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        # unscoped() is safe: only platform staff reach the admin, and they oversee every tenant.
        return OutboxMessage.objects.unscoped().order_by(*self.ordering)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FlagStateForm(flags_forms.FlagStateForm):
    """django-flags' form (declared flags only, each value checked by its condition's validator),
    offering only the conditions cliqserve evaluates, and dates only with their offset."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["condition"].choices = [(name, name) for name in feature_flags.SUPPORTED_CONDITIONS]
        self.fields["value"].help_text = (
            "boolean: true or false · user: an email · tenant: a slug or id · role: "
            "platform_owner, tenant_admin, branch_manager or cashier · percentage of tenants / of "
            "users: 0 to 100 · after date / before date: e.g. 2026-03-01T00:00:00Z"
        )

    def clean_value(self) -> str:
        condition = self.cleaned_data.get("condition")
        if condition is None:
            # The condition field has its error already; django-flags' check would crash on it.
            return str(self.data.get("value", ""))
        value = str(super().clean_value())
        if condition in ("after date", "before date"):
            try:
                feature_flags.validate_instant(value)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return value


# django-flags registers a plain admin for its rows; ours limits conditions and checks dates.
# (`flags` comes before this app in INSTALLED_APPS, so it always has; the check keeps an
# app-order change from breaking start-up.)
if admin.site.is_registered(FlagState):  # pragma: no branch
    admin.site.unregister(FlagState)


@admin.register(FlagState)
class FlagStateAdmin(admin.ModelAdmin):
    """The flags' conditions (docs/FLAGS.md). Only platform owners reach the admin at all (the
    user admin refuses `is_staff` to anyone else); saving or deleting a row clears the cache."""

    form = FlagStateForm
    list_display = ("name", "condition", "value", "required")
    list_filter = ("name", "condition")
    search_fields = ("name", "value")
    ordering = ("name", "condition", "value")

    # Staff are platform owners already; asked again here because a flag changes what every
    # tenant gets, so no other staff account (were one ever made) may switch it.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_platform_owner(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_platform_owner(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_platform_owner(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_platform_owner(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_platform_owner(request) and super().has_delete_permission(request, obj)


def _is_platform_owner(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_platform_owner", False))
