from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "cliqserve.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        # accounts sits below sales: it announces a user's move, sales says whether it may happen.
        from cliqserve.accounts.services import user_branch_changing
        from cliqserve.tenants.services import business_days_changed

        from .services.journal import on_business_days_changed
        from .services.shifts import refuse_move_with_open_shift

        user_branch_changing.connect(
            refuse_move_with_open_shift, dispatch_uid="sales.refuse_move_with_open_shift"
        )
        business_days_changed.connect(on_business_days_changed, dispatch_uid="sales.on_business_days_changed")
