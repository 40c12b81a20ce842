"""The audit trail: who did what to which object, written by services in the change's transaction.

A service that makes a security-relevant or business-sensitive change calls `record()` right
beside the write, inside the same `transaction.atomic()`: the event commits exactly when the
change does, and a rolled-back change leaves no event. No signals and no model-history library:
the checkout path pays for one INSERT where it is asked to, nothing more.

Events hold ids, never personal data. A personal field that changed is recorded as changed,
without its values (`PERSONAL`), so erasing a person never needs to edit the trail, which the
database would refuse anyway (append-only; docs/adr/0009-audit-trail.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import sql
from .context import client_ip_var, request_id_var, user_agent_var
from .models import AuditEvent

# An event as the API and the export name its fields (name: model attribute), after its id
# and tenant.
EVENT_COLUMNS = {
    "at": "at",
    "actor_type": "actor_type",
    "actor": "actor_id",
    "approver": "approver_id",
    "action": "action",
    "object_type": "object_type",
    "object_id": "object_id",
    "object_repr": "object_repr",
    "changes": "changes",
    "ip": "ip",
    "user_agent": "user_agent",
    "request_id": "request_id",
}

# Written in place of both values of a personal field that changed.
PERSONAL = "[personal data]"
REPR_MAX = 200


class Actor(Protocol):
    """Whoever acts: a user (accounts.User) or an API key; each says which it is."""

    @property
    def audit_actor_type(self) -> str: ...

    @property
    def pk(self) -> Any: ...


@dataclass(frozen=True)
class ActorRef:
    """An actor known only by its id (a token's subject), so no row is read just to name it."""

    pk: Any
    audit_actor_type: str = AuditEvent.ActorType.USER


Changes = Mapping[str, Sequence[Any]]


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` on `obj` (a foreign key by its id), to diff after a change."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname if isinstance(field, models.ForeignKey) else name)
    return values


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, personal: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value changed; a personal one without values."""
    hidden = frozenset(personal)
    changed = [name for name in after if before.get(name) != after[name]]
    return {
        name: [PERSONAL, PERSONAL] if name in hidden else [before.get(name), after[name]] for name in changed
    }


def record(**fields: Any) -> AuditEvent:
    """Write one event (see `event` for its fields), in the caller's transaction."""
    written = event(**fields)
    written.save(force_insert=True)
    return written


def record_many(events: Iterable[AuditEvent]) -> None:
    """Write events built with `event`, in one statement (a bulk import's price changes)."""
    AuditEvent.objects.bulk_create(list(events))


def event(
    *,
    action: str,
    tenant_id: uuid.UUID | str | None,
    actor: Actor | None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str | None = None,
    changes: Changes | None = None,
    approver_id: uuid.UUID | str | None = None,
) -> AuditEvent:
    """One event, unsaved, with the request's context. `target` fills object type, id and repr
    unless they are given; pass `object_repr` for a person (their str() is an e-mail address,
    which the trail never holds)."""
    named = _named(target=target, object_type=object_type, object_id=object_id, object_repr=object_repr)
    return AuditEvent(
        action=action,
        tenant_id=tenant_id,
        actor_type=actor.audit_actor_type if actor is not None else AuditEvent.ActorType.SYSTEM,
        actor_id=actor.pk if actor is not None else None,
        approver_id=approver_id,
        **named,
        changes=_plain(changes or {}),
        ip=client_ip_var.get(),
        user_agent=user_agent_var.get(),
        request_id=request_id_var.get() or "",
    )


def _named(
    *, target: models.Model | None, object_type: str, object_id: Any, object_repr: str | None
) -> dict[str, str]:
    """The object columns: from `target` unless given."""
    if target is not None:
        object_type = object_type or target._meta.model_name or ""
        object_id = object_id or target.pk
        object_repr = str(target) if object_repr is None else object_repr
    return {
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "object_repr": (object_repr or "")[:REPR_MAX],
    }


def _plain(changes: Changes) -> dict[str, list[Any]]:
    # Decimals, UUIDs and dates as the API writes them, so the trail reads like the API.
    plain: dict[str, list[Any]] = json.loads(
        json.dumps({k: list(v) for k, v in changes.items()}, cls=DjangoJSONEncoder)
    )
    return plain


def audit_event_list(*, actor_role: str, actor_tenant_id: uuid.UUID | None) -> models.QuerySet[AuditEvent]:
    """The events a caller may read, newest first: a platform owner every tenant's (and the
    platform's own), anyone else its own tenant's. The API's policy decides who gets here."""
    events = AuditEvent.objects.order_by("-at", "-id")
    if actor_role == "platform_owner":
        return events
    if actor_tenant_id is None:
        return events.none()
    return events.filter(tenant_id=actor_tenant_id)


def purge() -> int:
    """Beat: delete events past AUDIT_RETENTION_DAYS and clear client addresses and agents past
    AUDIT_CLIENT_RETENTION_DAYS, through the only function the database lets delete (on
    PostgreSQL; the embedded SQLite keeps no guard). Returns how many events went."""
    return sql.purge_audit_events(
        keep_events_days=settings.AUDIT_RETENTION_DAYS, keep_client_days=settings.AUDIT_CLIENT_RETENTION_DAYS
    )
