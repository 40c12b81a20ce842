"""Celery tasks of the reports domain."""

from __future__ import annotations

from celery import shared_task

from .services import REFRESH_BATCH, rollups_refresh

MAX_BATCHES_PER_RUN = 20


@shared_task(acks_late=True)
def refresh_rollups() -> int:
    """Beat: fold the sales journal into the rollups, a batch at a time, for a bounded while
    (the next beat carries on). Returns the journal rows folded."""
    folded = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = rollups_refresh()
        folded += batch
        if batch < REFRESH_BATCH:
            break
    return folded
