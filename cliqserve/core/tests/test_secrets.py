"""The secrets layer: environment, files and AWS Secrets Manager backends, and their failures."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
import time_machine
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws

from cliqserve.core.secrets import AwsSecretsManagerSource, SecretsError, open_secrets

KEY = "Xq7-rT2_vB9pL4sN8mK1wZ6yH3jF5gD0cA-eU7iO2tR9_bN4mV8xQ1lP6kJ3hG5f"
REGION = "eu-west-1"


def secrets_from(
    *, backend: str, environ: dict[str, str] | None = None, directory: str = "", env_name: str = ""
):
    return open_secrets(
        backend=backend,
        environ=environ or {},
        directory=directory,
        aws_prefix="cliqserve",
        aws_environment=env_name,
        aws_region=REGION,
        cache_seconds=300,
    )


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


# --- environment ----------------------------------------------------------------------------


def test_the_environment_backend_reads_variables_and_an_empty_one_is_unset():
    secrets = secrets_from(backend="env", environ={"SECRET_KEY": KEY, "JWT_SIGNING_KEY": ""})

    assert secrets.get("SECRET_KEY") == KEY
    assert secrets.get("JWT_SIGNING_KEY", default="fallback") == "fallback"
    assert secrets.get("SENTRY_DSN") == ""


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(SecretsError, match="SECRETS_BACKEND must be one of env, file, aws, not 'vault'"):
        secrets_from(backend="vault")


# --- files ------------------------------------------------------------------------------------


def test_the_file_backend_reads_one_file_per_name_without_its_trailing_newline(tmp_path):
    (tmp_path / "SECRET_KEY").write_text(KEY + "\n")

    secrets = secrets_from(backend="file", directory=str(tmp_path), environ={"SECRET_KEY": "from-env"})

    assert secrets.get("SECRET_KEY") == KEY


def test_a_secret_without_a_file_falls_back_to_the_variable_then_the_default(tmp_path):
    (tmp_path / "EMPTY").write_text("\n")
    secrets = secrets_from(backend="file", directory=str(tmp_path), environ={"SENTRY_DSN": "https://dsn@x/1"})

    assert secrets.get("SENTRY_DSN") == "https://dsn@x/1"
    assert secrets.get("DATABASE_URL", default="sqlite:///db") == "sqlite:///db"
    assert secrets.get("EMPTY", default="d") == "d"


def test_the_file_backend_refuses_a_missing_directory(tmp_path):
    with pytest.raises(SecretsError, match=r"SECRETS_DIR .*/absent is not a directory"):
        secrets_from(backend="file", directory=str(tmp_path / "absent"))


def test_an_unreadable_secret_file_is_an_error_not_a_silent_fallback(tmp_path):
    (tmp_path / "SECRET_KEY").mkdir()  # cannot be read as a file, even by root
    secrets = secrets_from(backend="file", directory=str(tmp_path), environ={"SECRET_KEY": KEY})

    with pytest.raises(SecretsError, match=r"secret file .*/SECRET_KEY cannot be read"):
        secrets.get("SECRET_KEY")


def test_a_name_cannot_reach_outside_the_secrets_directory(tmp_path):
    secrets = secrets_from(backend="file", directory=str(tmp_path))

    with pytest.raises(SecretsError, match="is not a secret's name"):
        secrets.get("../etc/passwd")


# --- AWS Secrets Manager ----------------------------------------------------------------------


def test_the_aws_backend_reads_prefix_environment_name(aws):
    aws.create_secret(Name="cliqserve/prod/SECRET_KEY", SecretString=KEY)
    aws.create_secret(Name="cliqserve/staging/SECRET_KEY", SecretString="staging-key")

    secrets = secrets_from(backend="aws", env_name="prod", environ={"SECRET_KEY": "from-env"})

    assert secrets.get("SECRET_KEY") == KEY


def test_a_secret_aws_lacks_falls_back_to_the_variable_then_the_default(aws):
    secrets = secrets_from(backend="aws", env_name="prod", environ={"SENTRY_DSN": "https://dsn@x/1"})

    assert secrets.get("SENTRY_DSN") == "https://dsn@x/1"
    assert secrets.get("DATABASE_URL", default="sqlite:///db") == "sqlite:///db"


def test_the_aws_backend_needs_the_environment_named(aws):
    with pytest.raises(SecretsError, match="SECRETS_ENV must name the environment"):
        secrets_from(backend="aws")


def test_aws_answers_are_kept_for_the_cache_time_then_asked_again(aws):
    aws.create_secret(Name="cliqserve/prod/SECRET_KEY", SecretString="first-version")
    secrets = secrets_from(backend="aws", env_name="prod")

    with time_machine.travel("2026-03-01 12:00:00Z", tick=False) as clock:
        assert secrets.get("SECRET_KEY") == "first-version"
        aws.put_secret_value(SecretId="cliqserve/prod/SECRET_KEY", SecretString="second-version")
        clock.shift(timedelta(seconds=299))
        assert secrets.get("SECRET_KEY") == "first-version"
        clock.shift(timedelta(seconds=2))
        assert secrets.get("SECRET_KEY") == "second-version"


def test_a_not_found_answer_is_cached_too(aws):
    secrets = secrets_from(backend="aws", env_name="prod")

    with time_machine.travel("2026-03-01 12:00:00Z", tick=False):
        assert secrets.get("SENTRY_DSN") == ""
        aws.create_secret(Name="cliqserve/prod/SENTRY_DSN", SecretString="https://dsn@x/1")
        assert secrets.get("SENTRY_DSN") == ""


def test_access_denied_is_one_clear_line_without_the_secret_or_aws_message(aws):
    client = boto3.client("secretsmanager", region_name=REGION)
    source = AwsSecretsManagerSource(prefix="cliqserve", environment="prod", client=client, cache_seconds=60)
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_secret_value",
            service_error_code="AccessDeniedException",
            service_message="User arn:aws:iam::123:role/web is not authorized",
        )
        with pytest.raises(SecretsError) as refused:
            source.lookup("SECRET_KEY")

    message = str(refused.value)
    assert message.startswith("cannot reach AWS secret cliqserve/prod/SECRET_KEY (AccessDeniedException)")
    assert "secretsmanager:GetSecretValue" in message
    assert "arn:aws" not in message
    assert refused.value.__suppress_context__, "no chained traceback from botocore"


def test_an_unreachable_aws_is_one_clear_line():
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(connect_timeout=1, retries={"max_attempts": 1}),
    )
    source = AwsSecretsManagerSource(prefix="cliqserve", environment="prod", client=client, cache_seconds=60)

    with pytest.raises(
        SecretsError, match=r"cannot reach AWS secret cliqserve/prod/SECRET_KEY \(EndpointConnectionError\)"
    ):
        source.lookup("SECRET_KEY")


def test_put_creates_then_versions_a_secret_and_forgets_the_cached_answer(aws):
    secrets = secrets_from(backend="aws", env_name="prod")
    store = secrets.store()
    assert store is not None
    assert secrets.get("JWT_SIGNING_KEY") == ""

    store.put("JWT_SIGNING_KEY", "first")
    assert secrets.get("JWT_SIGNING_KEY") == "first"
    store.put("JWT_SIGNING_KEY", "second")

    assert secrets.get("JWT_SIGNING_KEY") == "second"
    assert aws.get_secret_value(SecretId="cliqserve/prod/JWT_SIGNING_KEY")["SecretString"] == "second"


def test_only_the_aws_backend_stores_new_versions(tmp_path):
    assert secrets_from(backend="env").store() is None
    assert secrets_from(backend="file", directory=str(tmp_path)).store() is None
