"""Users: email login, one role, and the tenant and branch the role applies to."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from cliqserve.core.roles import BRANCH_ROLES, ApiKeyScope, Role
from cliqserve.core.tenancy import Tenancy, TenantOwnedModel
from cliqserve.core.validators import validate_timezone

# The languages the catalogues cover (settings.LANGUAGES); literal so migrations stay stable.
LANGUAGE_CHOICES = [("en", "English"), ("es", "Español"), ("fr", "Français")]


def secret_digest(secret: str) -> str:
    """What is stored of a secret handed out once (an API key, an approval): its SHA-256. The
    secrets are 256 random bits, so a slow password hash would buy nothing and cost each use."""
    return hashlib.sha256(secret.encode()).hexdigest()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lowercased: login is case-insensitive and still uses the index.
        return self.get(email=(username or "").strip().lower())

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(role=Role.PLATFORM_OWNER, is_staff=True, is_superuser=True, tenant=None, branch=None)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Tenant-owned, but see docs/adr/0001: the auth layer must find a
    user before any tenant is known, so this model keeps Django's plain manager and every user
    selector filters by tenant explicitly."""

    tenancy: ClassVar[Tenancy] = "tenant"
    audit_actor_type: ClassVar[str] = "user"  # as the audit trail names a user who acts

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lowercased (see save()), so this unique index makes emails unique case-insensitively.
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    branch = models.ForeignKey(
        "tenants.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when a former employee's personal data was erased (services.user_erase): the row stays,
    # pseudonymous, because shifts, sales and the audit trail name it by id.
    erased_at = models.DateTimeField(null=True, blank=True)
    # A manager's approval PIN (POST /api/v1/auth/pin/), hashed like a password: quicker to type
    # at a busy till than the password, and held to the same sign-in lockout.
    approval_pin = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Preferences (PATCH /api/v1/auth/me/). Blank: none — the language then follows the request's
    # Accept-Language, then the tenant's default; the zone, the branch's (or the tenant's). The
    # zone only formats times shown to this user; it never moves a business day (ADR 0016).
    language = models.CharField(max_length=8, blank=True, default="", choices=LANGUAGE_CHOICES)
    timezone = models.CharField(max_length=64, blank=True, default="", validators=[validate_timezone])

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(
                condition=Q(role=Role.PLATFORM_OWNER, tenant__isnull=True)
                | (~Q(role=Role.PLATFORM_OWNER) & Q(tenant__isnull=False)),
                name="user_tenant_only_for_tenant_roles",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(BRANCH_ROLES)) | Q(branch__isnull=False),
                name="user_branch_required_for_branch_roles",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_platform_owner(self) -> bool:
        return self.role == Role.PLATFORM_OWNER


class ApiKey(TenantOwnedModel):
    """A credential for an integration (an e-shop, an accounting sync), made by a tenant admin.

    Sent as `Authorization: Api-Key <key>`; it authenticates as itself, not as a person, and
    reaches only the routes that accept one of its `scopes` (RolePolicy: a view's `key_scopes`).
    The key is shown once at creation; only its SHA-256 is stored (the key is 256 random bits,
    so a fast hash is enough), found by its public `prefix`.
    """

    Scope = ApiKeyScope
    KEY_START: ClassVar[str] = "cqk"  # a key reads cqk_<prefix>_<secret>
    audit_actor_type: ClassVar[str] = "api_key"
    is_api_key: ClassVar[bool] = True
    # What a key sees of its tenant's data: a tenant admin's view (every branch) — but only on
    # the routes its scopes open; RolePolicy never lets a key in by this role.
    role: ClassVar[str] = Role.TENANT_ADMIN
    branch_id: ClassVar[None] = None
    branch: ClassVar[None] = None

    name = models.CharField(max_length=100)
    # Unique over every tenant: a request names no tenant, the prefix finds the key.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"], name="apikey_tenant_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class Approval(TenantOwnedModel):
    """A manager's one-time consent, given at the till, to one thing the cashier may not do
    alone (a discount above the limit, a price override, a refund, a void where the business
    asks for one). Valid APPROVAL_SECONDS, used once: the
    request that carries it is allowed beyond the cashier's limits and the audit names both.
    The token is shown once, to the till; only its SHA-256 is kept."""

    class Action(models.TextChoices):
        DISCOUNT = "discount"
        PRICE_OVERRIDE = "price_override"
        REFUND = "refund"
        VOID = "void"

    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} by {self.approver_id}"
