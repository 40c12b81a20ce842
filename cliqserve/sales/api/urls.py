from rest_framework.routers import SimpleRouter

from .shift_views import ShiftViewSet
from .views import SaleViewSet

router = SimpleRouter()
router.register("sales", SaleViewSet, basename="sale")
router.register("shifts", ShiftViewSet, basename="shift")

urlpatterns = router.urls
