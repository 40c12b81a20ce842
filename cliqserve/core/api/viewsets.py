"""The CRUD viewset every resource uses: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from .views import PolicyViewSet


class ReadOnlyPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """List and retrieve through a selector: subclasses name `model` and implement `select()`."""

    model: ClassVar[type[models.Model]]
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no caller and so no tenant scope: describe, don't query.
            return self.model._base_manager.none()
        return self.select()

    def select(self) -> models.QuerySet[Any]:
        raise NotImplementedError


class ServiceModelViewSet(ReadOnlyPolicyViewSet):
    """List, retrieve, create, update (PUT/PATCH) and DELETE-as-deactivate.

    Subclasses name their `model` and supply `select()` (a selector call) and three hooks that
    call services: `create_object`, `update_object` and `deactivate_object`. Rows that history
    depends on are deactivated, never deleted, so DELETE answers 204 and the row stays.
    """

    def create_object(self, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_object(self, instance: Any, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def deactivate_object(self, instance: Any) -> None:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_object(dict(serializer.validated_data))
        return Response(self.get_serializer(self.reloaded(instance)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.update_object(instance, dict(serializer.validated_data))
        return Response(self.get_serializer(self.reloaded(instance)).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.deactivate_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def reloaded(self, instance: models.Model) -> models.Model:
        """The written row read back through the selector, so the answer has what a GET has."""
        return self.get_queryset().filter(pk=instance.pk).first() or instance
