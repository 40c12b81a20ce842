from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cliqserve.core"
    label = "core"
    verbose_name = "cliqserve core"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the system checks
            feature_flags,  # noqa: F401 - registers the flag conditions and the cache invalidation
            idempotency,  # noqa: F401 - connects its connection_created receiver
        )
