"""OpenTelemetry tracing (issue 13, item 3): off by default; on, a request's spans reach the OTLP
endpoint and the request's log line carries the same trace id, so logs and traces link.

The traced process is a real one (a subprocess loading config/wsgi.py as gunicorn does), and the
endpoint a real HTTP listener decoding OTLP: a tracer provider is set once per process, so it
must not be set in the test runner's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from cliqserve.core.tracing import configure_tracing, current_trace_ids, tracing_wanted

ROOT = Path(__file__).resolve().parents[3]

# Loads the WSGI application as a gunicorn worker does, serves one request, then flushes.
SERVE_ONE_REQUEST = """
from wsgiref.util import setup_testing_defaults
from opentelemetry import trace
from config.wsgi import application
environ = {}
setup_testing_defaults(environ)
environ["PATH_INFO"] = "/api/v1/auth/me/"  # 401: logged at INFO, and no database needed
statuses = []
b"".join(application(environ, lambda status, headers: statuses.append(status)))
trace.get_tracer_provider().shutdown()
print("STATUS", statuses[0])
"""


class _CollectorServer(ThreadingHTTPServer):
    """An OTLP/HTTP endpoint that keeps what it was sent: (path, decoded export request)."""

    received: list[tuple[str, ExportTraceServiceRequest]]


class _Collector(BaseHTTPRequestHandler):
    server: _CollectorServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.received.append((self.path, request))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass  # quiet


@pytest.fixture
def collector() -> Iterator[_CollectorServer]:
    server = _CollectorServer(("127.0.0.1", 0), _Collector)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _traced_process(endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTEL_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "cliqserve-probe",
    }
    return subprocess.run(
        [sys.executable, "-c", SERVE_ONE_REQUEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_traced_request_reaches_the_endpoint_and_its_log_line_names_the_trace(collector):
    host, port = collector.server_address[:2]

    result = _traced_process(f"http://{host}:{port}")

    assert result.returncode == 0, result.stderr
    assert "STATUS 401 Unauthorized" in result.stdout
    [(path, export)] = collector.received
    assert path == "/v1/traces"
    [resource_spans] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
    spans = [span for scope in resource_spans.scope_spans for span in scope.spans]
    assert service == "cliqserve-probe"
    assert [span.name for span in spans] == ["GET api/v1/auth/me/"]
    request_lines = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith("{") and json.loads(line).get("logger") == "cliqserve.request"
    ]
    [line] = request_lines
    assert line["trace_id"] == spans[0].trace_id.hex()
    assert line["span_id"] == spans[0].span_id.hex()


def test_tracing_is_off_unless_an_endpoint_is_named(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert not tracing_wanted()
    assert configure_tracing(service_name="cliqserve-web") is False
    # Nothing was set up: this process still has the API's do-nothing provider.
    assert not type(trace.get_tracer_provider()).__module__.startswith("opentelemetry.sdk")

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing_wanted()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not tracing_wanted()


def test_outside_a_span_log_lines_carry_no_trace_id():
    assert current_trace_ids() is None
