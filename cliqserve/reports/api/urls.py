from django.urls import URLPattern, URLResolver, path

from .export_views import ExportDownloadView, ExportView
from .sales_views import SalesReportView
from .stock_views import StockReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/sales/", SalesReportView.as_view(), name="report-sales"),
    # --- Exports (export_views.py) ---
    path("exports/", ExportView.as_view(), name="report-export-list"),
    path("exports/<uuid:pk>/download/", ExportDownloadView.as_view(), name="report-export-download"),
    path("reports/stock/", StockReportView.as_view(), name="report-stock"),
]
