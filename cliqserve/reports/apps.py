from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cliqserve.reports"
    label = "reports"
    verbose_name = "Reports"
