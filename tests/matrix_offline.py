"""Isolation and RBAC declarations for the offline sales sync (see tests/matrix.py).

POST /api/v1/sync/sales/ names a device in its body, never in its path. The tenant admin uploads
for any device of its tenant, the branch manager for the devices of its branch, a cashier for the
devices assigned to it (world.a.device); another tenant's device is unknown (400).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.utils import timezone

from cliqserve.sales.models import Sale
from cliqserve.sales.tests.helpers import open_shift, stocked
from tests.matrix import Case, ListRoute, ObjectRoute, statuses

CLIENT_ID = "6f1c1a52-0b0e-4a54-9a3e-4a1b3c1d2e01"


def _batch(tw: Any, device: Any) -> dict[str, Any]:
    """One offline sale for `device`, with an open shift there and a product of `tw`."""
    open_shift(tw, device=device)
    item = stocked(tw, "OFFLINE-1")
    return {
        "device": str(device.pk),
        "sales": [
            {
                "client_id": CLIENT_ID,
                "receipt_number": f"OFF-{uuid.UUID(CLIENT_ID).hex[:8]}",
                "created_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
                "lines": [{"product": str(item.pk), "quantity": "1"}],
                "payments": [{"method": "cash", "amount": "100.00"}],
            }
        ],
    }


OBJECT_ROUTES: dict[str, ObjectRoute] = {}
LIST_ROUTES: dict[str, ListRoute] = {}
NO_TENANT_ROWS: dict[str, str] = {
    "sales-sync": "POST only, takes no object id in the path and answers only what it wrote or found "
    "in the caller's tenant: the device id in the body resolves in the caller's tenant or is 400 "
    "with nothing written (sales test_offline test_another_tenants_device_is_unknown_and_nothing_is_"
    "written), product ids resolve per sale or reject it, and client_ids deduplicate per tenant only "
    "(test_another_tenants_client_id_is_not_a_duplicate)",
}
CASES: list[Case] = [
    # the cashier's own (assigned) device, in the manager's branch
    Case(
        "sales-sync",
        "post",
        statuses(401, 200, 200, 200, 403),
        body=lambda w: _batch(w.a, w.a.device),
        model=Sale,
    ),
    # a device of the other branch, assigned to nobody: the admin only
    Case(
        "sales-sync",
        "post",
        statuses(401, 403, 403, 200, 403),
        body=lambda w: _batch(w.a, w.a.other_device),
        model=Sale,
    ),
    # another tenant's device: unknown to every role of tenant A
    Case(
        "sales-sync",
        "post",
        statuses(401, 400, 400, 400, 403),
        body=lambda w: _batch(w.b, w.b.device),
        model=Sale,
    ),
    Case("sales-sync", "get", statuses(405, 405, 405, 405, 405)),
]
COVERED_ELSEWHERE: set[str] = set()
