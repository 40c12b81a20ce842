"""The transactional outbox: side effects promised by a business write, delivered after it.

A service calls `enqueue(...)` inside its transaction: the message row commits with the
business change or not at all. Once the transaction commits, a Celery task drains the message
at once; a beat sweep every minute drains whatever that task never reached (the broker was
down, a worker died) and every retry that has come due. Delivery runs outside any transaction,
so no business row is locked while a mail server or a webhook endpoint takes its time.

Domains register one handler per topic (from their AppConfig.ready()); core knows no domain.

The handler contract
    `handler(message)` gets the `OutboxMessage` (its `id`, `key`, `tenant_id`, `payload`,
    `attempts` so far, this one included). It runs inside `tenant_scope(message.tenant_id)`
    and outside any transaction. Returning means done: the message is marked sent. Raising
    means "try again later": the error is recorded and the message is retried with backoff,
    until it is dead after OUTBOX_MAX_ATTEMPTS tries.
    Delivery is **at least once**: a worker that dies, or runs past its lease, after the effect
    but before the message is marked sent leaves it to be delivered again. A handler must make
    a repeat harmless: pass `message.id` (or `key`) on as an idempotency key (a webhook's
    delivery id, an e-mail's Message-ID), or check whether its effect already happened.

Everything is in docs/adr/0004-transactional-outbox.md.
"""

from .delivery import drain, purge, retry_delay
from .registry import Handler, handler_for, register, unregister
from .writer import enqueue

__all__ = [
    "Handler",
    "drain",
    "enqueue",
    "handler_for",
    "purge",
    "register",
    "retry_delay",
    "unregister",
]
