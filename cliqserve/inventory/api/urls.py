from rest_framework.routers import SimpleRouter

from .views import (
    StockAdjustmentViewSet,
    StockLevelViewSet,
    StockMovementViewSet,
    StockReceiptViewSet,
    StockTransferViewSet,
)

router = SimpleRouter()
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("stock-movements", StockMovementViewSet, basename="stock-movement")
router.register("stock-receipts", StockReceiptViewSet, basename="stock-receipt")
router.register("stock-adjustments", StockAdjustmentViewSet, basename="stock-adjustment")
router.register("stock-transfers", StockTransferViewSet, basename="stock-transfer")

urlpatterns = router.urls
