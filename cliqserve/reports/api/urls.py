from django.urls import URLPattern, URLResolver, path

from .sales_views import SalesReportView
from .stock_views import StockReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/sales/", SalesReportView.as_view(), name="report-sales"),
    path("reports/stock/", StockReportView.as_view(), name="report-stock"),
]
