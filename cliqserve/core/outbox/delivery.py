"""Delivering due messages: claim one (short transaction), run its handler (no transaction),
record the outcome. Also the purge that keeps the table bounded. See the package doc."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter

from cliqserve.core.models import OutboxMessage
from cliqserve.core.tenancy import tenant_scope

from .locks import lock_next_due_message
from .registry import handler_for

logger = logging.getLogger("cliqserve.outbox")

State = OutboxMessage.State

SENT = Counter("cliqserve_outbox_sent_total", "Outbox messages delivered.", ["topic"])
FAILURES = Counter("cliqserve_outbox_failures_total", "Outbox delivery attempts that failed.", ["topic"])
DEAD = Counter("cliqserve_outbox_dead_total", "Outbox messages given up after their last attempt.", ["topic"])

# One drain stops claiming after this long, well inside CELERY_TASK_SOFT_TIME_LIMIT; the next
# sweep carries on. It never stops in the middle of a message.
DRAIN_BUDGET_SECONDS = 60
PURGE_CHUNK = 1000
# The stored error: enough to diagnose, never a whole traceback.
MAX_ERROR_LENGTH = 2000


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: doubling from OUTBOX_RETRY_BASE_SECONDS, capped at
    OUTBOX_RETRY_MAX_SECONDS (30 s, 1, 2, 4, 8, 16, 32 min, then 1 h by default)."""
    base, cap = settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def drain(*, message_id: uuid.UUID | str | None = None, limit: int = 500) -> int:
    """Deliver due messages, oldest first, until none is due, `limit` were tried or the time
    budget is spent; only the named one with `message_id`. Returns how many were tried.

    Call it outside any transaction (the Celery tasks do): a handler's effect cannot be undone.
    """
    started = time.monotonic()
    tried = 0
    wanted = uuid.UUID(str(message_id)) if message_id is not None else None
    while tried < limit and time.monotonic() - started < DRAIN_BUDGET_SECONDS:
        message = _claim(message_id=wanted)
        if message is None:
            break
        _deliver(message)
        tried += 1
        if wanted is not None:
            break
    return tried


def _claim(*, message_id: uuid.UUID | None) -> OutboxMessage | None:
    """Take the next due message and lease it: counted as an attempt, and not due again until
    the lease ends, so no other drain delivers it meanwhile (and one whose worker died is
    retried then)."""
    now = timezone.now()
    with transaction.atomic():
        message = next(iter(lock_next_due_message(now=now, message_id=message_id)), None)
        if message is None:
            return None
        message.attempts += 1
        message.available_at = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        message.save(update_fields=["attempts", "available_at", "updated_at"])
    return message


def _deliver(message: OutboxMessage) -> None:
    handler = handler_for(message.topic)
    try:
        if handler is None:
            # A deploy in flight (a new topic reached an old worker), or a topic dropped by
            # mistake: retried like any failure, so a worker that knows it can still deliver.
            raise LookupError(f"no outbox handler for topic {message.topic!r}")
        with tenant_scope(message.tenant_id):
            handler(message)
    except Exception as error:  # noqa: BLE001  # any failure is retried; the drain carries on
        _record_failure(message, error)
        return
    _record_sent(message)


def _record_sent(message: OutboxMessage) -> None:
    # Only a pending row: a message re-claimed after its lease ran out and already recorded
    # by the other worker keeps that record.
    now = timezone.now()
    OutboxMessage.objects.unscoped().filter(pk=message.pk, state=State.PENDING).update(
        state=State.SENT, sent_at=now, last_error="", updated_at=now
    )
    SENT.labels(topic=message.topic).inc()
    logger.info("outbox message sent", extra=_log_fields(message))


def _record_failure(message: OutboxMessage, error: Exception) -> None:
    now = timezone.now()
    dead = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    changes: dict[str, object] = {"last_error": f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]}
    if dead:
        changes["state"] = State.DEAD
    else:
        changes["available_at"] = now + retry_delay(message.attempts)
    # Guarded by the attempt count: a newer claim of the same message (after this lease ran
    # out) owns the row now, and this late failure must not overwrite its outcome.
    OutboxMessage.objects.unscoped().filter(
        pk=message.pk, state=State.PENDING, attempts=message.attempts
    ).update(updated_at=now, **changes)
    FAILURES.labels(topic=message.topic).inc()
    fields = {**_log_fields(message), "error": changes["last_error"]}
    if dead:
        DEAD.labels(topic=message.topic).inc()
        logger.error("outbox message dead", extra=fields)
    else:
        logger.warning(
            "outbox message failed; will retry", extra={**fields, "retry_at": changes["available_at"]}
        )


def _log_fields(message: OutboxMessage) -> dict[str, object]:
    return {
        "outbox_message_id": str(message.pk),
        "tenant_id": str(message.tenant_id),
        "topic": message.topic,
        "attempts": message.attempts,
    }


def purge(*, now: datetime | None = None) -> int:
    """Delete sent messages older than OUTBOX_SENT_RETENTION_DAYS (by when they were sent) and
    dead ones older than OUTBOX_DEAD_RETENTION_DAYS (by when they were written), in chunks so
    no statement holds many row locks. Pending messages are never purged."""
    now = now or timezone.now()
    # unscoped(): an operator-wide cleanup by age and state alone, the same for every tenant.
    messages = OutboxMessage.objects.unscoped()
    expired = [
        messages.filter(
            state=State.SENT, sent_at__lt=now - timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS)
        ),
        messages.filter(
            state=State.DEAD, created_at__lt=now - timedelta(days=settings.OUTBOX_DEAD_RETENTION_DAYS)
        ),
    ]
    deleted = 0
    for queryset in expired:
        while ids := list(queryset.values_list("pk", flat=True)[:PURGE_CHUNK]):
            count, _ = messages.filter(pk__in=ids).delete()
            deleted += count
    if deleted:
        logger.info("outbox messages purged", extra={"deleted": deleted})
    return deleted
