"""Database work from async code, for every app (the project's base layer: it imports no app)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async


def off_loop(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run `function` on the thread pool with fresh database connections.

    Not Channels' default single "thread-sensitive" thread: every sync view shares that one,
    so under load a call's token check or transcript write would queue behind other calls'
    webhooks, and the frames behind it would wait too.
    """
    return database_sync_to_async(function, thread_sensitive=False)
