"""The edges of the API answer in the contract's error format: unknown routes, CSRF, cursors,
page sizes, bodies too deep or too large (ADR 0005). These use the project's own URLs."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from cliqserve.core.errors import csrf_failure, handler400
from cliqserve.core.tests.test_errors import assert_contract_error
from cliqserve.tenants.models import Branch
from conftest import client_for

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


@pytest.fixture
def csrf_client() -> Client:
    """A client that, like a browser-less attacker or a real device, gets CSRF checks applied
    (Django's test client skips them unless asked)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/stock-levels/abc/"),
        ("delete", "/api/v1/branches/%C2%84/"),
        ("post", "/api/v1/no-such-thing/"),
        ("patch", "/api/nothing"),
        ("get", "/api/v1/branches/not-an-id/"),
    ],
)
def test_an_unknown_api_route_is_404_for_every_method(csrf_client, method, path):
    if method == "get":
        response = csrf_client.get(path)
    else:
        response = getattr(csrf_client, method)(path, data="{}", content_type="application/json")

    assert_contract_error(response, status=404, code="not_found")


def test_a_token_authenticated_write_never_meets_csrf(csrf_client, world):
    from cliqserve.accounts.auth import issue_tokens

    access = issue_tokens(user=world.a.tenant_admin, device=None).access
    csrf_client.cookies["sessionid"] = "a-stray-browser-session"
    response = csrf_client.post(
        reverse("branch-list"),
        data=json.dumps({"name": "Harbour", "code": "HB1", "timezone": "UTC"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )

    assert response.status_code == 201, response.content


def test_a_wrong_method_is_405_in_the_error_format(world):
    response = client_for(world.a.tenant_admin).put(reverse("branch-list"), {})

    assert_contract_error(response, status=405, code="method_not_allowed")


def test_a_csrf_failure_under_api_is_json_and_elsewhere_django_s_page():
    factory = RequestFactory()

    api = csrf_failure(factory.post("/api/v1/anything/"), reason="Referer checking failed")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/json"
    assert json.loads(api.content)["errors"][0]["code"] == "permission_denied"

    admin = csrf_failure(factory.post("/admin/login/"), reason="Referer checking failed")
    assert admin.status_code == 403
    assert admin["Content-Type"].startswith("text/html")


def test_the_admin_keeps_its_csrf_protection(csrf_client):
    response = csrf_client.post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"cursor": "garbage"}, "/cursor"),
        ({"cursor": "cD1ub3QtYS1kYXRl"}, "/cursor"),  # base64 of "p=not-a-date": decodes, unusable
        ({"page_size": "0"}, "/page_size"),
        ({"page_size": "-5"}, "/page_size"),
        ({"page_size": "many"}, "/page_size"),
        ({"page_size": "201"}, "/page_size"),
        ({"page_size": "\u0661\u0660"}, "/page_size"),  # Arabic-Indic digits: isdigit(), not ASCII
    ],
)
def test_an_unusable_cursor_or_page_size_is_400_naming_the_parameter(world, params, pointer):
    response = client_for(world.a.tenant_admin).get(reverse("branch-list"), params)

    body = assert_contract_error(response, status=400, code="validation_error")
    assert [error["source"]["pointer"] for error in body["errors"]] == [pointer]


def test_a_usable_page_size_and_cursor_still_page(world):
    client = client_for(world.a.tenant_admin)
    first = client.get(reverse("branch-list"), {"page_size": 1}).json()

    assert len(first["results"]) == 1
    assert first["next"], "the world has more than one branch"
    assert client.get(first["next"]).status_code == 200


def test_deeply_nested_json_is_400_even_anonymously():
    body = '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = APIClient().post(LOGIN, data=body, content_type="application/json")

    assert_contract_error(response, status=400, code="invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a@b.test", "password": "x", "\\ud800": 1}',  # a lone surrogate in a key
        '{"email": "a@b.test\\udfff", "password": "x"}',  # and in a value
    ],
)
def test_a_lone_surrogate_anywhere_in_json_is_400_even_anonymously(body):
    response = APIClient().post(LOGIN, data=body, content_type="application/json")

    assert_contract_error(response, status=400, code="invalid_request")


def test_a_paired_surrogate_escape_is_ordinary_text(world):
    before = Branch.objects.unscoped().count()
    body = '{"name": "Caf\\u00e9 \\ud83d\\ude00", "code": "EMOJI", "timezone": "UTC"}'

    response = client_for(world.a.tenant_admin).post(
        reverse("branch-list"), data=body, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Caf\u00e9 \U0001f600"
    assert Branch.objects.unscoped().count() == before + 1


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None)
def test_with_no_upload_limit_a_large_json_body_is_read(world):
    payload = {"name": "x" * 3_000, "code": "BIG", "timezone": "UTC"}

    response = client_for(world.a.tenant_admin).post(reverse("branch-list"), payload, format="json")

    # Read whole and judged by the serializer (the name is too long), not refused for its size.
    assert_contract_error(response, status=400, code="validation_error")
    assert response.json()["errors"][0]["source"] == {"pointer": "/name"}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_json_body_over_the_upload_limit_is_413_and_changes_nothing(world):
    before = Branch.objects.unscoped().count()
    payload = {"name": "x" * 3_000, "code": "BIG", "timezone": "UTC"}

    response = client_for(world.a.tenant_admin).post(reverse("branch-list"), payload, format="json")

    assert_contract_error(response, status=413, code="request_too_large")
    assert Branch.objects.unscoped().count() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_a_form_body_over_the_upload_limit_is_413(world):
    response = client_for(world.a.tenant_admin).post(
        reverse("branch-list"), data="name=" + "x" * 3_000, content_type="application/x-www-form-urlencoded"
    )

    # A form body is not a media type the API takes: refused before its size matters.
    assert_contract_error(response, status=400, code="invalid_request")


def test_django_s_own_request_too_big_is_413_in_the_error_format():
    from django.core.exceptions import RequestDataTooBig

    response = handler400(RequestFactory().post("/api/v1/x/"), RequestDataTooBig("too big"))

    assert response.status_code == 413
    assert json.loads(response.content)["errors"][0]["code"] == "request_too_large"


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_a_wrong_method_on_the_schema_and_its_viewers_is_json(csrf_client, path):
    response = csrf_client.put(path)

    assert_contract_error(response, status=405, code="method_not_allowed")
    assert csrf_client.get(path).status_code == 200
