from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "cliqserve.inventory"
    label = "inventory"
    verbose_name = "Inventory"
