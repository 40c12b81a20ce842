"""Isolation and RBAC declarations for tenants, branches, devices, users and auth."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from cliqserve.accounts.models import Approval, User
from cliqserve.tenants.models import Branch, Device, Tenant
from conftest import World
from tests.factories import PASSWORD
from tests.matrix import Case, ListRoute, ObjectRoute, statuses

OBJECT_ROUTES: dict[str, ObjectRoute] = {
    "tenant-detail": ObjectRoute(
        Tenant,
        lambda w: w.b.tenant,
        lambda w: {"name": "Hijacked", "slug": "hijacked", "currency": "EUR", "timezone": "UTC"},
    ),
    "branch-detail": ObjectRoute(
        Branch, lambda w: w.b.branch, lambda w: {"name": "Hijacked", "code": "HJ1", "timezone": "UTC"}
    ),
    "device-detail": ObjectRoute(
        Device,
        lambda w: w.b.device,
        lambda w: {"branch": str(w.a.branch.pk), "name": "Hijacked", "code": "HJ-POS"},
    ),
    "user-detail": ObjectRoute(
        User,
        lambda w: w.b.cashier,
        lambda w: {"email": "hijacked@example.com", "role": "cashier", "branch": str(w.a.branch.pk)},
    ),
    "user-export": ObjectRoute(User, lambda w: w.b.cashier, lambda w: {}, methods=("get",)),
    "user-erase": ObjectRoute(User, lambda w: w.b.cashier, lambda w: {}, methods=("post",)),
    "user-mfa-reset": ObjectRoute(User, lambda w: w.b.cashier, lambda w: {}, methods=("post",)),
}

LIST_ROUTES: dict[str, ListRoute] = {
    "tenant-list": ListRoute(lambda w: {w.a.tenant.pk}, lambda w: {w.b.tenant.pk}),
    "branch-list": ListRoute(
        lambda w: {w.a.branch.pk, w.a.other_branch.pk}, lambda w: {w.b.branch.pk, w.b.other_branch.pk}
    ),
    "device-list": ListRoute(
        lambda w: {w.a.device.pk, w.a.other_device.pk}, lambda w: {w.b.device.pk, w.b.other_device.pk}
    ),
    "user-list": ListRoute(
        lambda w: {w.a.tenant_admin.pk, w.a.branch_manager.pk, w.a.cashier.pk, w.a.other_cashier.pk},
        lambda w: {w.b.tenant_admin.pk, w.b.branch_manager.pk, w.b.cashier.pk, w.b.other_cashier.pk},
    ),
}

# Routes that take no tenant object id and list no tenant rows, with why they are safe.
NO_TENANT_ROWS: dict[str, str] = {
    "auth-login": "credentials in, the caller's own tokens out",
    "auth-refresh": "a token in, the token owner's tokens out",
    "auth-logout": "a token in, nothing out",
    "auth-me": "the caller's own user only (test_me_is_the_caller_only)",
    "auth-approvals": "an approval for the caller, in the caller's tenant, by one of its managers",
    "auth-pin": "the caller's own approval PIN only",
    "auth-mfa-totp": "the caller's own authenticator only",
    "auth-mfa-totp-confirm": "the caller's own authenticator only",
    "auth-mfa-verify": "a signed token naming one pending sign-in in, that user's tokens out",
    "schema": "the public API description",
    "docs": "the public API description",
    "redoc": "the public API description",
}


def _tenant_body(w: World) -> dict[str, Any]:
    return {
        "name": "New Co",
        "slug": "new-co",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "default_language": "es",
    }


def _branch_body(w: World) -> dict[str, Any]:
    return {"name": "Harbour", "code": "HB1", "timezone": "Europe/Madrid"}


def _device_body(w: World) -> dict[str, Any]:
    return {
        "branch": str(w.a.branch.pk),
        "name": "Till 9",
        "code": "POS-9",
        "assigned_users": [str(w.a.cashier.pk)],
    }


def _cashier_body(w: World) -> dict[str, Any]:
    return {
        "email": "new.cashier@a.test",
        "password": "a-long-enough-passphrase",
        "role": "cashier",
        "branch": str(w.a.branch.pk),
        "first_name": "New",
    }


CASES: list[Case] = [
    # two-factor authentication: every person enrols their own; an admin resets a lost one
    Case("auth-mfa-totp", "post", statuses(401, 201, 201, 201, 201), model=TOTPDevice),
    Case(
        "auth-mfa-totp",
        "delete",
        statuses(401, 400, 400, 400, 400),
        body=lambda w: {"password": "not-it", "code": "000000"},
        model=TOTPDevice,
    ),
    Case(
        "auth-mfa-totp-confirm",
        "post",
        statuses(401, 409, 409, 409, 409),
        body=lambda w: {"code": "000000"},
        model=TOTPDevice,
    ),
    Case("auth-mfa-verify", "post", statuses(400, 400, 400, 400, 400), body=lambda w: {"code": "000000"}),
    Case("user-mfa-reset", "post", statuses(401, 403, 403, 204, 404), target=lambda w: w.a.cashier),
    # a manager's approval at the till: the cashier asks, its branch's manager consents (a
    # manager cannot approve itself; a tenant admin's branch manager manages no admin)
    Case(
        "auth-approvals",
        "post",
        statuses(401, 201, 403, 403, 403),
        body=lambda w: {"email": w.a.branch_manager.email, "password": PASSWORD, "action": "discount"},
        model=Approval,
    ),
    # an approver's own PIN: tenant admins and branch managers (a cashier never approves; the
    # platform owner is in no tenant)
    Case(
        "auth-pin",
        "post",
        statuses(401, 403, 204, 204, 403),
        body=lambda w: {"password": PASSWORD, "pin": "4711"},
        model=User,
    ),
    Case("auth-pin", "delete", statuses(401, 403, 204, 204, 403), model=User),
    # a staff member's data rights: the tenant admin's (the platform owner's for tenant admins)
    Case("user-export", "get", statuses(401, 403, 403, 200, 404), target=lambda w: w.a.cashier),
    Case("user-export", "get", statuses(401, 403, 404, 403, 200), target=lambda w: w.a.tenant_admin),
    # an active employee is not erased (409); refusals change nothing
    Case("user-erase", "post", statuses(401, 403, 403, 409, 404), target=lambda w: w.a.cashier, model=User),
    # tenants: the platform owner manages them; everyone reads their own
    Case("tenant-list", "get", statuses(401, 200, 200, 200, 200)),
    Case("tenant-list", "post", statuses(401, 403, 403, 403, 201), body=_tenant_body, model=Tenant),
    Case("tenant-detail", "get", statuses(401, 200, 200, 200, 200), target=lambda w: w.a.tenant),
    Case(
        "tenant-detail", "put", statuses(401, 403, 403, 403, 200), lambda w: w.a.tenant, _tenant_body, Tenant
    ),
    Case(
        "tenant-detail",
        "patch",
        statuses(401, 403, 403, 403, 200),
        lambda w: w.a.tenant,
        lambda w: {"name": "X"},
        Tenant,
    ),
    # the tenant admin changes its own tenant's settings, not its identity or currency
    Case(
        "tenant-detail",
        "patch",
        statuses(401, 403, 403, 200, 200),
        lambda w: w.a.tenant,
        lambda w: {"cashier_max_discount_percent": "12.50", "allow_negative_stock": True},
        Tenant,
    ),
    Case("tenant-detail", "delete", statuses(401, 403, 403, 403, 204), lambda w: w.a.tenant, model=Tenant),
    # branches: admins write; branch staff read their own branch; the platform owner has no tenant
    Case("branch-list", "get", statuses(401, 200, 200, 200, 403)),
    Case("branch-list", "post", statuses(401, 403, 403, 201, 403), body=_branch_body, model=Branch),
    Case("branch-detail", "get", statuses(401, 200, 200, 200, 403), target=lambda w: w.a.branch),
    Case("branch-detail", "get", statuses(401, 404, 404, 200, 403), target=lambda w: w.a.other_branch),
    Case(
        "branch-detail", "put", statuses(401, 403, 403, 200, 403), lambda w: w.a.branch, _branch_body, Branch
    ),
    Case(
        "branch-detail",
        "patch",
        statuses(401, 403, 403, 200, 403),
        lambda w: w.a.branch,
        lambda w: {"name": "X"},
        Branch,
    ),
    Case("branch-detail", "delete", statuses(401, 403, 403, 204, 403), lambda w: w.a.branch, model=Branch),
    # devices: admins all; managers their branch; cashiers read the devices assigned to them
    Case("device-list", "get", statuses(401, 200, 200, 200, 403)),
    Case("device-list", "post", statuses(401, 403, 201, 201, 403), body=_device_body, model=Device),
    Case(
        "device-list",
        "post",
        statuses(401, 403, 403, 201, 403),
        body=lambda w: {"branch": str(w.a.other_branch.pk), "name": "Till", "code": "POS-8"},
        model=Device,
    ),
    Case("device-detail", "get", statuses(401, 200, 200, 200, 403), target=lambda w: w.a.device),
    Case("device-detail", "get", statuses(401, 404, 404, 200, 403), target=lambda w: w.a.other_device),
    Case(
        "device-detail", "put", statuses(401, 403, 200, 200, 403), lambda w: w.a.device, _device_body, Device
    ),
    Case(
        "device-detail",
        "patch",
        statuses(401, 403, 200, 200, 403),
        lambda w: w.a.device,
        lambda w: {"name": "X"},
        Device,
    ),
    Case(
        "device-detail",
        "patch",
        statuses(401, 404, 404, 200, 403),
        lambda w: w.a.other_device,
        lambda w: {"name": "X"},
        Device,
    ),
    Case("device-detail", "delete", statuses(401, 403, 204, 204, 403), lambda w: w.a.device, model=Device),
    # users: each role manages the roles below it, in its scope
    Case("user-list", "get", statuses(401, 403, 200, 200, 200)),
    Case("user-list", "post", statuses(401, 403, 201, 201, 400), body=_cashier_body, model=User),
    # privilege escalation: nobody below the platform owner creates a tenant admin
    Case(
        "user-list",
        "post",
        statuses(401, 403, 403, 403, 400),
        body=lambda w: {
            "email": "boss@a.test",
            "password": "a-long-enough-passphrase",
            "role": "tenant_admin",
        },
        model=User,
    ),
    Case(
        "user-list",
        "post",
        statuses(401, 403, 403, 403, 403),
        body=lambda w: {
            "email": "boss@a.test",
            "password": "a-long-enough-passphrase",
            "role": "platform_owner",
        },
        model=User,
    ),
    Case(
        "user-list",
        "post",
        statuses(401, 403, 400, 400, 201),
        body=lambda w: {
            "email": "second.admin@a.test",
            "password": "a-long-enough-passphrase",
            "role": "tenant_admin",
            "tenant": str(w.a.tenant.pk),
        },
        model=User,
    ),
    Case("user-detail", "get", statuses(401, 403, 200, 200, 404), target=lambda w: w.a.cashier),
    Case("user-detail", "get", statuses(401, 403, 404, 200, 200), target=lambda w: w.a.tenant_admin),
    Case(
        "user-detail",
        "patch",
        statuses(401, 403, 200, 200, 404),
        lambda w: w.a.cashier,
        lambda w: {"first_name": "X"},
        User,
    ),
    Case(
        "user-detail",
        "put",
        statuses(401, 403, 200, 200, 404),
        lambda w: w.a.cashier,
        lambda w: {"email": "renamed@a.test", "role": "cashier", "branch": str(w.a.branch.pk)},
        User,
    ),
    Case(
        "user-detail",
        "patch",
        statuses(401, 403, 404, 403, 200),
        lambda w: w.a.tenant_admin,
        lambda w: {"first_name": "X"},
        User,
    ),
    # promotion: a manager cannot raise a cashier to manager, an admin cannot raise anyone to admin
    Case(
        "user-detail",
        "patch",
        statuses(401, 403, 403, 403, 404),
        lambda w: w.a.cashier,
        lambda w: {"role": "tenant_admin"},
        User,
    ),
    Case(
        "user-detail",
        "patch",
        statuses(401, 403, 403, 200, 404),
        lambda w: w.a.cashier,
        lambda w: {"role": "branch_manager"},
        User,
    ),
    Case("user-detail", "delete", statuses(401, 403, 204, 204, 404), lambda w: w.a.cashier, model=User),
    Case("user-detail", "delete", statuses(401, 403, 404, 204, 404), lambda w: w.a.other_cashier, model=User),
    # auth
    Case("auth-me", "get", statuses(401, 200, 200, 200, 200)),
    Case("schema", "get", statuses(200, 200, 200, 200, 200)),
]

# Routes whose every role is exercised in accounts/tests/test_auth.py instead (they take
# credentials or tokens in the body, not a bearer token).
COVERED_ELSEWHERE = {"auth-login", "auth-refresh", "auth-logout", "docs", "redoc"}
