from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "cliqserve.backoffice"
    label = "backoffice"
    verbose_name = "Back office"
