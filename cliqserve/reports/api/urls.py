from django.urls import URLPattern, URLResolver, path

from .sales_views import SalesReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/sales/", SalesReportView.as_view(), name="report-sales"),
]
