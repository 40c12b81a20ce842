"""Celery's task and queue metrics (cliqserve/core/celery_metrics.py), which the monitoring
stack's Celery dashboard and alert rules read."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import prometheus_client
import pytest
from celery import Celery
from prometheus_client import REGISTRY, CollectorRegistry

from cliqserve.core import celery_metrics


def sample(name: str, labels: dict[str, str], registry: CollectorRegistry = REGISTRY) -> float:
    return registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def app() -> Celery:
    # An app of its own on the in-memory broker, with a queue no other test shares.
    app = Celery(f"t{uuid.uuid4().hex}", broker="memory://")
    app.conf.task_default_queue = f"q-{uuid.uuid4().hex}"
    return app


def test_a_task_that_succeeds_is_counted_with_its_runtime(app):
    @app.task(name="tests.ok")
    def ok() -> int:
        return 1

    before = sample("cliqserve_celery_tasks_total", {"task": "tests.ok", "state": "success"})
    runs = sample("cliqserve_celery_task_runtime_seconds_count", {"task": "tests.ok"})

    ok.apply()

    assert sample("cliqserve_celery_tasks_total", {"task": "tests.ok", "state": "success"}) == before + 1
    assert sample("cliqserve_celery_task_runtime_seconds_count", {"task": "tests.ok"}) == runs + 1


def test_a_task_that_fails_is_counted_as_a_failure(app):
    @app.task(name="tests.broken")
    def broken() -> None:
        raise ValueError("boom")

    before = sample("cliqserve_celery_tasks_total", {"task": "tests.broken", "state": "failure"})

    broken.apply()

    assert sample("cliqserve_celery_tasks_total", {"task": "tests.broken", "state": "failure"}) == before + 1


def test_a_retry_is_counted_by_its_state_even_without_a_recorded_start():
    labels = {"task": "tests.retried", "state": "retry"}
    before = sample("cliqserve_celery_tasks_total", labels)

    task: Any = SimpleNamespace(name="tests.retried")
    celery_metrics.task_finished(task_id="never-started", task=task, state="RETRY")

    assert sample("cliqserve_celery_tasks_total", labels) == before + 1


def test_queue_length_is_read_from_the_broker_at_each_scrape(app):
    queue = app.conf.task_default_queue
    registry = CollectorRegistry()
    registry.register(celery_metrics.QueueLengthCollector(app=app))
    for _ in range(3):
        app.send_task("tests.anything")

    assert sample("cliqserve_celery_queue_length", {"queue": queue}, registry) == 3
    assert sample("cliqserve_celery_broker_up", {}, registry) == 1


def test_an_unreachable_broker_answers_the_scrape_with_broker_up_0():
    app = Celery("down", broker="redis://127.0.0.1:1/0")
    registry = CollectorRegistry()
    registry.register(celery_metrics.QueueLengthCollector(app=app))

    assert registry.get_sample_value("cliqserve_celery_broker_up") == 0
    assert registry.get_sample_value("cliqserve_celery_queue_length", {"queue": "celery"}) is None


def test_the_served_registry_has_the_process_metrics_and_the_queues(app, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    served = celery_metrics.registry_for(app=app)
    names = {metric.name for metric in served.collect()}

    assert {"cliqserve_celery_tasks", "cliqserve_celery_queue_length", "python_info"} <= names


def test_in_multiprocess_mode_the_served_registry_reads_the_shared_directory(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    served = celery_metrics.registry_for(app=app)
    names = {metric.name for metric in served.collect()}

    # Nothing written there yet: only the queues, not this process's own registry.
    assert "cliqserve_celery_queue_length" in names
    assert "python_info" not in names


def test_a_worker_serves_only_when_a_port_is_configured(app, settings, monkeypatch):
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(celery_metrics, "serve", lambda **kwargs: served.append(kwargs))

    worker: Any = SimpleNamespace(app=app)
    settings.WORKER_METRICS_PORT = 0
    celery_metrics._on_worker_init(sender=worker)
    settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDR = 9808, "0.0.0.0"  # noqa: S104
    celery_metrics._on_worker_init(sender=worker)

    assert served == [{"app": app, "port": 9808, "addr": "0.0.0.0"}]  # noqa: S104


def test_a_dead_child_is_marked_in_multiprocess_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")

    celery_metrics._on_process_shutdown(pid=4242)

    assert not (tmp_path / "gauge_livesum_4242.db").exists()


def test_serve_answers_prometheus_on_the_port(app, monkeypatch):
    import urllib.request

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    started: list[Any] = []
    monkeypatch.setattr(
        "cliqserve.core.celery_metrics.start_http_server",
        lambda *a, **k: started.append(prometheus_client.start_http_server(*a, **k)),
    )

    celery_metrics.serve(app=app, port=0, addr="127.0.0.1")
    server, thread = started[0]
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        body = urllib.request.urlopen(url, timeout=5).read().decode()
    finally:
        server.shutdown()
        thread.join(timeout=5)

    assert "cliqserve_celery_queue_length" in body


def test_a_dead_child_is_left_alone_outside_multiprocess_mode(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    celery_metrics._on_process_shutdown(pid=4242)  # nothing to mark, nothing raised
