from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "cliqserve.sales"
    label = "sales"
    verbose_name = "Sales"
