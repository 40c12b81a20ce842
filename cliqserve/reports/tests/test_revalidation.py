"""Reports answer an ETag (a digest of the JSON) and 304 while the figures are unchanged."""

from __future__ import annotations

from conftest import World, client_for
from tests.factories import ProductFactory


def test_a_report_revalidates_to_304_and_changes_with_its_figures(world: World) -> None:
    admin = client_for(world.a.tenant_admin)
    first = admin.get("/api/v1/reports/stock/")
    assert first.status_code == 200

    again = admin.get("/api/v1/reports/stock/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])

    admin.post(
        "/api/v1/stock-receipts/",
        {
            "branch": str(world.a.branch.pk),
            "lines": [
                {
                    "product": str(ProductFactory(tenant=world.a.tenant).pk),
                    "quantity": "2",
                    "unit_cost": "1.00",
                }
            ],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="receipt-1",
    )
    changed = admin.get("/api/v1/reports/stock/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
