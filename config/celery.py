"""The Celery application. Every CELERY_* Django setting configures it (see settings/base.py)."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from cliqserve.core.celery_metrics import install as install_task_metrics
from cliqserve.core.tracing import configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

# Services send tasks with cliqserve.core.tasks.enqueue_on_commit, never before their commit.
app = Celery("cliqserve")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task outcomes, runtimes and queue lengths for Prometheus (deploy/monitoring/).
install_task_metrics()


@worker_process_init.connect(weak=False)
def _trace_worker_process(**_: Any) -> None:
    """Tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) in each prefork child, after its fork."""
    configure_tracing(service_name="cliqserve-worker")
