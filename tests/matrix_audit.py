"""Isolation and RBAC declarations for the audit trail (read-only: writes answer 405)."""

from __future__ import annotations

from typing import Any

from cliqserve.core import audit
from cliqserve.core.models import AuditEvent
from conftest import World
from tests.matrix import Case, ListRoute, ObjectRoute, statuses


def event_of(tenant_world: Any) -> AuditEvent:
    """One event of that tenant, its admin as the actor (made once per test)."""
    existing = AuditEvent.objects.filter(tenant=tenant_world.tenant, action="matrix_probe").first()
    return existing or audit.record(
        action="matrix_probe",
        tenant_id=tenant_world.tenant.pk,
        actor=tenant_world.tenant_admin,
        target=tenant_world.branch,
    )


def _event_a(w: World) -> AuditEvent:
    return event_of(w.a)


OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "audit-event-detail": ObjectRoute(
        AuditEvent, lambda w: event_of(w.b), lambda w: {"action": "forged"}, methods=("get",)
    ),
}
LIST_ROUTES: dict[str, ListRoute] = {
    "audit-event-list": ListRoute(lambda w: {event_of(w.a).pk}, lambda w: {event_of(w.b).pk}),
}
NO_TENANT_ROWS: dict[str, str] = {}

CASES: list[Case] = [
    Case("audit-event-list", "get", statuses(401, 403, 403, 200, 200)),
    Case("audit-event-detail", "get", statuses(401, 403, 403, 200, 200), target=_event_a),
    # Read-only: no method writes, for anyone; a refused write leaves the trail as it was.
    Case(
        "audit-event-list",
        "post",
        statuses(405, 405, 405, 405, 405),
        body=lambda w: {"action": "forged"},
        model=AuditEvent,
    ),
    Case(
        "audit-event-detail",
        "delete",
        statuses(405, 405, 405, 405, 405),
        target=_event_a,
        model=AuditEvent,
    ),
]
COVERED_ELSEWHERE: set[str] = set()
