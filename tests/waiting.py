"""Waiting for an event in another process, the one place where the suite polls.

A test never sleeps for a fixed time hoping another process got somewhere, and never asserts how long
something took (``benchmarks/`` measures that). It waits for the event itself (a health check answers,
a process is gone, a lock is requested) with a generous timeout, and the timeout only turns a hang
into a failure that names what never happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

GENEROUS_S = 240.0
"""Default time limit of a wait: long enough for a 2-core machine shared with other work."""

_POLL_S = 0.05


def wait_until(condition: Callable[[], T], what: str, timeout_s: float = GENEROUS_S) -> T:
    """Return ``condition()``'s first truthy value, re-checking every 50 ms until ``timeout_s``.

    Parameters
    ----------
    condition : callable
        Checks the event; may raise to abort the wait (e.g. the process it waits for has exited).
    what : str
        The event, for the failure message ("replica 8601 is gone").
    timeout_s : float
        Seconds before the wait fails. Only a limit: nothing is asserted about the time taken.
    """
    give_up = time.monotonic() + timeout_s
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > give_up:
            raise TimeoutError(f"still waiting after {timeout_s:.0f} s for: {what}")
        pause.wait(_POLL_S)
