from django.urls import path

from .csv_views import ProductExportView, ProductImportView

urlpatterns = [
    path("imports/products/", ProductImportView.as_view(), name="product-import"),
    path("exports/products/", ProductExportView.as_view(), name="product-export"),
]
