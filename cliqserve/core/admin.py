"""Django admin for platform staff: the outbox, read-only (what is pending, sent or dead, and why).

Nothing here writes: a message is delivered, retried and purged by the outbox alone
(docs/adr/0004-transactional-outbox.md). Only platform owners may be staff, which is what
makes reading every tenant's messages through `.unscoped()` safe.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

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
