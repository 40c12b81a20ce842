"""OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/OPERATIONS.md).

On, each process exports its spans over OTLP/HTTP to that endpoint (a collector, Tempo, Jaeger
...): one span per request (Django), per SQL statement (psycopg) and per Celery task, with the
trace carried from the web request into the task it enqueues. The log lines carry the span's
`trace_id` and `span_id` (core.logging.RequestContextFilter), so Loki and the trace view link.

The SDK's batch processor runs a thread, which a fork does not copy: configure each process
after it forks — gunicorn loads config/wsgi.py in each worker (no preload_app), and a Celery
worker's children call it from `worker_process_init`. The standard OTEL_* variables
(OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER ...) apply as documented
by OpenTelemetry.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# Only the API at import time (the log filter asks it for the current span, a no-op while
# tracing is off); the SDK and instrumentations load when tracing is switched on.
from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor


def tracing_wanted() -> bool:
    """An endpoint is named and the SDK is not switched off (OpenTelemetry's own variables)."""
    disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()) and not disabled


def configure_tracing(*, service_name: str, processor: SpanProcessor | None = None) -> bool:
    """Trace this process when tracing is wanted (or a `processor` is given, as tests do);
    whether it now is. `service_name` is the default for OTEL_SERVICE_NAME. Call it once per
    process, before Django loads its middleware (the instrumentation adds one)."""
    if processor is None and not tracing_wanted():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor or BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    # No SQL commenter: the statements stay as written, so pg_stat_statements groups them.
    PsycopgInstrumentor().instrument(enable_commenter=False)
    CeleryInstrumentor().instrument()
    return True


def current_trace_ids() -> tuple[str, str] | None:
    """The current span's trace and span ids as hex, or None outside a recorded span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)
