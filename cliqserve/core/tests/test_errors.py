"""Every failure answers in the contract's error format, with the request id."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.urls("cliqserve.core.tests.urls"), pytest.mark.django_db]

ECHO = "/api/v1/_test/echo/"
VALID_LINE = {"product": "7b0e1f5e-4a63-4a4e-9a65-55b7a2a4a8a1", "quantity": "1.000"}


def assert_contract_error(response, *, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors", "request_id"}
    assert body["request_id"] == response["X-Request-ID"]
    assert body["errors"], "at least one error object"
    for error in body["errors"]:
        assert_error_object(error, status=status, code=code)
    return body


def assert_error_object(error: dict, *, status: int, code: str) -> None:
    assert error["status"] == str(status)
    assert error["code"] == code
    assert error["detail"]
    assert "Traceback" not in error["detail"]


def test_validation_gives_one_error_per_field_with_json_pointers(api_client):
    payload = {
        "note": "far too long",
        "lines": [VALID_LINE, {"product": "not-a-uuid", "quantity": "-1"}],
    }

    body = assert_contract_error(api_client.post(ECHO, payload), status=400, code="validation_error")

    by_pointer = {error["source"]["pointer"]: error for error in body["errors"]}
    assert set(by_pointer) == {"/note", "/lines/1/product", "/lines/1/quantity"}
    assert by_pointer["/note"]["meta"]["reasons"] == ["max_length"]


def test_missing_fields_are_reported_each(api_client):
    body = assert_contract_error(api_client.post(ECHO, {}), status=400, code="validation_error")

    assert sorted(error["source"]["pointer"] for error in body["errors"]) == ["/lines", "/note"]


def test_object_level_validation_error_has_no_pointer(api_client):
    body = assert_contract_error(
        api_client.post(ECHO, {"note": "whole", "lines": [VALID_LINE]}), status=400, code="validation_error"
    )

    assert body["errors"][0]["detail"] == "The order as a whole is wrong."
    assert "source" not in body["errors"][0]


def test_valid_request_passes(api_client):
    response = api_client.post(ECHO, {"note": "ok", "lines": [VALID_LINE]})

    assert response.status_code == 201


def test_malformed_json_is_invalid_request(api_client):
    response = api_client.post(ECHO, data='{"note": ', content_type="application/json")

    assert_contract_error(response, status=400, code="invalid_request")


def test_wrong_content_type_is_invalid_request(api_client):
    response = api_client.post(ECHO, data="note=hi", content_type="application/x-www-form-urlencoded")

    assert_contract_error(response, status=400, code="invalid_request")


def test_anonymous_call_is_401_with_bearer_challenge(api_client):
    response = api_client.get("/api/v1/_test/private/")

    assert_contract_error(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_authentication_failed(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    assert_contract_error(api_client.get("/api/v1/_test/private/"), status=401, code="authentication_failed")


def test_permission_denied_is_403(api_client, django_user_model):
    api_client.force_authenticate(django_user_model(pk=1))

    assert_contract_error(api_client.get("/api/v1/_test/forbidden/"), status=403, code="permission_denied")


def test_wrong_method_is_405_with_allow_header(api_client):
    response = api_client.delete(ECHO)

    assert_contract_error(response, status=405, code="method_not_allowed")
    assert "POST" in response["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/", "/api", "/api/v1/_test/echo"])
def test_unknown_api_paths_are_404(api_client, path):
    assert_contract_error(api_client.get(path), status=404, code="not_found")


def test_missing_trailing_slash_gets_a_hint(api_client):
    body = assert_contract_error(api_client.get("/api/v1/_test/echo"), status=404, code="not_found")

    assert "/api/v1/_test/echo/" in body["errors"][0]["detail"]


@override_settings(DEBUG=True)
def test_unknown_api_path_is_json_even_with_debug_on(api_client):
    assert_contract_error(api_client.get("/api/v1/nope/"), status=404, code="not_found")


def test_unknown_path_outside_api_is_json_404(api_client):
    assert_contract_error(api_client.get("/no-such-page"), status=404, code="not_found")


def test_throttled_call_is_429_with_retry_after(api_client):
    for _ in range(2):
        assert api_client.get("/api/v1/_test/throttled/").status_code == 200

    response = api_client.get("/api/v1/_test/throttled/")

    assert_contract_error(response, status=429, code="rate_limit_exceeded")
    assert int(response["Retry-After"]) >= 1


def test_domain_error_keeps_its_code_and_meta(api_client):
    body = assert_contract_error(api_client.post("/api/v1/_test/conflict/"), status=409, code="conflict")

    assert body["errors"][0]["meta"] == {"status": "sent"}


@pytest.mark.parametrize("debug", [False, True])
def test_unhandled_error_is_500_without_traceback_and_logged_with_request_id(api_client, json_logs, debug):
    with override_settings(DEBUG=debug):
        response = api_client.post("/api/v1/_test/boom/", {}, HTTP_X_REQUEST_ID="req-500-check")

    body = assert_contract_error(response, status=500, code="internal_server_error")
    assert "RuntimeError" not in response.content.decode()
    assert body["request_id"] == "req-500-check"
    [logged] = [r for r in json_logs.records if r["logger"] == "cliqserve.errors"]
    assert logged["request_id"] == "req-500-check"
    assert "RuntimeError" in logged["exc_info"]


def test_accept_header_we_cannot_honour_still_gets_json(api_client):
    response = api_client.post(ECHO, {}, HTTP_ACCEPT="text/html")

    assert_contract_error(response, status=400, code="validation_error")


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        ("handler400", 400, "invalid_request"),
        ("handler403", 403, "permission_denied"),
        ("handler500", 500, "internal_server_error"),
    ],
)
def test_django_level_handlers_answer_in_the_contract_format(rf, handler, status, code):
    import json

    from cliqserve.core import errors

    view = getattr(errors, handler)
    response = view(rf.get("/admin/x")) if handler == "handler500" else view(rf.get("/admin/x"), None)

    assert response.status_code == status
    assert json.loads(response.content)["errors"][0]["code"] == code
