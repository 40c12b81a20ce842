from django.urls import path

from .sync import CatalogSyncViewSet

urlpatterns = [
    path("sync/catalog/", CatalogSyncViewSet.as_view({"get": "list"}), name="sync-catalog"),
]
