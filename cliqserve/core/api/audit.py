"""GET /api/v1/audit-events/: the audit trail, read-only (contract § Audit trail)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers

from cliqserve.core.roles import Role

from ..audit import EVENT_COLUMNS, audit_event_list
from ..models import AuditEvent
from .pagination import CursorPagination
from .viewsets import ReadOnlyPolicyViewSet

READERS = frozenset({Role.PLATFORM_OWNER, Role.TENANT_ADMIN})


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.UUIDField(
        source="actor_id", allow_null=True, help_text="The user or API key that acted."
    )
    approver = serializers.UUIDField(
        source="approver_id", allow_null=True, help_text="The manager whose one-time approval allowed it."
    )
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text='{field: [old, new]}; a personal field is "[personal data]" on both sides.',
    )

    class Meta:
        model = AuditEvent
        fields: ClassVar = ["id", "tenant", *EVENT_COLUMNS]
        read_only_fields = fields


class AuditEventFilter(filters.FilterSet):
    actor = filters.UUIDFilter(field_name="actor_id")
    action = filters.CharFilter()
    object_type = filters.CharFilter()
    object_id = filters.CharFilter()
    tenant = filters.UUIDFilter(field_name="tenant_id", help_text="Platform owner: one tenant's events.")
    # `from` and `to` are Python keywords: declared under other names, renamed below.
    at_from = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", help_text="From this instant on.")
    at_to = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", help_text="Before this instant.")

    class Meta:
        model = AuditEvent
        fields: ClassVar[list[str]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["from"] = self.filters.pop("at_from")
        self.filters["to"] = self.filters.pop("at_to")


class AuditPagination(CursorPagination):
    ordering = ("-at", "-id")


class AuditEventViewSet(ReadOnlyPolicyViewSet):
    """Who did what, when: security events and business-sensitive changes, newest first.
    A tenant admin reads its tenant's; the platform owner every tenant's (`?tenant=`)."""

    model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = AuditPagination
    policy: ClassVar = {"list": READERS, "retrieve": READERS}

    def select(self) -> QuerySet[AuditEvent]:
        return audit_event_list(actor_role=self.actor.role, actor_tenant_id=self.actor.tenant_id)
