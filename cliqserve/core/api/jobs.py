"""GET /api/v1/jobs/ and /api/v1/jobs/{id}/: follow a background job."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest
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


# A kind of job whose finished jobs have a file to download registers how to link to them (the
# reports app, its exports: cliqserve/reports/apps.py); core imports no domain. A hook takes the
# jobs of one page (any kinds) and answers {job id: url} in one go, so a list costs one query.
DownloadLinks = Callable[[Sequence[Job], HttpRequest | None], dict[uuid.UUID, str]]
_download_links: dict[str, DownloadLinks] = {}


def register_download_links(kind: str, links: DownloadLinks) -> None:
    _download_links[kind] = links


def download_links(jobs: Sequence[Job], request: HttpRequest | None) -> dict[uuid.UUID, str]:
    links: dict[uuid.UUID, str] = {}
    for kind, hook in _download_links.items():
        of_kind = [job for job in jobs if job.kind == kind]
        if of_kind:
            links.update(hook(of_kind, request))
    return links


class JobListSerializer(serializers.ListSerializer[Job]):
    def to_representation(self, data: Any) -> list[Any]:
        jobs = list(data.all() if hasattr(data, "all") else data)
        self._context = {**self._context, "download_links": download_links(jobs, self.context.get("request"))}
        return super().to_representation(jobs)


class JobSerializer(serializers.ModelSerializer[Job]):
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="For a succeeded export job: where to download its file, valid for a limited time "
        "(fetch the job again for a fresh link). Null for every other job."
    )
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
            "download_url",
        ]
        read_only_fields = fields
        list_serializer_class = JobListSerializer

    @extend_schema_field(JobProgressSerializer)
    def get_progress(self, job: Job) -> dict[str, int]:
        return {"done": job.done, "total": job.total}

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, job: Job) -> str | None:
        links = self.context.get("download_links")
        if links is None:
            links = download_links([job], self.context.get("request"))
        return links.get(job.pk)


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
