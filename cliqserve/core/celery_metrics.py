"""Celery's metrics for Prometheus: what each task ended as and how long it ran (task signals),
and how many messages wait in each queue (read from the broker at scrape time).

A worker serves them on WORKER_METRICS_PORT from its main process. Prefork children run the
tasks, so with PROMETHEUS_MULTIPROC_DIR set they write their samples to files there and the
main process adds them up; without it (a solo or threads pool) the process's own registry is
served. Web processes import this module too: a task run eagerly there is counted the same way.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from celery import signals
from kombu.exceptions import OperationalError
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from celery import Celery, Task
    from celery.worker import WorkController
    from kombu import Connection
    from prometheus_client import Metric

logger = logging.getLogger("cliqserve.celery")

TASKS = Counter(
    "cliqserve_celery_tasks_total", "Celery tasks finished, by task and final state.", ["task", "state"]
)
RUNTIME = Histogram(
    "cliqserve_celery_task_runtime_seconds",
    "Time a Celery task ran, from prerun to postrun.",
    ["task"],
    # Tasks run from milliseconds (an outbox delivery) to minutes (an export; the hard limit is 300 s).
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0),
)

# Task id -> monotonic start. One process runs one task at a time per id; postrun pops it.
_started: dict[str, float] = {}


def task_started(*, task_id: str, **_: object) -> None:
    _started[task_id] = time.monotonic()


def task_finished(*, task_id: str, task: Task[Any, Any], state: str | None = None, **_: object) -> None:
    """Count the outcome (success, failure, retry ...) and observe the runtime."""
    started = _started.pop(task_id, None)
    TASKS.labels(task=task.name, state=(state or "unknown").lower()).inc()
    if started is not None:
        RUNTIME.labels(task=task.name).observe(time.monotonic() - started)


class QueueLengthCollector(Collector):
    """cliqserve_celery_queue_length per queue, and cliqserve_celery_broker_up, asked of the
    broker at each scrape: a gauge set by the worker would go stale exactly when it is stuck."""

    def __init__(self, *, app: Celery) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        lengths = GaugeMetricFamily(
            "cliqserve_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        up = GaugeMetricFamily("cliqserve_celery_broker_up", "1 when the broker answered this scrape.")
        with self.app.connection_for_read() as connection:
            transport = connection.transport
            unreachable: tuple[type[BaseException], ...] = (
                OperationalError,
                *transport.connection_errors,
                *transport.channel_errors,
            )
            try:
                # Once, not kombu's default of retrying for ever: a scrape must answer.
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
                for queue, length in self._lengths(connection):
                    lengths.add_metric([queue], length)
                up.add_metric([], 1)
            except unreachable:
                logger.warning("celery broker unreachable for queue lengths", exc_info=True)
                up.add_metric([], 0)
        yield lengths
        yield up

    def _lengths(self, connection: Connection) -> Iterator[tuple[str, int]]:
        channel: Any = connection.default_channel  # kombu's stubs leave out queue_declare
        for queue in sorted(self.app.amqp.queues):
            # A declare is a no-op on Redis (a queue is just a list) and answers its length;
            # a passive one would fail for a queue whose list is empty, hence absent.
            yield queue, int(channel.queue_declare(queue=queue).message_count)


def registry_for(*, app: Celery) -> CollectorRegistry:
    """The registry a worker serves: its queues plus every task process's samples."""
    served = CollectorRegistry()
    served.register(QueueLengthCollector(app=app))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(served)
    else:
        served.register(_ThisProcess())
    return served


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def serve(*, app: Celery, port: int, addr: str) -> None:
    start_http_server(port, addr=addr, registry=registry_for(app=app))
    logger.info("celery metrics served", extra={"port": port, "addr": addr})


def _on_worker_init(*, sender: WorkController, **_: object) -> None:
    # Django is set up by now (Celery's Django fixup runs first); the main process serves.
    from django.conf import settings

    if settings.WORKER_METRICS_PORT:
        serve(app=sender.app, port=settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR)


def _on_process_shutdown(*, pid: int | None = None, **_: object) -> None:
    # A dead child's live gauges would otherwise be reported forever (counters are kept).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())


def install() -> None:
    """Connect the signals; weak=False because these receivers live for the process."""
    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    signals.worker_init.connect(_on_worker_init, weak=False)
    signals.worker_process_shutdown.connect(_on_process_shutdown, weak=False)
