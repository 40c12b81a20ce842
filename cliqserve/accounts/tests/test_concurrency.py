"""Races that real POS fleets produce, run with real parallel connections on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cliqserve.accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_parallel(count: int, call: Callable[[], Any]) -> list[Any]:
    """Start `count` threads that call `call` at the same instant; each has its own connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_one_refresh_token_presented_twice_at_once_rotates_exactly_once():
    user = UserFactory(email="racer@example.com")
    refresh = (
        APIClient()
        .post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}, format="json")
        .json()["refresh"]
    )

    responses = run_in_parallel(
        6, lambda: APIClient().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json")
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) == {200, 401}
    # The losers were the same client retrying: the winner's new session survives them.
    [winner] = [r for r in responses if r.status_code == 200]
    again = APIClient().post("/api/v1/auth/refresh/", {"refresh": winner.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_the_same_email_registered_twice_at_once_makes_one_user(world):
    from conftest import client_for

    body = {
        "email": "twin@a.test",
        "password": "a-long-enough-passphrase",
        "role": "cashier",
        "branch": str(world.a.branch.pk),
    }

    responses = run_in_parallel(
        4, lambda: client_for(world.a.tenant_admin).post("/api/v1/users/", body, format="json")
    )

    assert sorted(r.status_code for r in responses) == [201, 400, 400, 400]
    assert User.objects.filter(email="twin@a.test").count() == 1
