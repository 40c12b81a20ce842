"""The published OpenAPI document, and Celery's wiring."""

from __future__ import annotations

import pytest
import yaml
from celery import shared_task
from django.db import transaction
from openapi_spec_validator import validate

from cliqserve.core.tasks import enqueue_on_commit
from config.celery import app

executed: list[str] = []


@shared_task
def record_execution(label: str) -> None:
    executed.append(label)


def test_schema_is_valid_openapi_3(api_client):
    response = api_client.get("/api/v1/schema/")

    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("path", "names_the_schema"),
    # Swagger UI's page loads its init script, which names the schema; Redoc's page names it.
    [("/api/v1/docs/", "/api/v1/docs/?script"), ("/api/v1/redoc/", "/api/v1/redoc/")],
)
def test_interactive_docs_are_served(api_client, path, names_the_schema):
    response = api_client.get(path)

    assert response.status_code == 200
    assert b"/api/v1/schema/" in api_client.get(names_the_schema).content


def test_celery_accepts_json_only_and_limits_task_time():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


@transaction.atomic
def _dispatch_then_fail() -> None:
    enqueue_on_commit(record_execution, "rolled back")
    raise RuntimeError("abort")


@pytest.mark.django_db(transaction=True)
def test_task_dispatched_on_commit_runs_only_when_the_transaction_commits():
    executed.clear()

    with transaction.atomic():
        enqueue_on_commit(record_execution, "committed")
        assert executed == []
    with pytest.raises(RuntimeError, match="abort"):
        _dispatch_then_fail()

    assert executed == ["committed"]


def test_schema_documents_the_error_responses_each_operation_can_give():
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator(urlconf="cliqserve.core.tests.urls").get_schema(request=None, public=True)

    private = document["paths"]["/api/v1/_test/private/"]["get"]["responses"]
    echo = document["paths"]["/api/v1/_test/echo/"]["post"]["responses"]
    # Any operation: a refused token, a request line or headers over gunicorn's limits, throttling.
    assert set(private) == {"200", "401", "403", "414", "429", "431"}
    # An anonymous write still meets a refused token (401), a conflict, or a body too large.
    assert set(echo) == {"200", "400", "401", "409", "413", "414", "429", "431"}
    error_ref = echo["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref == "#/components/schemas/Error"
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"errors", "request_id"}


def test_the_sign_in_routes_document_their_401_and_lists_their_400():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    for route in ("/api/v1/auth/login/", "/api/v1/auth/refresh/", "/api/v1/auth/logout/"):
        assert "401" in paths[route]["post"]["responses"], route
    branches = paths["/api/v1/branches/"]["get"]
    assert "400" in branches["responses"]  # an unusable cursor or page size
    page_size = next(p for p in branches["parameters"] if p["name"] == "page_size")
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 200)


def test_sentry_is_started_without_personal_data():
    import sentry_sdk

    from cliqserve.core.sentry import init_sentry

    init_sentry(dsn="https://public@sentry.invalid/1", environment="test", traces_sample_rate=0.0)
    try:
        options = sentry_sdk.get_client().options
        assert options["send_default_pii"] is False
        assert options["include_local_variables"] is False
        assert options["environment"] == "test"
    finally:
        sentry_sdk.init(dsn=None)


def test_every_beat_entry_names_a_registered_task(settings):
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled
    assert scheduled <= set(app.tasks)
