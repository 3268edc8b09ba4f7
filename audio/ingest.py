"""Add one clip to the library: a page upload (:func:`ingest_bytes`) or a file on disk (:func:`ingest_file`).

Every clip, however it arrives, takes the same road:

    catalogue facts validated       (:mod:`audio.catalogue`)
    -> duplicate check on the original's hash
    -> decode, excerpt, fades, loudness, MP3, features (:mod:`audio.pipeline`, pure)
    -> files under content-hash names + clip and features rows (:mod:`audio.storage`)

Page uploads are decoded in a worker process (``worker=``, :mod:`audio.isolation`). Bulk imports
(many files, worker processes, manifests) are :mod:`audio.bulk_import`;
re-processing a stored clip is :mod:`audio.reprocess`. Bad input raises
:class:`~audio.errors.IngestError` and stores nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from audio import library, repository
from audio.catalogue import ClipMetadata, sanitise_filename
from audio.errors import IngestError
from audio.isolation import ProcessingWorker
from audio.pipeline import file_sha256, process_guarded, sha256_hex
from audio.processing import ProcessingSettings
from audio.storage import IngestResult, duplicate_message, store_processed
from core import db

__all__ = ["ClipMetadata", "IngestError", "IngestResult", "ingest_bytes", "ingest_file", "settings_unless_duplicate"]


def settings_unless_duplicate(
    original_sha256: str, display: str, settings: ProcessingSettings | None, engine: Engine | None
) -> ProcessingSettings:
    """The settings to process with (``settings``, or those in force), unless the original is stored already.

    Raises
    ------
    IngestError
        A clip (retired or not) already has this original.
    """
    with db.session_scope(engine) as session:
        duplicate = repository.find_duplicate(session, original_sha256=original_sha256)
        if duplicate is not None:
            raise IngestError(duplicate_message(display, duplicate))
        return settings or library.current_processing_settings(session)


def ingest_bytes(
    data: bytes,
    filename: str,
    metadata: ClipMetadata,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    engine: Engine | None = None,
    worker: ProcessingWorker | None = None,
) -> IngestResult:
    """Add one clip from its bytes (a page upload).

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str
        The uploaded file name; only a sanitised display copy is stored.
    metadata : ClipMetadata
        Catalogue facts.
    settings : ProcessingSettings, optional
        Defaults to the settings in force (:func:`audio.library.current_processing_settings`).
    start_offset_s : float or None
        Excerpt start in seconds; ``None`` for the default rule.
    engine : sqlalchemy.Engine, optional
        Defaults to the configured database. This function owns its transactions.
    worker : ProcessingWorker, optional
        Decode and process in this worker process (:mod:`audio.isolation`), as the add-clips
        page does with every upload, so a decoder crash fails the file, not the app. ``None``
        processes in this process (trusted files: scripts, tests).

    Raises
    ------
    IngestError
        With a user-facing message (also when the decoder crashed in ``worker``); nothing is stored.
    """
    display = sanitise_filename(filename) or "upload"
    metadata.cleaned()
    original_sha256 = sha256_hex(data)
    settings = settings_unless_duplicate(original_sha256, display, settings, engine)
    if worker is not None:
        processed = worker.process(data, display, settings, start_offset_s, original_sha256)
    else:
        processed = process_guarded(data, display, settings, start_offset_s, original_sha256)
    return store_processed(processed, data, metadata, uploaded_filename=filename, engine=engine)


def ingest_file(
    path: str | os.PathLike,
    metadata: ClipMetadata,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    original_filename: str | None = None,
    engine: Engine | None = None,
) -> IngestResult:
    """Add one clip from a file on disk (command line, demo corpus).

    ``original_filename`` is the display name to keep (default: the file's own name). Other
    parameters and errors as in :func:`ingest_bytes`.
    """
    path = Path(path)
    display = sanitise_filename(original_filename or path.name) or "file"
    metadata.cleaned()
    if not path.is_file():
        raise IngestError(f"{display}: file not found.")
    original_sha256 = file_sha256(path)
    settings = settings_unless_duplicate(original_sha256, display, settings, engine)
    processed = process_guarded(path, display, settings, start_offset_s, original_sha256)
    return store_processed(processed, path, metadata, uploaded_filename=original_filename or path.name, engine=engine)
