from django.urls import path
from rest_framework.routers import SimpleRouter

from .refund_views import SaleRefundViewSet, SaleVoidViewSet
from .review_views import SaleReviewViewSet
from .shift_views import ShiftViewSet
from .sync_views import SalesSyncView
from .views import SaleViewSet

router = SimpleRouter()
router.register("sales", SaleViewSet, basename="sale")
router.register("shifts", ShiftViewSet, basename="shift")

urlpatterns = [
    *router.urls,
    path(
        "sales/<uuid:sale_id>/refunds/",
        SaleRefundViewSet.as_view({"get": "list", "post": "create"}),
        name="sale-refunds",
    ),
    path("sales/<uuid:sale_id>/void/", SaleVoidViewSet.as_view({"post": "void"}), name="sale-void"),
    path("sales/<uuid:sale_id>/review/", SaleReviewViewSet.as_view({"post": "review"}), name="sale-review"),
    path("sync/sales/", SalesSyncView.as_view(), name="sales-sync"),
]
