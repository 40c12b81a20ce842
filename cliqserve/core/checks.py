"""System checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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


@register()
def check_flag_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every declared feature flag is named module.feature.action and fits FlagState.name."""
    from .feature_flags import FLAG_NAME_PATTERN, declared_flags

    return [
        Error(
            f"Feature flag {name!r} is not named module.feature.action (lower case, at most 64 characters).",
            hint="Rename it in settings.FLAGS; docs/FLAGS.md explains the scheme.",
            id="cliqserve.E001",
        )
        for name in declared_flags()
        if len(name) > 64 or not re.fullmatch(FLAG_NAME_PATTERN, name)
    ]
