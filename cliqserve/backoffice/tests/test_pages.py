"""The back office's pages: what each role sees, confinement to a branch, and query budgets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cliqserve.sales.tests.helpers import cash_sale, open_shift, stocked
from tests.factories import BranchFactory, DeviceFactory

from .conftest import signed_in


def test_the_shifts_page_lists_every_branch_for_the_admin_and_picks_one(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)
    html = client.get("/backoffice/shifts/").content.decode()
    assert str(shop.shift.pk) in html
    assert str(shop.other_shift.pk) in html
    assert 'id="branch-picker"' in html

    html = client.get("/backoffice/shifts/", {"branch": str(shop.tw.other_branch.pk)}).content.decode()
    assert str(shop.other_shift.pk) in html
    assert str(shop.shift.pk) not in html


def test_a_manager_sees_its_own_branch_only_and_no_picker(shop: Any) -> None:
    html = signed_in(shop.tw.branch_manager).get("/backoffice/shifts/").content.decode()
    assert str(shop.shift.pk) in html
    assert str(shop.other_shift.pk) not in html
    assert 'id="branch-picker"' not in html
    assert shop.tw.other_branch.name not in html


@pytest.mark.parametrize("path", ["/backoffice/", "/backoffice/shifts/", "/backoffice/review/"])
def test_a_manager_asking_for_another_branch_is_refused_and_shown_nothing_of_it(shop: Any, path: str) -> None:
    client = signed_in(shop.tw.branch_manager)
    for branch in (shop.tw.other_branch.pk, shop.world.b.branch.pk, uuid.uuid4(), "not-a-uuid"):
        response = client.get(path, {"branch": str(branch)})
        assert response.status_code == 403
        html = response.content.decode()
        assert str(shop.other_shift.pk) not in html
        assert shop.other_sale.receipt_number not in html
        assert shop.tw.other_branch.name not in html


def test_an_admin_asking_for_another_tenants_branch_is_refused_like_an_unknown_one(shop: Any) -> None:
    client = signed_in(shop.tw.tenant_admin)
    for branch in (shop.world.b.branch.pk, uuid.uuid4()):
        response = client.get("/backoffice/shifts/", {"branch": str(branch)})
        assert response.status_code == 403
        assert shop.world.b.branch.name not in response.content.decode()


def test_the_z_report_page_shows_the_shift_figures(shop: Any) -> None:
    response = signed_in(shop.tw.tenant_admin).get(f"/backoffice/shifts/{shop.shift.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    # One sale of 2 x 10.00 without tax, paid in cash; 100.00 opening cash.
    assert '<td class="num" data-field="sale_count">1</td>' in html
    assert '<td class="num" data-field="gross">20.00</td>' in html
    assert '<td class="num" data-field="expected_cash">120.00</td>' in html


def test_a_manager_cannot_open_another_branchs_z_report(shop: Any) -> None:
    client = signed_in(shop.tw.branch_manager)
    for shift_id in (shop.other_shift.pk, uuid.uuid4()):
        response = client.get(f"/backoffice/shifts/{shift_id}/")
        assert response.status_code == 404
        assert "data-field" not in response.content.decode()


def test_a_sale_is_found_by_its_receipt_number_within_the_actors_scope(shop: Any) -> None:
    admin = signed_in(shop.tw.tenant_admin)
    html = admin.get(
        "/backoffice/sales/lookup/", {"receipt": shop.other_sale.receipt_number}
    ).content.decode()
    assert "SHOP-2" in html
    assert "21.00" in html  # 3 x 7.00

    manager = signed_in(shop.tw.branch_manager)
    html = manager.get(
        "/backoffice/sales/lookup/", {"receipt": shop.other_sale.receipt_number}
    ).content.decode()
    assert "No sale with this receipt number." in html
    assert "SHOP-2" not in html

    other_tenant = signed_in(shop.world.b.tenant_admin)
    html = other_tenant.get(
        "/backoffice/sales/lookup/", {"receipt": shop.sale.receipt_number}
    ).content.decode()
    assert "No sale with this receipt number." in html


def test_the_review_queue_lists_flagged_sales_of_the_branches_in_scope(shop: Any) -> None:
    type(shop.sale).objects.unscoped().filter(pk=shop.sale.pk).update(
        needs_review=True, review_reasons=["price_changed"]
    )
    html = signed_in(shop.tw.branch_manager).get("/backoffice/review/").content.decode()
    assert shop.sale.receipt_number in html
    assert "price_changed" in html
    html = (
        signed_in(shop.tw.tenant_admin)
        .get("/backoffice/review/", {"branch": str(shop.tw.other_branch.pk)})
        .content.decode()
    )
    assert shop.sale.receipt_number not in html


def test_the_dashboard_lists_low_stock(shop: Any) -> None:
    from cliqserve.inventory.models import StockLevel

    StockLevel.objects.unscoped().filter(product=shop.item).update(reorder_level=100)
    html = signed_in(shop.tw.branch_manager).get("/backoffice/").content.decode()
    assert "SHOP-1" in html
    assert "SHOP-2" not in html  # the other branch's


def test_every_input_has_a_label(shop: Any) -> None:
    import re

    client = signed_in(shop.tw.tenant_admin)
    for path in ("/backoffice/", "/backoffice/shifts/", "/backoffice/sales/lookup/", "/backoffice/review/"):
        html = client.get(path).content.decode()
        for field_id in re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html
        ):
            assert f'for="{field_id}"' in html, (path, field_id)


# --- Query budgets: the same number of queries for 1 row as for many ----------------------------


def more_sales(shop: Any, count: int) -> None:
    for index in range(count):
        branch = BranchFactory(tenant=shop.tw.tenant, code=f"X{index}")
        device = DeviceFactory(branch=branch, code=f"X{index}-POS")
        shift = open_shift(shop.tw, device=device, cashier=shop.tw.tenant_admin)
        item = stocked(shop.tw, f"MORE-{index}", branch=branch)
        sale = cash_sale(shop.tw, shift, (item, 1), actor=shop.tw.tenant_admin)
        type(sale).objects.unscoped().filter(pk=sale.pk).update(needs_review=True, receipt_number="SAME-1")


@pytest.mark.parametrize(
    ("path", "budget"),
    [
        # Three reads of the sales report (today and the last 30 days by day, by product, by
        # category), each a fixed number of queries: none per row.
        ("/backoffice/", 32),
        ("/backoffice/shifts/", 6),
        ("/backoffice/review/", 6),
        ("/backoffice/sales/lookup/?receipt=SAME-1", 8),
    ],
)
def test_each_page_has_a_query_budget_whatever_the_rows(
    shop: Any, django_assert_max_num_queries: Any, path: str, budget: int
) -> None:
    more_sales(shop, 4)
    client = signed_in(shop.tw.tenant_admin)
    client.get(path)  # warm the session
    with django_assert_max_num_queries(budget):
        response = client.get(path)
    assert response.status_code == 200
