"""Dispatching Celery tasks safely from inside a database transaction; core's periodic tasks."""

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
