"""Security events as structured log lines (an audit log will take them over later)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("cliqserve.security")


def security_event(event: str, **fields: Any) -> None:
    """Log one security event. Pass ids, roles and reasons only: no emails, no secrets."""
    logger.info(event, extra={"event": event, **{key: _plain(value) for key, value in fields.items()}})


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
