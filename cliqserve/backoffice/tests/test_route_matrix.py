"""Every back-office route, read from the URL configuration: closed to anyone without a report
role, whatever the method. A new page is in this matrix the moment it is routed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import signed_in

PUBLIC = {"login", "logout"}


def backoffice_routes() -> list[tuple[str, str]]:
    """(name, path) of every back-office route, ids filled with one fixed UUID (the same in
    every xdist worker, which must collect the same tests)."""
    resolver = next(
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace == "backoffice"
    )
    routes = []
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        assert pattern.name, f"unnamed back-office route {pattern.pattern}"
        kwargs = {name: uuid.UUID(int=1) for name in pattern.pattern.regex.groupindex}
        routes.append((pattern.name, reverse(f"backoffice:{pattern.name}", kwargs=kwargs)))
    return routes


PAGES = [(name, path) for name, path in backoffice_routes() if name not in PUBLIC]


def test_the_matrix_sees_every_page() -> None:
    names = {name for name, _path in PAGES}
    assert {
        "dashboard",
        "shifts",
        "shift",
        "sale-lookup",
        "review",
        "stock",
        "stock-csv",
        "exceptions",
        "review-sale",
        "mfa",
    } <= names


@pytest.mark.parametrize(("name", "path"), PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_callers_are_sent_to_sign_in(db: None, name: str, path: str, method: str) -> None:
    response = getattr(Client(), method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/?next=")


@pytest.mark.parametrize(("name", "path"), PAGES)
@pytest.mark.parametrize("role", ["cashier", "platform_owner"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_roles_without_reports_are_refused_every_page_and_method(
    world: Any, name: str, path: str, role: str, method: str
) -> None:
    response = getattr(signed_in(world.user(role)), method)(path)
    assert response.status_code == 403
    assert world.a.branch.name not in response.content.decode()
