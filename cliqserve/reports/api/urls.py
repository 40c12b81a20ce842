from django.urls import URLPattern, URLResolver, path

from .stock_views import StockReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/stock/", StockReportView.as_view(), name="report-stock"),
]
