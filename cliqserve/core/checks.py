"""System checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.caches, deploy=True)
def check_shared_cache_and_broker(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: each process keeps its own cache, so throttling counts per "
            "process, and Celery tasks run inside the web request.",
            hint="Point REDIS_URL at the shared Redis in production.",
            id="cliqserve.W001",
        )
    ]
