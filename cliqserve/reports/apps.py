from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cliqserve.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The jobs endpoint (core) links a finished export job to its file through this hook.
        from cliqserve.core.api.jobs import register_download_links

        from .exports import REPORT_EXPORT, export_download_links

        register_download_links(REPORT_EXPORT, export_download_links)
