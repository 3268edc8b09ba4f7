"""Fill numba's on-disk cache once per installation, one process at a time.

numba's cache is not safe for processes that compile into it at the same moment: two processes
compiling different signatures of one (gu)function can give the same signature different ABI
tags, so the cache files they leave disagree and the next load calls a null pointer (numba
issues #10128 and #4807: a segmentation fault, not an exception). Replicas, ingest workers and
the demo build all start at once, so the first of them compiles every kernel the feature
extractor uses while holding an exclusive file lock beside the cache; the others wait for the
lock and then only read. A marker file named after the numba and librosa versions says the
cache is warm, so later starts skip the lock and the librosa import entirely.

The lock is a file lock (``fcntl.flock``), not the database's (:func:`core.db.exclusive`): the
cache is a folder on this machine, shared by every process here whatever database they use.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from core.config import configure_numba_cache

#: Sample rate of the warm-up signal, Hz (the served rate; kernels do not depend on it).
_WARM_SR = 44100


def warm_feature_kernels() -> None:
    """Run the feature extractor once on a short stereo float32 signal, as the pipeline calls it.

    Every numba kernel compiles for the argument types it first sees; the pipeline passes the
    decoded MP3 (float32, stereo), so the warm-up does too and compiles the very signatures used.
    """
    from audio.features import extract_features

    t = np.arange(5 * _WARM_SR) / _WARM_SR  # as long as a short clip: every CQT octave has frames
    tone = (0.1 * np.sin(2 * np.pi * 220.0 * t) * (1 + np.sin(2 * np.pi * 2 * t))).astype(np.float32)
    extract_features(np.stack([tone, 0.9 * tone], axis=1), _WARM_SR)


def _marker(folder: Path) -> Path:
    versions = "-".join(f"{name}{metadata.version(name)}" for name in ("numba", "librosa"))
    return folder / f"warm-{versions}"


def warm_numba_cache(compile_kernels: Callable[[], None] = warm_feature_kernels) -> bool:
    """Compile the feature kernels into the cache unless it is warm; True when this call compiled.

    Safe to call from any number of processes at once: one compiles under an exclusive lock,
    the others wait for it and then find the marker. The demo build's ingest workers run it first
    (:mod:`audio.demo.build`); after it the ingest pipeline compiles nothing more on the demo's
    clips (tests/audio/test_numba_cache.py). Not yet called before CLI imports or by ``prepare``:
    a benchmark run in which this process compiled the kernels and an ingest worker then added to
    the same cache crashed the next worker that loaded it (numba #10128: kernels compiled by
    different processes can disagree).

    Parameters
    ----------
    compile_kernels : callable
        What fills the cache (default :func:`warm_feature_kernels`).
    """
    folder = configure_numba_cache()
    marker = _marker(folder)
    if marker.exists():
        return False
    try:
        lock = open(folder / "warm.lock", "a")  # noqa: SIM115 (closed below, after the lock is released)
    except OSError:  # a read-only cache folder: nothing to fill; numba compiles in memory when needed
        return False
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks while another process compiles
        try:
            if marker.exists():
                return False
            compile_kernels()
            partial = folder / f"{marker.name}.tmp"
            partial.write_text(f"compiled by process {os.getpid()}\n")
            os.replace(partial, marker)  # atomic: a reader sees no marker or a whole one
            return True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
