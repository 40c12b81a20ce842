from django.urls import URLPattern, URLResolver, path

from .export_views import ExportDownloadView, ExportView

urlpatterns: list[URLPattern | URLResolver] = [
    # --- Exports (export_views.py) ---
    path("exports/", ExportView.as_view(), name="report-export-list"),
    path("exports/<uuid:pk>/download/", ExportDownloadView.as_view(), name="report-export-download"),
]
