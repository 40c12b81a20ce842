"""`manage.py rotate_signing_key`: a new JWT signing key, and the changes that put it in service
without signing anyone out (docs/SECRETS.md)."""

from __future__ import annotations

from secrets import token_urlsafe
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework_simplejwt import settings as jwt_settings

from cliqserve.accounts.tokens import key_id
from cliqserve.core.secrets import SecretsError


def _kids(keys: list[str]) -> str:
    return ", ".join(key_id(key) for key in keys)


class Command(BaseCommand):
    help = (
        "Generate a new JWT signing key. Prints it with the settings to change; with --write and "
        "SECRETS_BACKEND=aws, stores them as new secret versions instead (printing no key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write",
            action="store_true",
            help="Store the new key and fallbacks in AWS Secrets Manager (SECRETS_BACKEND=aws only).",
        )

    def handle(self, *args: Any, write: bool, **options: Any) -> None:
        new_key = token_urlsafe(50)
        current = str(settings.SIMPLE_JWT["SIGNING_KEY"])
        # The key signing today becomes the first fallback; earlier fallbacks stay until retired.
        fallbacks = [current, *(key for key in settings.JWT_SIGNING_KEY_FALLBACKS if key != current)]
        if write:
            self._store(new_key=new_key, fallbacks=fallbacks)
        else:
            self._print_changes(new_key=new_key, fallbacks=fallbacks)
        days = jwt_settings.api_settings.REFRESH_TOKEN_LIFETIME.days
        self.stdout.write(
            f"Restart every web, worker and beat process: tokens signed with kid {key_id(current)} keep "
            f"working. After {days} days (JWT_REFRESH_DAYS) no token of it is left: remove it from "
            "JWT_SIGNING_KEY_FALLBACKS and restart again."
        )

    def _print_changes(self, *, new_key: str, fallbacks: list[str]) -> None:
        # Existing keys are named by kid only: this output may end up in a terminal log.
        self.stdout.write(f"New JWT signing key (kid {key_id(new_key)}):\n{new_key}\n")
        self.stdout.write("1. Set JWT_SIGNING_KEY to the key above.")
        self.stdout.write(
            "2. Set JWT_SIGNING_KEY_FALLBACKS to these keys, comma-separated, in this order: "
            f"kids {_kids(fallbacks)} (the current JWT_SIGNING_KEY, or SECRET_KEY if it is unset, "
            "then the current fallbacks)."
        )

    def _store(self, *, new_key: str, fallbacks: list[str]) -> None:
        store = settings.SECRETS_STORE
        if store is None:
            raise CommandError(
                "--write needs SECRETS_BACKEND=aws; with the env or file backend, run without it and "
                "make the printed changes yourself"
            )
        try:
            # Fallbacks first: should the second write fail, the current key still signs and
            # every process that restarts meanwhile verifies as before.
            store.put("JWT_SIGNING_KEY_FALLBACKS", ",".join(fallbacks))
            store.put("JWT_SIGNING_KEY", new_key)
        except SecretsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Stored JWT_SIGNING_KEY (kid {key_id(new_key)}) and JWT_SIGNING_KEY_FALLBACKS "
            f"(kids {_kids(fallbacks)}) in {store.secret_id('*')}."
        )
