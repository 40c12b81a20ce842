"""Exceptions and the review of flagged sales: the API's numbers and rules, in pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cliqserve.core.tenancy import tenant_scope
from cliqserve.sales.models import Sale
from cliqserve.sales.services.refunds import sale_void

from .conftest import api, load_within_budget, signed_in

# --- Exceptions -----------------------------------------------------------------------------------


def test_the_exceptions_page_counts_a_void_as_the_api_does(shop: Any) -> None:
    admin = shop.tw.tenant_admin
    with tenant_scope(shop.tw.tenant.pk):
        sale_void(tenant=shop.tw.tenant, actor=admin, sale=shop.sale, reason="wrong item")
    html = signed_in(admin).get("/backoffice/exceptions/").content.decode()
    report = api(admin, "/api/v1/reports/exceptions/").json()
    voids = report["totals"]["voids"]
    assert voids["count"] == 1
    assert f"{voids['count']} · {voids['amount']}" in html


def test_a_manager_asking_for_another_branchs_exceptions_is_refused(shop: Any) -> None:
    response = signed_in(shop.tw.branch_manager).get(
        "/backoffice/exceptions/", {"branch": str(shop.tw.other_branch.pk)}
    )
    assert response.status_code == 403
    assert shop.tw.other_cashier.email not in response.content.decode()


def test_an_impossible_period_is_a_400_not_a_crash(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)
    for period in (
        {"date_from": "0001-01-01", "date_to": "0001-01-02"},
        {"date_from": "2026-01-01", "date_to": "2028-01-01"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ):
        assert client.get("/backoffice/exceptions/", period).status_code == 400


# --- Review ---------------------------------------------------------------------------------------


def flag(sale: Any) -> None:
    Sale.objects.unscoped().filter(pk=sale.pk).update(needs_review=True, review_reasons=["price_changed"])


def needs_review(sale: Any) -> bool:
    return bool(Sale.objects.unscoped().get(pk=sale.pk).needs_review)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_manager_reviews_a_flagged_sale_with_a_note(shop: Any) -> None:
    flag(shop.sale)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop.tw.branch_manager)
    token = csrf_token(client.get("/backoffice/review/").content.decode())
    response = client.post(
        f"/backoffice/review/{shop.sale.pk}/",
        {"note": "Checked the price list.", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert not needs_review(shop.sale)
    html = client.get(response["Location"]).content.decode()
    assert "marked reviewed" in html
    assert "Nothing to review." in html
    assert Sale.objects.unscoped().get(pk=shop.sale.pk).review_note == "Checked the price list."


def test_a_review_without_the_csrf_token_changes_nothing(shop: Any) -> None:
    flag(shop.sale)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop.tw.branch_manager)
    response = client.post(f"/backoffice/review/{shop.sale.pk}/", {"note": "Checked."})
    assert response.status_code == 403
    assert needs_review(shop.sale)


def test_a_manager_cannot_review_another_branchs_sale(shop: Any) -> None:
    flag(shop.other_sale)
    response = signed_in(shop.tw.branch_manager).post(
        f"/backoffice/review/{shop.other_sale.pk}/", {"note": "x"}
    )
    assert response.status_code == 404
    assert needs_review(shop.other_sale)


@pytest.mark.parametrize(("note", "status"), [("", 400), ("   ", 400), ("x" * 501, 400)])
def test_a_review_needs_a_note(shop: Any, note: str, status: int) -> None:
    flag(shop.sale)
    response = signed_in(shop.tw.tenant_admin).post(f"/backoffice/review/{shop.sale.pk}/", {"note": note})
    assert response.status_code == status
    assert needs_review(shop.sale)


def test_reviewing_a_sale_that_needs_no_review_is_a_409_page(shop: Any) -> None:
    response = signed_in(shop.tw.tenant_admin).post(f"/backoffice/review/{shop.sale.pk}/", {"note": "ok"})
    assert response.status_code == 409
    assert not needs_review(shop.sale)


@pytest.mark.parametrize(("path", "budget"), [("/backoffice/exceptions/", 12)])
def test_the_exceptions_page_has_a_query_budget_whatever_the_rows(
    shop: Any, django_assert_max_num_queries: Any, path: str, budget: int
) -> None:
    from .test_pages import more_sales

    more_sales(shop, 4)
    client = signed_in(shop.tw.tenant_admin)
    response = load_within_budget(
        client, path, budget=budget, assert_max_queries=django_assert_max_num_queries
    )
    assert response.status_code == 200
