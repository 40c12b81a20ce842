"""Who may sell, work a drawer, refund, void, discount and override a price: the sales rules
of roles, in one place.

The route policies (api/*views.py) say which roles get in at all; these functions say what a
role may do to which shift, sale or device once inside, and raise NotPermitted (403) when not.

- tenant_admin: everything in its tenant.
- branch_manager: the shifts, sales and devices of its own branch.
- cashier: opens shifts on the devices assigned to it, sells on its own shifts while the device
  is still assigned to it, pays in and out and closes its own shifts, voids its own sales on its
  own shift; no refunds. A cashier signed in on one device (the access token's `device` claim)
  works that device only. Its price overrides and discounts above the tenant's limit are
  refused online and flagged for review offline (`line_refusals`).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from cliqserve.core.errors import NotPermitted
from cliqserve.core.roles import Role, manages_branch

if TYPE_CHECKING:
    from cliqserve.accounts.models import User
    from cliqserve.tenants.models import Tenant

    from .models import Sale, Shift


def signed_in_elsewhere(actor: User, *, device_id: uuid.UUID, token_device_id: str | None) -> bool:
    """A cashier whose access token names another device than `device_id`."""
    return actor.role == Role.CASHIER and bool(token_device_id) and token_device_id != str(device_id)


def _is_cashier(actor: User, user_id: Any) -> bool:
    return actor.role == Role.CASHIER and user_id == actor.pk


# --- Shifts ---------------------------------------------------------------------------------------


def require_may_open_shift(*, actor: User, device: Any, token_device_id: str | None) -> None:
    """`device` carries `caller_assigned` (is the caller assigned to it)."""
    if manages_branch(actor, device.branch_id):
        return
    if actor.role == Role.CASHIER and device.caller_assigned:
        if signed_in_elsewhere(actor, device_id=device.pk, token_device_id=token_device_id):
            raise NotPermitted(_("You are signed in on another device."), pointer="/device")
        return
    raise NotPermitted(_("You may not open a shift on this device."), pointer="/device")


def require_may_work_drawer(*, actor: User, shift: Shift) -> None:
    """Pay in, pay out, close."""
    if manages_branch(actor, shift.branch_id) or _is_cashier(actor, shift.cashier_id):
        return
    raise NotPermitted(_("Only the shift's cashier, its branch's manager or the tenant admin may do this."))


# --- Selling --------------------------------------------------------------------------------------


def require_may_sell(*, actor: User, shift: Any) -> None:
    """`shift` carries `caller_assigned` (locks.shift_for_selling): a cashier sells on its own
    shift, on a device still assigned to it."""
    if manages_branch(actor, shift.branch_id):
        return
    if not (_is_cashier(actor, shift.cashier_id) and shift.caller_assigned):
        raise NotPermitted(_("You cannot sell on this shift."))


def require_signed_in_on(*, actor: User, device_id: uuid.UUID, token_device_id: str | None) -> None:
    """A cashier signed in on one device sells on that device's shift, not another's."""
    if signed_in_elsewhere(actor, device_id=device_id, token_device_id=token_device_id):
        raise NotPermitted(_("You are signed in on another device."))


def line_refusals(
    *, tenant: Tenant, actor: User, overridden: bool, discount: Decimal, pointer: str
) -> list[tuple[str, str, str]]:
    """What a cashier may not do on a line, as (review reason, pointer, detail): change the
    price, or discount beyond the tenant's limit. Managers and the tenant admin may."""
    if actor.role != Role.CASHIER:
        return []
    refusals = []
    if overridden:
        refusals.append(("price_override", f"{pointer}/unit_price", _("A cashier may not change the price.")))
    if discount > tenant.cashier_max_discount_percent:
        detail = _("A cashier may give at most %(limit)s%% discount.") % {
            "limit": tenant.cashier_max_discount_percent
        }
        refusals.append(("discount_above_limit", f"{pointer}/discount_percent", detail))
    return refusals


def may_sync_for(*, actor: User, device: Any, token_device_id: str | None) -> bool:
    """Upload a device's offline sales: `device` carries `caller_assigned`."""
    if manages_branch(actor, device.branch_id):
        return True
    if actor.role != Role.CASHIER:
        return False
    # A cashier signed in on one device uploads that device's sales, not another's.
    on_this_device = not signed_in_elsewhere(actor, device_id=device.pk, token_device_id=token_device_id)
    return bool(device.caller_assigned) and on_this_device


def on_another_cashiers_shift(*, actor: User, shift: Shift) -> bool:
    """A cashier's (offline) sale on a shift that is not its own: online it is refused."""
    return actor.role == Role.CASHIER and shift.cashier_id != actor.pk


# --- Refunds and voids ------------------------------------------------------------------------------


def refund_needs_approval(*, actor: User, sale: Sale) -> bool:
    """A cashier refunds only with a manager's approval (action `refund`); managers never ask."""
    return not manages_branch(actor, sale.branch_id)


def require_may_refund(*, actor: User, sale: Sale, approval: str | None) -> None:
    """The tenant admin or the branch's manager; a cashier its own sales with an approval (spent
    in the refund's transaction, so only its presence is known here)."""
    if manages_branch(actor, sale.branch_id) or (_is_cashier(actor, sale.cashier_id) and approval):
        return
    raise NotPermitted(
        _(
            "Only the tenant admin or the branch's manager may refund a sale; a cashier its own "
            "sales, with a manager's approval."
        )
    )


def require_own_drawer(*, actor: User, shift: Shift | None, token_device_id: str | None) -> None:
    """A cashier's approved refund pays out of its own open shift, on the till it is signed in on."""
    if shift is None:
        return
    if shift.cashier_id != actor.pk:
        raise NotPermitted(_("A cashier pays a refund out of its own drawer only."), pointer="/shift")
    require_signed_in_on(actor=actor, device_id=shift.device_id, token_device_id=token_device_id)


def void_needs_approval(*, actor: User, tenant: Tenant, sale: Sale) -> bool:
    """Where the business asks for it, a cashier's void needs a manager's approval (`void`)."""
    return tenant.cashier_voids_need_approval and not manages_branch(actor, sale.branch_id)


def require_may_void(*, actor: User, sale: Sale, shift: Shift, token_device_id: str | None) -> None:
    if manages_branch(actor, sale.branch_id):
        return
    if not (_is_cashier(actor, sale.cashier_id) and shift.cashier_id == actor.pk):
        raise NotPermitted(_("A cashier may void only its own sales on its own shift."))
    # As for selling: a cashier signed in on one till does not work another's drawer.
    require_signed_in_on(actor=actor, device_id=sale.device_id, token_device_id=token_device_id)
