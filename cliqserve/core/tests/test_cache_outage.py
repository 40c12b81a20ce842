"""A real Redis outage (the caches pointed at a closed port): the API answers, /readyz stays
200 with the cache degraded, and the login lockout keeps counting in the process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from conftest import World, client_for

# Port 1 on loopback refuses connections at once: Redis down, without stopping the shared one.
DOWN = "redis://127.0.0.1:1/0"
_OPTIONS = {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.5}
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": DOWN,
        "OPTIONS": {**_OPTIONS, "IGNORE_EXCEPTIONS": True},
    },
    "counters": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": DOWN, "OPTIONS": _OPTIONS},
}


@pytest.fixture
def redis_down() -> Iterator[None]:
    with override_settings(CACHES=REDIS_DOWN):
        yield


@pytest.mark.django_db
def test_readyz_answers_200_with_the_cache_degraded(api_client: Any, redis_down: None) -> None:
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "degraded"}}


def test_catalog_and_sync_still_answer(world: World, redis_down: None) -> None:
    client = client_for(world.a.cashier)

    assert client.get("/api/v1/products/").status_code == 200
    assert client.get("/api/v1/sync/catalog/").status_code == 200
    assert client.get("/api/v1/auth/me/").status_code == 200


def test_login_works_and_the_lockout_still_counts(
    api_client: Any, world: World, settings: Any, redis_down: None
) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 2

    def wrong_password() -> int:
        body = {"email": "manager@a.test", "password": "x"}
        return int(api_client.post("/api/v1/auth/login/", body, format="json").status_code)

    assert [wrong_password(), wrong_password()] == [401, 401]

    assert wrong_password() == 429
