"""Dispatching Celery tasks safely from inside a database transaction; core's periodic tasks
and the outbox's drains."""

from __future__ import annotations

import functools
from typing import Any, ParamSpec

from celery import Task, shared_task
from django.db import transaction

P = ParamSpec("P")


def enqueue_on_commit(task: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Send `task` only once the current transaction commits; at once outside a transaction.

    A task sent before commit could run before its rows are visible, or for a write that is
    later rolled back. Every service that dispatches a task goes through here.
    """
    transaction.on_commit(functools.partial(task.delay, *args, **kwargs))


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    """Beat: delete idempotency keys past IDEMPOTENCY_KEY_RETENTION_DAYS (every tenant at once)."""
    # Imported here: services import this module for enqueue_on_commit, before models may load.
    from .idempotency import purge_expired_keys

    return purge_expired_keys()


@shared_task(name="cliqserve.core.tasks.drain_outbox", acks_late=True)
def drain_outbox(message_id: str | None = None) -> int:
    """Deliver one outbox message (sent on its transaction's commit), or every due one.

    No Celery retries or countdowns: a failed delivery is rescheduled on the outbox row itself
    (`available_at`), which survives the broker; a long countdown would not (Redis redelivers
    an unacknowledged task after its visibility timeout).
    """
    from . import outbox  # imported here, like purge_idempotency_keys's: models load first

    return outbox.drain(message_id=message_id)


@shared_task(name="cliqserve.core.tasks.sweep_outbox", acks_late=True)
def sweep_outbox() -> int:
    """Beat, every minute: deliver every due outbox message the on-commit drains did not (the
    broker was down, a worker died, a retry came due), then purge old ones. Returns how many
    messages were tried."""
    from . import outbox

    tried = outbox.drain()
    outbox.purge()
    return tried


@shared_task(name="cliqserve.core.tasks.purge_audit_events", acks_late=True)
def purge_audit_events() -> int:
    """Beat, every 6 hours: audit events past their retention go, and old client details."""
    from . import audit  # imported here, like purge_idempotency_keys's: models load first

    return audit.purge()
