"""Signing keys rotate without signing anyone out: tokens name their key (kid) and previous keys
keep verifying until they are retired."""

from __future__ import annotations

import io
from datetime import timedelta

import boto3
import jwt
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from moto import mock_aws
from rest_framework.test import APIClient

from cliqserve.accounts.tokens import key_id
from cliqserve.core.secrets import AwsSecretsManagerSource
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
ME = "/api/v1/auth/me/"
BACKOFFICE = "/backoffice/"
PREVIOUS_KEY = "mW3-kQ7_zR1xB5nL9vT2yD6jF0gH4sA8cE-uI3oP7rN1_tM5bX9qK2wL6hJ0gV4d"
NEW_KEY = "pR4-vN8_qL2xT6mK0wZ9yB3jH7gF1dS5aC-eU4iO8tR2_bN6mV0xQ3lP9kJ7hG1f"


def rotated(*, signing_key: str, fallbacks: list[str]):
    """The settings after an operator's rotation: a new JWT key and the old ones as fallbacks."""
    return override_settings(
        SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": signing_key},
        JWT_SIGNING_KEY_FALLBACKS=fallbacks,
    )


def sign_in(email: str) -> dict:
    response = APIClient().post(LOGIN, {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def assert_refused(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["errors"][0]["code"] == "authentication_failed"


@pytest.fixture
def old_key() -> str:
    return str(settings.SIMPLE_JWT["SIGNING_KEY"])


def test_tokens_name_their_key_by_fingerprint_never_by_value(world, old_key):
    tokens = sign_in("cashier@a.test")

    for token in (tokens["access"], tokens["refresh"]):
        header = jwt.get_unverified_header(token)
        assert header["kid"] == key_id(old_key)
        assert len(header["kid"]) == 8
        assert old_key not in token


def test_an_access_token_from_before_a_rotation_verifies_until_its_key_is_retired(world, old_key):
    access = sign_in("cashier@a.test")["access"]

    with rotated(signing_key=NEW_KEY, fallbacks=[old_key]):
        assert me(access).status_code == 200
        fresh = sign_in("cashier@a.test")["access"]
        assert jwt.get_unverified_header(fresh)["kid"] == key_id(NEW_KEY)
        assert me(fresh).status_code == 200

    with rotated(signing_key=NEW_KEY, fallbacks=[]):
        assert_refused(me(access))
        assert me(fresh).status_code == 200


def test_a_refresh_token_from_before_a_rotation_refreshes_after_it_and_is_spent(world, old_key):
    old_refresh = sign_in("manager@a.test")["refresh"]

    with rotated(signing_key=NEW_KEY, fallbacks=[old_key]):
        response = refresh(old_refresh)
        assert response.status_code == 200, response.content
        pair = response.json()
        assert jwt.get_unverified_header(pair["refresh"])["kid"] == key_id(NEW_KEY)
        assert me(pair["access"]).status_code == 200
        assert_refused(refresh(old_refresh))  # rotation and blacklist work as before

    with rotated(signing_key=NEW_KEY, fallbacks=[]):
        assert refresh(pair["refresh"]).status_code == 200


def test_a_refresh_token_of_a_retired_key_is_refused(world, old_key):
    old_refresh = sign_in("manager@a.test")["refresh"]

    with rotated(signing_key=NEW_KEY, fallbacks=[]):
        assert_refused(refresh(old_refresh))


def test_a_token_naming_an_unknown_key_is_refused_even_if_its_signature_is_good(world, old_key):
    claims = jwt.decode(sign_in("cashier@a.test")["access"], options={"verify_signature": False})
    forged = jwt.encode(claims, old_key, algorithm="HS256", headers={"kid": "deadbeef"})

    assert_refused(me(forged))


def test_a_token_signed_by_an_unknown_key_under_a_known_kid_is_refused(world, old_key):
    claims = jwt.decode(sign_in("cashier@a.test")["access"], options={"verify_signature": False})
    forged = jwt.encode(claims, NEW_KEY, algorithm="HS256", headers={"kid": key_id(old_key)})

    assert_refused(me(forged))


def test_a_token_without_a_kid_from_before_this_release_verifies_against_the_current_key_only(world, old_key):
    claims = jwt.decode(sign_in("cashier@a.test")["access"], options={"verify_signature": False})
    legacy = jwt.encode(claims, old_key, algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(legacy)

    assert me(legacy).status_code == 200
    with rotated(signing_key=NEW_KEY, fallbacks=[old_key]):
        assert_refused(me(legacy))


def test_secret_key_fallbacks_keep_back_office_sessions_signed_in(world):
    """Django's own behaviour: a session signed with a fallback key is accepted and moved to the
    new key on its next request; one that stayed away until the old key was retired is over."""
    active, away = Client(), Client()
    for client in (active, away):
        client.force_login(world.a.tenant_admin)
    old_secret = settings.SECRET_KEY

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[old_secret]):
        assert active.get(BACKOFFICE).status_code == 200
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert active.get(BACKOFFICE).status_code == 200
        assert away.get(BACKOFFICE).status_code == 302  # to the sign-in page


def test_the_access_lifetime_is_unchanged_by_the_key_ring(world, time_machine):
    # Frozen: SimpleJWT stamps `exp` from the refresh token's clock and `iat` from the access
    # token's own, so a second boundary between the two would make them differ by one.
    time_machine.move_to(timezone.now(), tick=False)
    claims = jwt.decode(sign_in("cashier@a.test")["access"], options={"verify_signature": False})

    assert timedelta(seconds=claims["exp"] - claims["iat"]) == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]


# --- manage.py rotate_signing_key -------------------------------------------------------------


def rotate_signing_key(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_signing_key", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_new_key_and_names_the_current_one_by_kid_only(old_key):
    out = rotate_signing_key()

    new_key = out.splitlines()[1]
    assert out.splitlines()[0] == f"New JWT signing key (kid {key_id(new_key)}):"
    assert len(new_key) >= 50
    assert f"kids {key_id(old_key)} (the current JWT_SIGNING_KEY" in out
    assert old_key not in out
    assert "After 7 days (JWT_REFRESH_DAYS) no token of it is left" in out


def test_the_command_stores_the_new_key_and_the_old_one_as_fallback_in_aws(monkeypatch, old_key):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        client.create_secret(Name="cliqserve/prod/JWT_SIGNING_KEY_FALLBACKS", SecretString="x")
        store = AwsSecretsManagerSource(
            prefix="cliqserve", environment="prod", client=client, cache_seconds=60
        )
        with override_settings(SECRETS_STORE=store, JWT_SIGNING_KEY_FALLBACKS=[PREVIOUS_KEY]):
            out = rotate_signing_key("--write")

        stored = {
            name: client.get_secret_value(SecretId=f"cliqserve/prod/{name}")["SecretString"]
            for name in ("JWT_SIGNING_KEY", "JWT_SIGNING_KEY_FALLBACKS")
        }
    assert stored["JWT_SIGNING_KEY_FALLBACKS"] == f"{old_key},{PREVIOUS_KEY}"
    assert len(stored["JWT_SIGNING_KEY"]) >= 50
    assert f"Stored JWT_SIGNING_KEY (kid {key_id(stored['JWT_SIGNING_KEY'])})" in out
    assert stored["JWT_SIGNING_KEY"] not in out
    assert old_key not in out


def test_the_command_writes_only_to_aws():
    with pytest.raises(CommandError, match="--write needs SECRETS_BACKEND=aws"):
        rotate_signing_key("--write")
