"""Decoding in worker processes, so a crash in a native decoder fails one file and never the app.

libsndfile, mpg123 and soxr are C code fed with files from outside; a malformed file can crash
them (a segfault) instead of raising an error. Every upload is therefore decoded and processed
(:func:`audio.pipeline.process_audio`) in a worker process started with ``spawn`` (the app is a
threaded server, which must not be forked):

- page uploads and re-processing: :class:`ProcessingWorker`, one worker process for a batch,
  one file at a time;
- bulk import: :func:`process_many`, up to ``workers`` files at a time.

When a worker dies, the file it was processing fails with :func:`crash_message` and a fresh
worker process takes the next file. Nothing is stored for the failed file; the caller's process,
its database connections and its other files are untouched.

Test hook
---------
In a worker process, and only there, a file whose display name contains the value of the
environment variable :data:`CRASH_TEST_ENV` makes the worker kill itself with ``SIGSEGV`` before
decoding, exactly as a decoder crash would. It is unset in production.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from audio.errors import IngestError
from audio.pipeline import ProcessedClip, process_guarded
from audio.processing import ProcessingSettings
from core.processes import spawn_pool

log = logging.getLogger(__name__)

#: Environment variable of the test hook (see the module notes): a display-name substring.
CRASH_TEST_ENV = "HUMAN_TOUCH_TEST_CRASH_ON"


@dataclass(frozen=True)
class Job:
    """One file to process (picklable): the original (a path or its bytes) and how to process it.

    ``settings`` is :meth:`ProcessingSettings.to_dict`; ``start_offset_s`` in seconds or None for
    the default rule; ``original_sha256`` the original's hex SHA-256.
    """

    source: Path | bytes
    display: str
    settings: dict
    start_offset_s: float | None
    original_sha256: str


JobResult = tuple[ProcessedClip | None, str]
"""``(processed, "")`` on success, ``(None, user-facing reason)`` on failure."""


def crash_message(display: str) -> str:
    """Why a file whose worker process died was not added."""
    return (
        f"{display}: the audio decoder crashed on this file (its worker process died), so it was not "
        f"added. Nothing else was affected. Converting the file to WAV or FLAC may help."
    )


def process_job(job: Job) -> JobResult:
    """Process ``job`` in this process; an unusable file is a reason, not an exception."""
    try:
        return process_guarded(
            job.source, job.display, ProcessingSettings.from_dict(job.settings), job.start_offset_s, job.original_sha256
        ), ""
    except IngestError as error:
        return None, str(error)


def _in_worker(job: Job) -> JobResult:
    """The worker processes' entry point: the test hook, then :func:`process_job`."""
    marker = os.environ.get(CRASH_TEST_ENV)
    if marker and marker in job.display and multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGSEGV)
    return process_job(job)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # "spawn" workers, started clear of the page script that is __main__ (core.processes).
    return spawn_pool(workers)


class ProcessingWorker:
    """One worker process that processes one file at a time (page uploads, re-processing).

    Use as a context manager around a batch; the process starts at the first file (about a
    second) and is replaced after a crash. Not shared between threads.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def process(
        self,
        source: Path | bytes,
        display: str,
        settings: ProcessingSettings,
        start_offset_s: float | None,
        original_sha256: str,
    ) -> ProcessedClip:
        """:func:`audio.pipeline.process_audio` in the worker process.

        Raises
        ------
        IngestError
            The file cannot be used, or the decoder crashed on it (:func:`crash_message`).
        """
        job = Job(source, display, settings.to_dict(), start_offset_s, original_sha256)
        if self._pool is None:
            self._pool = _new_pool(1)
        try:
            processed, reason = self._pool.submit(_in_worker, job).result()
        except BrokenProcessPool:
            log.error("the worker process died while processing %s", display)
            self.close()
            raise IngestError(crash_message(display)) from None
        if processed is None:
            raise IngestError(reason)
        return processed

    def close(self) -> None:
        """Stop the worker process (a new one starts if :meth:`process` is called again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessingWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def process_many(
    jobs: Sequence[Job],
    workers: int,
    on_result: Callable[[int, ProcessedClip | None, str], None],
    pool: ProcessPoolExecutor | None = None,
) -> None:
    """Process every job in up to ``workers`` worker processes; a worker's death fails only its own job.

    ``on_result(index, processed, reason)`` is called in this process for each job, in completion
    order (``processed`` None and ``reason`` set on failure).

    At most ``workers`` jobs are in flight, so a crash can only involve those. If one job was in
    flight it is the culprit; if several were, each is retried alone in a fresh pool, which finds
    the culprit without blaming its neighbours. The other jobs continue in a fresh pool.

    ``pool``: workers the caller started earlier (:func:`core.processes.spawn_pool`, e.g. busy
    filling numba's cache meanwhile), used first; the caller shuts it down. Fresh pools follow a crash.
    """
    waiting = deque(range(len(jobs)))
    suspects: deque[int] = deque()
    if pool is not None:
        _run_until_done_or_broken(pool, jobs, workers, waiting, suspects, on_result)
    while waiting or suspects:
        with _new_pool(workers) as fresh:
            _run_until_done_or_broken(fresh, jobs, workers, waiting, suspects, on_result)


def _run_until_done_or_broken(
    pool: ProcessPoolExecutor,
    jobs: Sequence[Job],
    workers: int,
    waiting: deque[int],
    suspects: deque[int],
    on_result: Callable[[int, ProcessedClip | None, str], None],
) -> None:
    """Feed ``pool`` from ``suspects`` (one at a time) then ``waiting``; return when both are empty or the pool died."""
    running: dict[Future, int] = {}
    while True:
        queue, limit = (suspects, 1) if suspects else (waiting, workers)
        while queue and len(running) < limit:
            index = queue.popleft()
            running[pool.submit(_in_worker, jobs[index])] = index
        if not running:
            return
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
            wait(running)  # the pool is dead: every future in flight is settled now
            lost = [index for future, index in running.items() if not _deliver(future, index, jobs, on_result)]
            if len(lost) == 1:
                log.error("a worker process died while processing %s", jobs[lost[0]].display)
                on_result(lost[0], None, crash_message(jobs[lost[0]].display))
            else:
                suspects.extend(lost)
            return
        for future in done:
            _deliver(future, running.pop(future), jobs, on_result)


def _deliver(
    future: Future, index: int, jobs: Sequence[Job], on_result: Callable[[int, ProcessedClip | None, str], None]
) -> bool:
    """Hand a settled future's outcome to ``on_result``; False (nothing handed) when its pool died under it."""
    error = future.exception()
    if isinstance(error, BrokenProcessPool):
        return False
    if error is not None:  # e.g. the job could not be sent to the worker
        log.error("processing %s failed in its worker: %r", jobs[index].display, error)
        on_result(index, None, f"{jobs[index].display}: processing failed ({type(error).__name__}).")
    else:
        on_result(index, *future.result())
    return True
