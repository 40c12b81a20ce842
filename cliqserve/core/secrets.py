"""Secrets: the one layer settings read every secret through, whatever stores it.

Backends: the process environment (the default), a directory of files (Docker and Kubernetes
secrets, one file per variable name), and AWS Secrets Manager (`<prefix>/<environment>/<name>`,
kept in process for a while). In the file and aws backends a secret they do not hold falls back
to the environment variable of the same name, then to the setting's default (docs/SECRETS.md).

Settings import this module before Django is set up: it needs the standard library only, and
boto3 only once the aws backend is chosen. Nothing here ever puts a secret's value into an
exception or a log line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

BACKENDS = ("env", "file", "aws")
# Variable names only: a name is also a file name in the file backend, so no path can hide in it.
_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
# Seconds to wait for AWS at start-up before saying it is unreachable, rather than hanging.
_AWS_TIMEOUT_SECONDS = 5


class SecretsError(Exception):
    """A secret could not be read. The message is meant for the operator and holds no secret."""


class Source(Protocol):
    def lookup(self, name: str) -> str | None:
        """The secret called `name`, or None when this source does not hold it."""


@dataclass(frozen=True)
class EnvironmentSource:
    environ: Mapping[str, str]

    def lookup(self, name: str) -> str | None:
        # An empty variable is an unset one (.env.example ships several empty).
        return self.environ.get(name) or None


@dataclass(frozen=True)
class FileSource:
    """Docker/Kubernetes secrets: `<directory>/<NAME>` holds the value of NAME."""

    directory: Path

    def lookup(self, name: str) -> str | None:
        path = self.directory / name
        try:
            value = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretsError(f"secret file {path} cannot be read ({exc.strerror})") from None
        # Files written with `echo` or by an editor end with a newline that is not the secret's.
        return value.strip() or None


@dataclass
class AwsSecretsManagerSource:
    """AWS Secrets Manager, secret id `<prefix>/<environment>/<NAME>`, its SecretString the value.
    Answers (not-found included) are kept `cache_seconds`, so a process asks once per name."""

    prefix: str
    environment: str
    client: Any
    cache_seconds: int
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict, repr=False)

    def secret_id(self, name: str) -> str:
        return f"{self.prefix}/{self.environment}/{name}"

    def lookup(self, name: str) -> str | None:
        now = time.time()
        cached = self._cache.get(name)
        if cached is not None and now < cached[1]:
            return cached[0]
        value = self._fetch(name)
        self._cache[name] = (value, now + self.cache_seconds)
        return value

    def put(self, name: str, value: str) -> None:
        """Store `value` as the current version of `name`, creating the secret if need be."""
        from botocore.exceptions import BotoCoreError, ClientError

        secret_id = self.secret_id(name)
        try:
            try:
                self.client.put_secret_value(SecretId=secret_id, SecretString=value)
            except ClientError as exc:
                if _error_code(exc) != "ResourceNotFoundException":
                    raise
                self.client.create_secret(Name=secret_id, SecretString=value)
        except (BotoCoreError, ClientError) as exc:
            raise _aws_error(secret_id, exc, action="PutSecretValue") from None
        self._cache.pop(name, None)

    def _fetch(self, name: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        secret_id = self.secret_id(name)
        try:
            answer = self.client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None
            raise _aws_error(secret_id, exc, action="GetSecretValue") from None
        except BotoCoreError as exc:
            raise _aws_error(secret_id, exc, action="GetSecretValue") from None
        if "SecretString" not in answer:
            raise SecretsError(f"AWS secret {secret_id} is binary; store it as a string")
        return str(answer["SecretString"]).strip() or None


def _error_code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _aws_error(secret_id: str, exc: Exception, *, action: str) -> SecretsError:
    """The operator's one line: which secret, and AWS's error code or the kind of network or
    credentials failure; never AWS's message, never a traceback."""
    reason = _error_code(exc) if hasattr(exc, "response") else type(exc).__name__
    return SecretsError(
        f"cannot reach AWS secret {secret_id} ({reason}): check the region, the credentials "
        f"(instance or pod role) and that they allow secretsmanager:{action} on it"
    )


@dataclass(frozen=True)
class Secrets:
    """Reads a secret from the chosen backend, then from the environment, then the default."""

    backend: str
    sources: tuple[Source, ...]

    def get(self, name: str, *, default: str = "") -> str:
        if not _NAME.match(name):
            raise SecretsError(f"{name!r} is not a secret's name (A-Z, 0-9 and _)")
        for source in self.sources:
            value = source.lookup(name)
            if value is not None:
                return value
        return default

    def store(self) -> AwsSecretsManagerSource | None:
        """The backend that can take a new secret version (aws), or None."""
        primary = self.sources[0]
        return primary if isinstance(primary, AwsSecretsManagerSource) else None


def _aws_source(*, prefix: str, environment: str, region: str, cache_seconds: int) -> Source:
    if not environment:
        # Fail closed: a staging process must never read production's secrets by default.
        raise SecretsError("SECRETS_ENV must name the environment (e.g. prod) for the aws backend")
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=_AWS_TIMEOUT_SECONDS, read_timeout=_AWS_TIMEOUT_SECONDS, retries={"max_attempts": 2}
    )
    client = boto3.client("secretsmanager", region_name=region or None, config=config)
    return AwsSecretsManagerSource(
        prefix=prefix.strip("/"), environment=environment, client=client, cache_seconds=cache_seconds
    )


def _file_source(*, directory: str) -> Source:
    path = Path(directory)
    if not path.is_dir():
        raise SecretsError(f"SECRETS_DIR {directory} is not a directory")
    return FileSource(directory=path)


def open_secrets(
    *,
    backend: str,
    environ: Mapping[str, str],
    directory: str,
    aws_prefix: str,
    aws_environment: str,
    aws_region: str,
    cache_seconds: int,
) -> Secrets:
    """The secrets of this process, from `backend` (one of BACKENDS) and then `environ`."""
    environment = EnvironmentSource(environ=environ)
    if backend == "env":
        return Secrets(backend=backend, sources=(environment,))
    if backend == "file":
        return Secrets(backend=backend, sources=(_file_source(directory=directory), environment))
    if backend == "aws":
        aws = _aws_source(
            prefix=aws_prefix, environment=aws_environment, region=aws_region, cache_seconds=cache_seconds
        )
        return Secrets(backend=backend, sources=(aws, environment))
    raise SecretsError(f"SECRETS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
