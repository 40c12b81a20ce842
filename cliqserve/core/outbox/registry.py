"""Which function delivers which topic. Domains register theirs; core imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cliqserve.core.models import OutboxMessage

Handler = Callable[["OutboxMessage"], None]

_handlers: dict[str, Handler] = {}


def register(topic: str, handler: Handler) -> None:
    """Make `handler` deliver every message of `topic` (see the contract in the package doc).

    Call it from the owning app's AppConfig.ready(), so web and worker processes alike know it.
    A topic has one handler: registering another for it is a programming error.
    """
    current = _handlers.get(topic)
    if current is not None and current is not handler:
        raise ValueError(f"outbox topic {topic!r} already has a handler: {current!r}")
    _handlers[topic] = handler


def unregister(topic: str) -> None:
    """Forget the topic's handler (tests that register their own use this to clean up)."""
    _handlers.pop(topic, None)


def handler_for(topic: str) -> Handler | None:
    return _handlers.get(topic)
