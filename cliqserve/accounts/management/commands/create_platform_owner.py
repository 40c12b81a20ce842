"""`manage.py create_platform_owner`: the only way a platform owner comes into being.

The password comes from `--password` or, better (it stays out of shell history and the process
list), from the environment variable CLIQSERVE_OWNER_PASSWORD. It is validated like any other
password and never printed.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from cliqserve.accounts.models import User
from cliqserve.core.roles import Role
from cliqserve.core.security import security_event

# The name of the environment variable, not a password.
PASSWORD_ENV = "CLIQSERVE_OWNER_PASSWORD"  # noqa: S105


class Command(BaseCommand):
    help = (
        "Create a platform owner (a superuser with no tenant), or with --update-password reset the "
        f"password of an existing one. The password comes from --password or ${PASSWORD_ENV}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="Login email of the platform owner.")
        parser.add_argument(
            "--password",
            help=f"The password. Prefer ${PASSWORD_ENV}: a command-line argument is visible to others.",
        )
        parser.add_argument(
            "--update-password",
            action="store_true",
            help="The email belongs to an existing platform owner: set this new password on it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = _clean_email(options["email"])
        password = options["password"] or os.environ.get("CLIQSERVE_OWNER_PASSWORD") or ""
        if not password:
            raise CommandError(f"No password given: pass --password or set ${PASSWORD_ENV}.")

        existing = User.objects.filter(email=email).first()
        if existing is None and options["update_password"]:
            raise CommandError(f"No user {email} exists; leave out --update-password to create one.")
        if existing is None:
            self._create(email=email, password=password)
        elif not options["update_password"]:
            raise CommandError(
                f"A user {email} already exists. To reset the password of an existing platform "
                "owner, pass --update-password."
            )
        else:
            self._update_password(existing, password=password)

    def _create(self, *, email: str, password: str) -> None:
        _check_password(password, User(email=email, role=Role.PLATFORM_OWNER))
        try:
            with transaction.atomic():
                user = User.objects.create_superuser(email, password)
        except IntegrityError as exc:  # created concurrently since we looked
            raise CommandError(f"A user {email} already exists.") from exc
        security_event("platform_owner_created", user_id=user.pk)
        self.stdout.write(self.style.SUCCESS(f"Created platform owner {email}."))

    def _update_password(self, user: User, *, password: str) -> None:
        if not user.is_platform_owner:
            raise CommandError(
                f"{user.email} is a {user.role}, not a platform owner: this command only resets the "
                "passwords of platform owners."
            )
        _check_password(password, user)
        user.set_password(password)
        # A new password hash also revokes every token issued before (SimpleJWT CHECK_REVOKE_TOKEN).
        user.save(update_fields=["password", "updated_at"])
        security_event("platform_owner_password_reset", user_id=user.pk)
        self.stdout.write(self.style.SUCCESS(f"Updated the password of platform owner {user.email}."))


def _clean_email(raw: str) -> str:
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise CommandError(f"Not a valid email address: {raw!r}.") from exc
    return email


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise CommandError("The password was refused: " + " ".join(exc.messages)) from exc
