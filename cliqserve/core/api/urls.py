from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .audit import AuditEventViewSet
from .flags import FlagsView
from .jobs import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns: list[URLPattern | URLResolver] = [
    path("flags/", FlagsView.as_view(), name="flags"),
    *router.urls,
]
