from rest_framework.routers import SimpleRouter

from .views import BranchViewSet, DeviceViewSet, TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="tenant")
router.register("branches", BranchViewSet, basename="branch")
router.register("devices", DeviceViewSet, basename="device")

urlpatterns = router.urls
