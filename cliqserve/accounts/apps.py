from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cliqserve.accounts"
    label = "accounts"
    verbose_name = "Users and authentication"

    def ready(self) -> None:
        from . import schema  # noqa: F401 - registers the OpenAPI authentication extension
