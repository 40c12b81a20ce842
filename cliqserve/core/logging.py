"""JSON log lines with the request's context, and with secrets scrubbed before they leave."""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from .context import request_id_var, tenant_id_var, user_id_var
from .tracing import current_trace_ids

REDACTED = "[redacted]"

# Keys whose values are secrets wherever they appear in a structured log record.
_SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authorization|cookie|api[_-]?key|^access$|^refresh$|^dsn$",
    re.IGNORECASE,
)
# Secrets that may hide inside free text: bearer credentials, JWTs, "password=..." pairs.
_SENSITIVE_TEXT = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|secret|token|refresh|access)[\"']?\s*[:=]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;&}]+)"
        ),
        r"\1" + REDACTED,
    ),
)


def scrub(value: Any) -> Any:
    """Return `value` with secrets replaced, recursing into dicts, lists and tuples."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SENSITIVE_KEY.search(str(key)) else scrub(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        for pattern, replacement in _SENSITIVE_TEXT:
            value = pattern.sub(replacement, value)
        return value
    return value


_CONTEXT_FIELDS = (("request_id", request_id_var), ("tenant_id", tenant_id_var), ("user_id", user_id_var))


class RequestContextFilter(logging.Filter):
    """Adds `request_id`, `tenant_id` and `user_id` of the current request to every record, and
    the trace's `trace_id` and `span_id` while tracing records a span (core.tracing)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # A value passed explicitly (extra={"user_id": ...}) names the subject and wins.
        for name, var in _CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        ids = current_trace_ids()
        if ids is not None:
            record.trace_id, record.span_id = ids
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time, level, logger, message, context and extras, scrubbed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # `request` is the HttpRequest that Django attaches to its own records: never log it.
        log_data.pop("request", None)
        scrubbed: dict[str, Any] = scrub(super().process_log_record(log_data))
        return scrubbed
