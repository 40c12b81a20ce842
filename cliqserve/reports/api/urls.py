from django.urls import URLPattern, URLResolver, path

from .exception_views import ExceptionsReportView

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/exceptions/", ExceptionsReportView.as_view(), name="report-exceptions"),
]
