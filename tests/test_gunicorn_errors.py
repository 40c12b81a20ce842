"""gunicorn's own refusals, from a real gunicorn started with the shipped config, answer in the
contract's error format (config/gunicorn_errors.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEALTH_CHECK = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def gunicorn_port() -> Iterator[int]:
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WEB_CONCURRENCY": "1"}
    command = [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    # A fixed command: the venv's gunicorn with the shipped config.
    server = subprocess.Popen(
        [*command, "config.wsgi:application"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _send(port, HEALTH_CHECK)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start within 30 s")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _assert_contract_error(answer: tuple[int, dict[str, str], bytes], *, status: int, code: str) -> None:
    got_status, headers, body = answer
    assert got_status == status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    document = json.loads(body)
    [error] = document["errors"]
    assert error["status"] == str(status)
    assert error["code"] == code
    assert error["detail"]
    assert document["request_id"] == headers["x-request-id"]


def test_a_request_line_over_gunicorn_s_limit_is_414_in_the_error_format(gunicorn_port):
    path = "/api/v1/sync/catalog/?cursor=" + "9" * 5000
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()

    _assert_contract_error(_send(gunicorn_port, request), status=414, code="invalid_request")


def test_a_malformed_request_line_is_400_in_the_error_format(gunicorn_port):
    answer = _send(gunicorn_port, b"NOT A REQUEST\r\n\r\n")

    _assert_contract_error(answer, status=400, code="invalid_request")
    assert b"NOT A REQUEST" not in answer[2]


def test_headers_over_gunicorn_s_limit_are_431_in_the_error_format(gunicorn_port):
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"

    _assert_contract_error(_send(gunicorn_port, request), status=431, code="invalid_request")
