"""Where the bytes participants hear come from: the database, cached on disk and in memory.

The database (table ``clip_blobs``, by content hash) is the one store every replica shares, so a
replica with any data folder, even an empty one, serves every clip. Reading a clip's bytes tries,
in order:

    process memory   an LRU of recently served clips, at most :data:`MEMORY_CACHE_BYTES`
    data folder      ``<data>/clips/<sha256>.mp3``
    database         ``clip_blobs``; the bytes are then written to the data folder (atomically)

Bytes are immutable per hash, so no cache ever needs invalidating: a re-processed clip has a new
hash. Files in the data folder are only a cache of the database. The uploaded *originals* stay on
disk only (``<data>/originals``): they are read solely when staff re-process a clip, which they do
on the replica that holds them (the organisers' server).

Installations from before ``clip_blobs`` have the files but no rows; :func:`store_missing_blobs`
copies them in (idempotent; run by ``human_touch.startup.prepare``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio import repository
from audio.errors import ServedAudioMissing
from core import config, db
from core.models import Clip

log = logging.getLogger(__name__)

#: Upper bound of the bytes kept in process memory, bytes (about 60 clips of 30 s at 128 kbit/s).
MEMORY_CACHE_BYTES = 64 * 1024 * 1024


class _LruBytes:
    """A thread-safe least-recently-used map ``sha256 -> bytes`` holding at most ``limit`` bytes in total."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.limit:
            return
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return
            self._items[key] = data
            self._size += len(data)
            while self._size > self.limit:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


_memory = _LruBytes(MEMORY_CACHE_BYTES)


def clear_memory_cache() -> None:
    """Forget every clip held in this process's memory (tests; the data folder and database are untouched)."""
    _memory.clear()


def cache_path(clip: Clip) -> Path:
    """Where the data folder caches the served bytes of ``clip`` (``<data>/clips/<sha256>.mp3``)."""
    return config.paths().clips / clip.served_name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_cached_file(path: Path) -> bytes | None:
    """The cached file's bytes, or None when this data folder has no copy.

    Trusted without re-hashing: cache files are only ever created whole, by an atomic rename
    under their content hash (:func:`audio.storage.write_atomically`).
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_cache_file(path: Path, data: bytes) -> None:
    """Write-through to the data folder; a read-only or full disk only costs speed, so it is logged, not raised."""
    from audio.storage import write_atomically  # lazily: storage pulls in librosa, serving needs none of it

    try:
        write_atomically(path, data)
    except OSError as error:
        log.warning("could not cache %s in the data folder (%s); serving from the database", path.name, error)


def served_bytes(session: Session, clip: Clip) -> bytes:
    """The exact bytes participants are sent for ``clip``: memory, then data folder, then database.

    Raises
    ------
    ServedAudioMissing
        Neither the database nor the data folder has the clip's bytes.
    """
    sha256 = clip.served_sha256
    data = _memory.get(sha256)
    if data is not None:
        return data
    path = cache_path(clip)
    data = _read_cached_file(path)
    if data is None:
        data = repository.blob_data(session, sha256)
        if data is None:
            raise ServedAudioMissing(
                f"clip #{clip.id}: its served audio ({clip.served_name}) is neither in the database nor in "
                f"the data folder ({path.parent}). Restore the file and run `human-touch prepare`, or "
                f"retire the clip and add it again."
            )
        _write_cache_file(path, data)
    _memory.put(sha256, data)
    return data


@dataclass
class BlobBackfill:
    """What :func:`store_missing_blobs` did: clip ids copied into the database, and those it could not copy."""

    stored: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def store_missing_blobs(engine: Engine | None = None, echo: Callable[[str], None] | None = None) -> BlobBackfill:
    """Copy the served file of every clip whose bytes are not yet in the database into ``clip_blobs``.

    Idempotent, and safe from several replicas at once (a database-wide lock, and each insert
    tolerates a concurrent one). One transaction per clip, so a large library never holds every
    file in memory. A clip whose file is missing (or does not match its hash) is skipped with a
    log line; other replicas cannot serve it until its file is restored and this runs again.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        Defaults to the configured database.
    echo : callable, optional
        Also told about each clip skipped (the terminal of ``human-touch prepare``).
    """
    report = BlobBackfill()
    with db.session_scope(engine) as session:
        todo = repository.clips_without_blob(session)
    if not todo:
        return report
    with db.exclusive("clip-blobs-backfill", engine):
        for clip_id, sha256, served_name in todo:
            path = config.paths().clips / served_name
            data = _read_cached_file(path)
            if data is None or _sha256(data) != sha256:  # never store wrong bytes under a hash
                state = "missing" if data is None else "damaged (its content does not match its hash)"
                message = (
                    f"clip #{clip_id}: served file {path} is {state} and its bytes are not in the "
                    f"database; this clip cannot be served from other replicas until the file is "
                    f"restored and `human-touch prepare` runs again"
                )
                log.warning(message)
                report.missing.append(clip_id)
                if echo is not None:
                    echo(message)
                continue
            with db.session_scope(engine) as session:
                repository.put_blob(session, sha256, data)
            log.info("clip #%s: served file copied into the database", clip_id)
            report.stored.append(clip_id)
    return report
