from django.urls import path

from .sync import CatalogSyncView

urlpatterns = [
    path("sync/catalog/", CatalogSyncView.as_view(), name="sync-catalog"),
]
