"""Tenants (businesses), their branches (shops) and the POS devices in them."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from cliqserve.core.tenancy import GlobalModel, TenantOwnedModel
from cliqserve.core.validators import validate_currency, validate_language, validate_timezone

if TYPE_CHECKING:
    from cliqserve.accounts.models import User


class Tenant(GlobalModel):
    """A business. Global: it is what the tenant scope points at."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    default_language = models.CharField(max_length=8, default="en", validators=[validate_language])
    allow_negative_stock = models.BooleanField(
        default=False, help_text="Let stock go below zero instead of refusing the decrement."
    )
    mfa_required_for_managers = models.BooleanField(
        default=False, help_text="Branch managers must sign in with a second factor (TOTP) too."
    )
    cashier_max_discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The largest line discount a cashier may give; above it a branch manager or "
        "tenant admin must sell (or override the price).",
    )
    cashier_voids_need_approval = models.BooleanField(
        default=False,
        help_text="A cashier's void needs a manager's one-time approval (POST /api/v1/auth/approvals/, "
        "action `void`); without it a cashier voids its own sales on its own open shift alone.",
    )
    business_day_ends_at = models.TimeField(
        default=time(0),
        help_text="Local time at which a business day ends: at 04:00, a sale at 01:30 on Saturday "
        "counts on Friday's business day (a bar open past midnight). Each branch's own time zone "
        "applies.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(TenantOwnedModel):
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, help_text="Short code, unique in the tenant (e.g. BR1).")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "branches"
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", Lower("code"), name="branch_code_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Device(TenantOwnedModel):
    """A POS terminal. Cashiers sell only on the devices assigned to them."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, help_text="Short code, unique in the tenant (e.g. POS2).")
    is_active = models.BooleanField(default=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    assigned_users: models.ManyToManyField[User, DeviceAssignment] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="DeviceAssignment",
        related_name="assigned_devices",
        blank=True,
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", Lower("code"), name="device_code_unique_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DeviceAssignment(TenantOwnedModel):
    """Who may use a device. A model of its own so that the row carries `tenant_id` too."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint("tenant", "device", "user", name="device_assignment_unique"),
        ]
