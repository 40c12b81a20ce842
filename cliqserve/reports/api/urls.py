from django.urls import URLPattern, URLResolver, path

from .exception_views import ExceptionsReportView
from .export_views import ExportDownloadView, ExportView
from .sales_views import SalesReportView
from .stock_views import StockReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/sales/", SalesReportView.as_view(), name="report-sales"),
    # --- Exceptions report (exception_views.py) ---
    path("reports/exceptions/", ExceptionsReportView.as_view(), name="report-exceptions"),
    # --- Exports (export_views.py) ---
    path("exports/", ExportView.as_view(), name="report-export-list"),
    path("exports/<uuid:pk>/download/", ExportDownloadView.as_view(), name="report-export-download"),
    path("reports/stock/", StockReportView.as_view(), name="report-stock"),
]
