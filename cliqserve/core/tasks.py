"""Dispatching Celery tasks safely from inside a database transaction."""

from __future__ import annotations

import functools
from typing import Any, ParamSpec

from celery import Task
from django.db import transaction

P = ParamSpec("P")


def enqueue_on_commit(task: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Send `task` only once the current transaction commits; at once outside a transaction.

    A task sent before commit could run before its rows are visible, or for a write that is
    later rolled back. Every service that dispatches a task goes through here.
    """
    transaction.on_commit(functools.partial(task.delay, *args, **kwargs))
