"""Gunicorn settings for the web process; every tunable comes from the environment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from prometheus_client import multiprocess

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _default_workers() -> int:
    # cpu_count() sees every core of the host, not the container's share, and each worker holds
    # up to `threads` database connections: cap the guess, and let WEB_CONCURRENCY say exactly.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(2 * cores + 1, 8)


# A container must listen on every interface to be reachable from outside it.
bind = f"0.0.0.0:{_env_int('PORT', 8000)}"
workers = _env_int("WEB_CONCURRENCY", _default_workers())
# Threads overlap the waits on PostgreSQL and Redis without the memory of more processes.
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

timeout = 30
graceful_timeout = 30
# A proxy that reuses upstream connections must idle them out sooner than this, or it may send
# a request on a connection gunicorn is closing.
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded; jitter staggers restarts.
max_requests = 2000
max_requests_jitter = 200

# On a disk-backed filesystem the heartbeat's fchmod can stall a worker until it is killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The app writes one JSON access line per request itself; gunicorn's own would duplicate it.
accesslog = None
errorlog = "-"

# Only a proxy at these addresses may tell gunicorn the original scheme (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The orchestrator manages the process, and the image's user has no writable $HOME for it.
control_socket_disable = True


def child_exit(server: Arbiter, worker: Worker) -> None:
    # A dead worker's live gauges would otherwise be reported forever by the survivors.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def on_starting(server: Arbiter) -> None:
    # gunicorn's own refusals (an over-long request line, say) answer in the API's error format.
    from config.gunicorn_errors import install

    install()
