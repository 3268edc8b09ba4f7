"""Build the demo library: render the pieces while numba warms up, then ingest them as ordinary clips."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from audio.demo.pieces import GENRE, DemoPiece, render_demo_pieces

if TYPE_CHECKING:
    from audio.bulk_import import ImportItem

#: Rendered beyond the study's clip length, seconds (the ingest pipeline cuts the excerpt).
RENDER_MARGIN_S = 1.0
#: Longest wait for the feature warm-up after rendering, seconds.
_WARM_UP_TIMEOUT_S = 300.0


def _start_feature_warm_up() -> subprocess.Popen:
    """Start :func:`audio.numba_cache.warm_numba_cache` in a fresh interpreter on the other core.

    Numba compiles librosa's kernels on a machine's first feature extraction (about half a
    minute); doing it while this process parses and renders keeps the first start short, and
    the ingest workers then load the kernels from the on-disk cache. A plain subprocess, not a
    multiprocessing worker: under Streamlit the app script is ``__main__``, and a spawned
    worker would re-run it.
    """
    package_root = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", "from audio.numba_cache import warm_numba_cache as w; w()"],
        env=dict(os.environ, PYTHONPATH=python_path),
        cwd=package_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _render_while_warming(
    folder: str, *, seed: int, n_per_source: int, seconds: float, say: Callable[[str], None], timings: dict[str, float]
) -> list[DemoPiece]:
    """:func:`render_demo_pieces` while another process fills the numba cache (see :func:`_start_feature_warm_up`)."""
    warming = _start_feature_warm_up()
    try:
        say(f"Demo library: rendering {2 * n_per_source} chorales ...")
        pieces = render_demo_pieces(folder, seed=seed, n_per_source=n_per_source, seconds=seconds, timings=timings)
        clock = time.perf_counter()
        try:
            warmed = warming.wait(timeout=_WARM_UP_TIMEOUT_S) == 0
        except subprocess.TimeoutExpired:
            warmed = False
        if not warmed:  # only a speed-up: the ingest workers compile whatever is missing
            say("Demo library: the feature warm-up did not finish; continuing without it.")
        timings["warm_up_wait"] = time.perf_counter() - clock
    finally:
        if warming.poll() is None:
            warming.kill()
            warming.wait()
    return pieces


def build_demo_library(
    engine: Engine | None = None,
    *,
    seed: int = 2026,
    n_per_source: int = 7,
    echo: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
) -> list[int]:
    """Render the demo pieces and add them through the ordinary ingest pipeline.

    A no-op (returning ``[]``) when the library already has an active clip.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        Defaults to the configured database; files go to the configured data folder.
    seed : int
        See :func:`render_demo_pieces`.
    n_per_source : int
        Human pieces, and generated pieces, each. Seven: the default study's 12 main clips plus
        the practice clip, which is never one of them (:mod:`experiment.assignment`), and a spare.
    echo : callable, optional
        Receives one-line progress messages.
    timings : dict, optional
        Filled with seconds spent in "corpus", "model", "render" and "ingest".

    Returns
    -------
    list of int
        Ids of the new clips, in demo-number order.

    Raises
    ------
    RuntimeError
        When some pieces could not be ingested (the message lists why); the others stay.
    """
    from audio import library
    from audio.bulk_import import import_items
    from core import db

    say = echo or (lambda _message: None)
    with db.session_scope(engine) as session:
        if sum(library.active_counts(session).values()) > 0:
            return []
        settings = library.current_processing_settings(session)

    timings = timings if timings is not None else {}
    with tempfile.TemporaryDirectory(prefix="human-touch-demo-") as folder:
        pieces = _render_while_warming(
            folder,
            seed=seed,
            n_per_source=n_per_source,
            seconds=settings.excerpt_seconds + RENDER_MARGIN_S,
            say=say,
            timings=timings,
        )
        items = [_import_item(piece) for piece in pieces]
        say("Demo library: processing and adding the clips ...")
        clock = time.perf_counter()
        outcomes = import_items(
            items,
            settings,
            engine=engine,
            progress=lambda _outcome, done, total: say(f"Demo library: {done}/{total} clips processed"),
        )
        timings["ingest"] = time.perf_counter() - clock
    failures = [outcome.message for outcome in outcomes if not outcome.ok]
    if failures:
        raise RuntimeError("the demo library is incomplete: " + " ".join(failures))
    ids = [outcome.result.clip_id for outcome in outcomes if outcome.result is not None]
    say(f"Demo library ready: {len(ids)} clips ({n_per_source} human, {n_per_source} generated).")
    return ids


def _import_item(piece: DemoPiece) -> ImportItem:
    """The bulk-import item that adds ``piece`` as an ordinary clip, marked as a demo clip."""
    from audio.bulk_import import ImportItem
    from audio.catalogue import ClipMetadata

    metadata = ClipMetadata(
        source=piece.source,
        title=piece.title,
        creator=piece.creator,
        ai_system=piece.ai_system,
        ai_version=piece.ai_version,
        prompt=None,
        genre=GENRE,
        vocals="instrumental",
        pair_id=piece.pair_id,
        licence=piece.licence,
        provenance=piece.provenance,
        notes=piece.notes,
        is_demo=True,
    )
    return ImportItem(path=piece.path, start_offset_s=0.0, metadata=metadata)
