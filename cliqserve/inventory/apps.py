from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "cliqserve.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from cliqserve.core import outbox

        from . import services

        # Every process (web, worker) must know how to deliver inventory's outbox messages.
        outbox.register(services.LOW_STOCK_MAIL, services.low_stock_mail_send)
