"""Run a coroutine to completion from synchronous test code, whatever loop the test process holds.

Playwright's sync API (the session-scoped Chromium of tests/e2e) keeps an event loop marked as
running in the main thread for the rest of the session, so a plain ``asyncio.run`` in a later test
fails with "cannot be called from a running event loop". A fresh thread has no loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a new thread; returns its result or raises its exception."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
