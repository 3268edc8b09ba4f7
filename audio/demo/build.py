"""Build the demo library: render the pieces while the ingest workers fill numba's cache, then ingest them."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from audio.demo.pieces import GENRE, DemoPiece, render_demo_pieces

if TYPE_CHECKING:
    from audio.bulk_import import ImportItem

#: Rendered beyond the study's clip length, seconds (the ingest pipeline cuts the excerpt).
RENDER_MARGIN_S = 1.0
#: Ingest worker processes (one per core of a small machine).
INGEST_WORKERS = 2


def _start_ingest_workers() -> ProcessPoolExecutor:
    """Start the ingest worker processes now, each filling numba's cache first; returns the pool.

    On a machine's first start the first worker compiles librosa's kernels (about 20 CPU-s)
    while this process parses and renders on the other core; the other worker waits for the
    cache's lock (:func:`audio.numba_cache.warm_numba_cache`: one process compiles, numba #10128)
    and then loads the kernels. The clips queue behind the warm-up. Later starts find the cache
    warm and the warm-up returns at once.
    """
    from audio.numba_cache import warm_numba_cache
    from core.processes import spawn_pool

    return spawn_pool(INGEST_WORKERS, first_task=warm_numba_cache)


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
        Filled with seconds spent in "corpus", "model", "render" and "ingest" (the ingest waits
        for numba's first compile, if it is still running).

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
    with _start_ingest_workers() as pool, tempfile.TemporaryDirectory(prefix="human-touch-demo-") as folder:
        say(f"Demo library: rendering {2 * n_per_source} chorales ...")
        seconds = settings.excerpt_seconds + RENDER_MARGIN_S
        pieces = render_demo_pieces(folder, seed=seed, n_per_source=n_per_source, seconds=seconds, timings=timings)
        items = [_import_item(piece) for piece in pieces]
        say("Demo library: processing and adding the clips ...")
        clock = time.perf_counter()
        outcomes = import_items(
            items,
            settings,
            workers=INGEST_WORKERS,
            engine=engine,
            pool=pool,
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
