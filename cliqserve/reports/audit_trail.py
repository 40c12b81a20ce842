"""The audit trail as a report table (the `audit_events` export): the tenant's events, oldest
first, with the filters of GET /api/v1/audit-events/. Only a tenant admin exports it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cliqserve.core.audit import EVENT_COLUMNS
from cliqserve.core.models import AuditEvent

from .tabular import QueryRows, Table, text

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

COLUMNS = tuple(text(name) for name in EVENT_COLUMNS)


@dataclass(frozen=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


def _cells(event: AuditEvent) -> list[Any]:
    values = {name: getattr(event, attribute) for name, attribute in EVENT_COLUMNS.items()}
    values["at"] = event.at.isoformat()
    values["changes"] = json.dumps(event.changes, sort_keys=True)
    return list(values.values())


def audit_events_table(*, tenant: Tenant, filters: AuditFilters) -> Table:
    events = AuditEvent.objects.filter(tenant_id=tenant.pk)
    exact = {
        "actor_id": filters.actor_id,
        "action": filters.action,
        "object_type": filters.object_type,
        "object_id": filters.object_id,
        "at__gte": filters.at_from,
        "at__lt": filters.at_to,
    }
    events = events.filter(**{lookup: value for lookup, value in exact.items() if value is not None})
    return Table(columns=COLUMNS, rows=QueryRows(events.order_by("at", "id"), _cells))
