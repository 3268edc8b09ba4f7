"""Worker process pools that are safe to start from inside Streamlit.

"spawn" gives each worker a clean interpreter (forking a threaded server is unsafe). But a spawned
worker first re-runs the parent's ``__main__`` file, and inside Streamlit, or after an AppTest,
``__main__`` is a page script: every worker would draw the page again, and one that fails there
dies and breaks the pool (``BrokenProcessPool``). :func:`spawn_pool` starts its workers while a
bare stand-in ``__main__`` is in place, so they import only what their tasks need.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def bare_main() -> Iterator[None]:
    """Replace ``sys.modules["__main__"]`` by an empty module for the duration of the block."""
    page_main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if page_main is not None:
            sys.modules["__main__"] = page_main


def spawn_pool(workers: int, first_task: Callable[[], object] | None = None) -> ProcessPoolExecutor:
    """A "spawn" process pool of ``workers`` processes, all started now (under :func:`bare_main`).

    A spawn pool starts a process at a submit that finds no idle worker. ``workers`` tasks
    submitted back to back (none can finish before the next is submitted: a spawned process takes
    far longer to start) make it start every process now, while the stand-in is in place; later
    submits reuse workers that never saw the page.

    Parameters
    ----------
    workers : int
    first_task : callable, optional
        A picklable function each worker runs first (e.g. filling a cache the later tasks read);
        not waited for: tasks submitted next queue behind it. Default: a 50 ms sleep, waited for.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    with bare_main():
        if first_task is not None:
            for _ in range(workers):
                pool.submit(first_task)
            return pool
        warm_up = [pool.submit(time.sleep, 0.05) for _ in range(workers)]
        for task in warm_up:
            task.result()
    return pool
