"""Writing a message in the business transaction, and waking a worker once it commits."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cliqserve.core.models import OutboxMessage

logger = logging.getLogger("cliqserve.outbox")


def enqueue(*, topic: str, tenant_id: uuid.UUID, payload: dict[str, Any], key: str) -> OutboxMessage | None:
    """Promise `topic` for `payload`; it is delivered only if the caller's transaction commits.

    Call it inside the business transaction (a `transaction.atomic()` block). `key` names the
    business event (a second `enqueue` of the same tenant, topic and key is a no-op that returns
    None), and the handler gets it with the message to make a repeated delivery harmless.
    `payload` must be JSON: keep it small, and put in it what the handler needs at send time.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.enqueue() belongs inside the business transaction")
    message = OutboxMessage(
        tenant_id=tenant_id, topic=topic, key=key, payload=payload, available_at=timezone.now()
    )
    try:
        # A savepoint: a duplicate key must not doom the caller's transaction.
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        logger.info("outbox message already queued", extra={"topic": topic, "key": key})
        return None
    transaction.on_commit(lambda: _wake_drain(message.pk), robust=True)
    return message


def _wake_drain(message_id: uuid.UUID) -> None:
    """Ask a worker to deliver the message now. Without a broker this fails fast (no publish
    retries) and is logged: the message is in the database, and the beat sweep delivers it."""
    from cliqserve.core.tasks import drain_outbox  # the tasks module imports this one

    try:
        drain_outbox.apply_async(args=(str(message_id),), retry=False)
    except Exception:  # the business write has committed: never fail it for a late wake-up
        logger.exception(
            "outbox drain not started; the sweep will deliver", extra={"message_id": str(message_id)}
        )
