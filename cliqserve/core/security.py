"""Security events as structured log lines (an audit log will take them over later)."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter

logger = logging.getLogger("cliqserve.security")

# Every event is a literal in the code, so the label stays a small, fixed set; alert rules
# watch event="login_failed" (deploy/monitoring/prometheus/rules/cliqserve.yml).
EVENTS = Counter("cliqserve_security_events_total", "Security events logged.", ["event"])


def security_event(event: str, **fields: Any) -> None:
    """Log and count one security event. Pass ids, roles and reasons only: no emails, no secrets."""
    EVENTS.labels(event=event).inc()
    logger.info(event, extra={"event": event, **{key: _plain(value) for key, value in fields.items()}})


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
