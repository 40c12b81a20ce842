"""gunicorn's own refusals in the API's error format.

gunicorn answers a request it cannot parse (a request line over `limit_request_line`, 4094
bytes by default; headers over their limits; a malformed request line) itself, before Django
sees it, with an HTML page from `gunicorn.util.write_error`. Every worker class sends those
refusals through that one function, so `install()` — called from `on_starting` in
deploy/gunicorn.conf.py, in the master before any worker forks — replaces it with one that
writes the contract's JSON error and an `X-Request-ID`. gunicorn's status is kept; the detail is
the reason, never the request's own text. ADR 0005 records why this is a replacement of a
library function and not a setting.
"""

from __future__ import annotations

import json
import socket
import uuid
from typing import Final

from gunicorn import util

# The contract's codes for what gunicorn refuses: the client's request is malformed (400, 414,
# 417, 431, 501), forbidden (403: a proxy line from an address not allowed), or the server is
# misconfigured (500).
_CODES: Final = {403: "permission_denied", 500: "internal_server_error"}
_DETAILS: Final = {
    414: "The request line is longer than this server accepts; send long parameters in a body.",
    431: "The request's headers are larger than this server accepts.",
}


def install() -> None:
    util.write_error = write_contract_error


def write_contract_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write a complete `Connection: close` response; `mesg` (which may quote the request) is
    left out of it, as gunicorn already logs it."""
    request_id = uuid.uuid4().hex
    error = {
        "status": str(status_int),
        "code": _CODES.get(status_int, "invalid_request"),
        "detail": _DETAILS.get(status_int, f"{reason}: the server could not read this request."),
        "meta": {},
    }
    body = json.dumps({"errors": [error], "request_id": request_id}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
