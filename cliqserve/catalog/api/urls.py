from rest_framework.routers import SimpleRouter

from .views import CategoryViewSet, CustomFieldViewSet, ProductViewSet, TaxRateViewSet

router = SimpleRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("tax-rates", TaxRateViewSet, basename="tax-rate")
router.register("products", ProductViewSet, basename="product")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")

urlpatterns = router.urls
