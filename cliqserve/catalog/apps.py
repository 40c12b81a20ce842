from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "cliqserve.catalog"
    label = "catalog"
    verbose_name = "Catalog"
