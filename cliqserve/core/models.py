"""Core rows: background jobs that clients follow, idempotency keys, the outbox and the audit trail."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import Tenancy, TenantOwnedModel

MAX_STORED_ERRORS = 1000


class Job(TenantOwnedModel):
    """A long-running piece of work started over the API (a CSV import) and run by Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The input travels with the job, so any worker on any machine can run it.
    payload = models.TextField(blank=True, default="")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], first 1000.")
    detail = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"], name="job_tenant_created")]

    def add_errors(self, errors: list[dict[str, Any]]) -> None:
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors = [*self.errors, *errors[:room]]


class IdempotencyKey(TenantOwnedModel):
    """One `Idempotency-Key` a caller sent to one endpoint, and the answer it got.

    The row is inserted in the same transaction as the write it guards (cliqserve/core/
    idempotency.py), so it exists once committed only for a write that committed, and a
    concurrent duplicate waits on the unique index instead of racing a prior SELECT.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    key = models.CharField(max_length=255)
    # Keys are ephemeral (purged after IDEMPOTENCY_KEY_RETENTION_DAYS): they go with their user.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=255, help_text="HTTP method and route: one key per endpoint.")
    request_hash = models.CharField(max_length=64, help_text="sha256 of the canonical JSON body.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rendered JSON text, not a JSONField: jsonb would reorder the object's members, and a
    # replay answers the first answer byte for byte.
    response_body = models.TextField(null=True, blank=True)  # noqa: DJ001  # NULL until completed

    # created_at (inherited) is already indexed: the purge deletes by it.
    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tenant", "actor", "scope", "key"], name="idempotency_key_unique")
        ]


class OutboxMessage(TenantOwnedModel):
    """A side effect (an e-mail, later a webhook or an export) promised by a business write.

    Inserted in the business transaction (cliqserve/core/outbox/), so it exists exactly when the
    write committed; delivered afterwards, outside that transaction, at least once. States and
    retries: docs/adr/0004-transactional-outbox.md.
    """

    class State(models.TextChoices):
        PENDING = "pending"  # waiting for its first try, a retry, or a worker's lease to lapse
        SENT = "sent"  # its handler returned; purged after OUTBOX_SENT_RETENTION_DAYS
        DEAD = "dead"  # OUTBOX_MAX_ATTEMPTS tries failed; kept OUTBOX_DEAD_RETENTION_DAYS

    topic = models.CharField(max_length=100, help_text="Names the handler, e.g. inventory.low_stock_mail.")
    key = models.CharField(max_length=255, help_text="Deduplicates: one message per (tenant, topic, key).")
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When a pending message may next be claimed: now at first, then the end of a worker's
    # lease or of a retry's backoff.
    available_at = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["tenant", "topic", "key"], name="outbox_message_unique_key")
        ]
        indexes: ClassVar = [
            # The drain: pending messages that are due, oldest first.
            models.Index(
                fields=["available_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due",
            ),
            # The purge of sent messages past their retention (dead ones go by created_at).
            models.Index(fields=["sent_at"], condition=models.Q(state="sent"), name="outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key} ({self.state})"


class AuditEvent(models.Model):
    """One security event or business-sensitive change: who did what to which object, when.

    Append-only, and the database enforces it: a trigger refuses UPDATE and DELETE for every
    role except the purge function's (docs/adr/0009-audit-trail.md). Services write events
    explicitly, inside the transaction of the change (cliqserve/core/audit.py), so an event
    exists exactly when its change committed. Ids only, no personal data: erasing a person
    never needs to touch the trail.
    """

    # Tenant-owned, but like User (docs/adr/0001) with Django's plain manager: platform events
    # belong to no tenant, and the one selector (audit.audit_event_list) filters explicitly.
    tenancy: ClassVar[Tenancy] = "tenant"

    class ActorType(models.TextChoices):
        USER = "user"
        API_KEY = "api_key"
        SYSTEM = "system"  # beat, a management command, an unauthenticated caller

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=timezone.now)
    # NULL for events outside any tenant: a platform owner's sign-in, an unknown e-mail's failure.
    tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    # An id, not a foreign key: the trail outlives what it names and must never be cascaded into.
    actor_id = models.UUIDField(null=True, blank=True)
    # The manager whose one-time approval let the actor go beyond its limits.
    approver_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=200, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")
    # Kept AUDIT_CLIENT_RETENTION_DAYS only; the purge function clears them after that.
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["tenant", "-at"], name="audit_tenant_at"),
            models.Index(fields=["-at"], name="audit_at"),
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_tenant_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}".strip()
