"""The outbox's one row lock: claiming a due message.

`FOR UPDATE SKIP LOCKED`: two drains running at once never claim the same message, and neither
waits for the other — each takes the next due row nobody holds. The claim's transaction is
short (select, lease, commit); the message is delivered after it, holding no lock at all,
with the lease (`available_at` pushed forward) keeping other drains off it meanwhile.
Outbox rows are never locked together with business rows, so this lock has no place in any
domain's lock order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from cliqserve.core.models import OutboxMessage


def lock_next_due_message(*, now: datetime, message_id: uuid.UUID | None = None) -> QuerySet[OutboxMessage]:
    """The oldest due pending message (or the one named, if it is due), locked, skipping rows
    another drain holds. Evaluate it inside a transaction.

    unscoped(): draining is operator-wide work across tenants; each message is delivered in its
    own tenant's scope afterwards.
    """
    due = OutboxMessage.objects.unscoped().filter(state=OutboxMessage.State.PENDING, available_at__lte=now)
    if message_id is not None:
        due = due.filter(pk=message_id)
    return due.select_for_update(skip_locked=True).order_by("available_at")[:1]
