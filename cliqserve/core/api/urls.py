from rest_framework.routers import SimpleRouter

from .audit import AuditEventViewSet
from .jobs import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
