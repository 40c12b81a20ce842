"""Language and time-zone preferences (PATCH /auth/me/) and the language an answer is in:
the user's preference, then Accept-Language, then the tenant's default, then English."""

from __future__ import annotations

import datetime

import pytest

from conftest import client_for

ME = "/api/v1/auth/me/"
USERS = "/api/v1/users/"
REQUIRED = {
    "en": "This field is required.",
    "es": "Este campo es requerido.",
    "fr": "Ce champ est obligatoire.",
}


def required_detail(client, **headers) -> tuple[str, str]:
    """POST an empty user: a validation error; its detail and the answer's Content-Language."""
    response = client.post(USERS, {}, format="json", **headers)
    assert response.status_code == 400, response.content
    error = next(e for e in response.json()["errors"] if e["source"]["pointer"] == "/email")
    assert error["code"] == "validation_error"
    assert "Accept-Language" in response["Vary"]
    return error["detail"], response["Content-Language"]


@pytest.mark.parametrize("language", ["es", "fr"])
def test_accept_language_translates_validation_errors(world, language):
    client = client_for(world.a.tenant_admin)

    assert required_detail(client, HTTP_ACCEPT_LANGUAGE=f"{language}-XX,en;q=0.5") == (
        REQUIRED[language],
        language,
    )


def test_with_no_preference_no_header_and_an_english_tenant_the_answer_is_english(world):
    assert required_detail(client_for(world.a.tenant_admin)) == (REQUIRED["en"], "en")


def test_an_unsupported_header_falls_back_to_the_tenant_default(world):
    world.a.tenant.default_language = "fr"
    world.a.tenant.save()

    client = client_for(world.a.tenant_admin)

    assert required_detail(client, HTTP_ACCEPT_LANGUAGE="de, ja;q=0.8") == (REQUIRED["fr"], "fr")
    assert required_detail(client) == (REQUIRED["fr"], "fr")
    assert required_detail(client, HTTP_ACCEPT_LANGUAGE="es") == (REQUIRED["es"], "es"), "header > tenant"


@pytest.mark.parametrize("language", ["es", "fr"])
def test_the_users_preference_wins_over_the_header(world, language):
    client = client_for(world.a.tenant_admin)
    assert client.patch(ME, {"language": language}, format="json").status_code == 200

    assert required_detail(client, HTTP_ACCEPT_LANGUAGE="en") == (REQUIRED[language], language)
    assert required_detail(client) == (REQUIRED[language], language)


def test_an_api_key_answers_in_the_header_then_the_tenant_default(world):
    from cliqserve.accounts.models import ApiKey
    from cliqserve.accounts.services import api_key_create

    world.a.tenant.default_language = "es"
    world.a.tenant.save()
    secret = api_key_create(
        tenant=world.a.tenant, actor=world.a.tenant_admin, name="shop", scopes=[ApiKey.Scope.values[0]]
    ).key
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    assert client.get(ME)["Content-Language"] == "es"
    assert client.get(ME, HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "fr"


def test_anonymous_errors_follow_the_header(db, api_client):
    response = api_client.post("/api/v1/auth/login/", {}, format="json", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert REQUIRED["fr"] in {e["detail"] for e in response.json()["errors"]}


def test_me_answers_and_sets_the_preferences(world):
    client = client_for(world.a.cashier)
    assert client.get(ME).json() | {"language": "", "timezone": ""} == client.get(ME).json()

    response = client.patch(ME, {"language": "es", "timezone": "America/Mexico_City"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["language"], response.json()["timezone"]) == ("es", "America/Mexico_City")
    world.a.cashier.refresh_from_db()
    assert (world.a.cashier.language, world.a.cashier.timezone) == ("es", "America/Mexico_City")
    cleared = client.patch(ME, {"language": "", "timezone": ""}, format="json").json()
    assert (cleared["language"], cleared["timezone"]) == ("", "")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"language": "de", "timezone": "Europe/Paris"}, "/language"),
        ({"language": "fr", "timezone": "Mars/Olympus_Mons"}, "/timezone"),
        ({"timezone": "utc+2"}, "/timezone"),
        ({"role": "tenant_admin"}, "/role"),
    ],
)
def test_bad_preferences_are_400_and_change_nothing(world, body, pointer):
    client = client_for(world.a.cashier)

    response = client.patch(ME, body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert pointer in {e["source"]["pointer"] for e in errors}
    assert {e["status"] for e in errors} == {"400"}
    assert response.json()["request_id"]
    world.a.cashier.refresh_from_db()
    assert (world.a.cashier.language, world.a.cashier.timezone, world.a.cashier.role) == ("", "", "cashier")


def test_an_api_key_has_no_me_to_patch(world):
    from cliqserve.accounts.models import ApiKey
    from cliqserve.accounts.services import api_key_create

    secret = api_key_create(
        tenant=world.a.tenant, actor=world.a.tenant_admin, name="shop", scopes=[ApiKey.Scope.values[0]]
    ).key
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    assert client.patch(ME, {"language": "es"}, format="json").status_code == 403


@pytest.mark.parametrize(("language", "zone"), [("es", "America/Mexico_City"), ("fr", "Asia/Tokyo")])
def test_api_timestamps_stay_utc_whatever_the_language_and_zone(world, language, zone):
    client = client_for(world.a.tenant_admin)
    client.patch(ME, {"language": language, "timezone": zone}, format="json")

    body = client.get(f"{USERS}{world.a.cashier.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()

    for name in ("created_at", "updated_at"):
        stamp = datetime.datetime.fromisoformat(body[name])
        assert stamp.utcoffset() == datetime.timedelta(0), body[name]
        assert body[name].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "Mars/Olympus is not an IANA time zone."),
        ("es", "Mars/Olympus no es una zona horaria IANA."),
        ("fr", "Mars/Olympus n'est pas un fuseau horaire IANA."),
    ],
)
def test_our_own_messages_come_from_the_catalogues(world, language, detail):
    client = client_for(world.a.cashier)

    response = client.patch(ME, {"timezone": "Mars/Olympus"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    assert response.json()["errors"][0]["detail"] == detail


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("es", "Los gerentes de sucursal solo gestionan al personal de su propia sucursal."),
        ("fr", "Les gérants de magasin ne gèrent que le personnel de leur propre magasin."),
    ],
)
def test_a_service_refusal_is_translated_by_the_users_preference(world, language, detail):
    world.a.branch_manager.language = language
    world.a.branch_manager.save()
    client = client_for(world.a.branch_manager)

    response = client.post(
        USERS,
        {
            "email": "new@a.test",
            "password": "A-long-enough-pass-123",
            "role": "cashier",
            "branch": str(world.a.other_branch.pk),
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code in (400, 403), response.content
    assert response.json()["errors"][0]["detail"] == detail
