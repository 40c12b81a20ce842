"""The Celery application. Every CELERY_* Django setting configures it (see settings/base.py)."""

import os

from celery import Celery

from cliqserve.core.celery_metrics import install as install_task_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

# Services send tasks with cliqserve.core.tasks.enqueue_on_commit, never before their commit.
app = Celery("cliqserve")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task outcomes, runtimes and queue lengths for Prometheus (deploy/monitoring/).
install_task_metrics()
