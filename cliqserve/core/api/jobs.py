"""GET /api/v1/jobs/ and /api/v1/jobs/{id}/: follow a background job."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cliqserve.core.roles import TENANT_ROLES, Role

from ..models import Job
from .viewsets import ReadOnlyPolicyViewSet


class JobErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Line number in the file; the header is line 1.")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class JobProgressSerializer(serializers.Serializer[Any]):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer[Job]):
    progress = serializers.SerializerMethodField()
    errors = JobErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]  # popped by DRF

    class Meta:
        model = Job
        fields: ClassVar = [
            "id",
            "kind",
            "status",
            "progress",
            "succeeded",
            "failed",
            "errors",
            "detail",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job: Job) -> dict[str, int]:
        return {"done": job.done, "total": job.total}


class JobViewSet(ReadOnlyPolicyViewSet):
    """Jobs of the caller's tenant: admins see all; others the jobs they started."""

    model = Job
    serializer_class = JobSerializer
    policy: ClassVar = {"list": TENANT_ROLES, "retrieve": TENANT_ROLES}

    def select(self) -> QuerySet[Job]:
        jobs = Job.objects.filter(tenant=self.tenant).defer("payload")
        if self.actor.role != Role.TENANT_ADMIN:
            jobs = jobs.filter(created_by=self.actor)
        return jobs
