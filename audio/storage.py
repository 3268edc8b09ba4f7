"""The storage step: a processed clip becomes files under content-hash names and its database rows.

:func:`write_clip_rows` is the one place a :class:`~audio.pipeline.ProcessedClip` becomes a
clip row, a features row and a ``clip_blobs`` row (the served bytes, which every replica reads;
the served file in the data folder is only a cache, see :mod:`audio.served_bytes`), for a first
ingest and for a re-process alike, and the one place an :class:`IngestResult` is built.
:func:`store_processed` adds a new clip: files first (atomically), then the rows in one transaction; if
the rows cannot be written, the files this call created are removed again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audio import repository
from audio.catalogue import ClipMetadata, sanitise_filename
from audio.errors import IngestError
from audio.features import FEATURE_VERSION
from audio.pipeline import ProcessedClip
from audio.processing import CODEC
from core import config, db
from core.models import Clip


@dataclass(frozen=True)
class IngestResult:
    """A clip that is now in the library (loudness in LUFS, peak in dBTP, start in seconds).

    ``warnings``: what the organiser should know about the original (clipping, a removed DC offset).
    """

    clip_id: int
    served_sha256: str
    start_offset_s: float
    loudness_after_lufs: float
    true_peak_dbtp: float
    loudness_flag: str | None
    warnings: tuple[str, ...] = ()


def served_file_name(served_sha256: str) -> str:
    """The opaque name of a served file: its content hash."""
    return f"{served_sha256}.mp3"


def original_file_name(processed: ProcessedClip) -> str:
    """The name the original is kept under: its content hash and the extension of its detected format."""
    return f"{processed.original_sha256}.{processed.original_extension}"


def write_clip_rows(
    session: Session,
    processed: ProcessedClip,
    *,
    replacing: int | None = None,
    metadata: ClipMetadata | None = None,
    uploaded_filename: str | None = None,
    processing: dict | None = None,
) -> IngestResult:
    """Write the clip row, the features row and the served bytes (``clip_blobs``) of a processed clip.

    Parameters
    ----------
    session : Session
        The caller's transaction (flushed here, never committed).
    processed : ProcessedClip
    replacing : int, optional
        Re-processing: the id of the clip whose served audio this replaces; its original file
        and catalogue facts are kept. ``None`` adds a new clip from ``metadata``.
    metadata : ClipMetadata, optional
        Catalogue facts of a new clip (required when ``replacing`` is None).
    uploaded_filename : str, optional
        A new clip's upload name (only a sanitised display copy is stored).
    processing : dict, optional
        ``clips.processing`` when it must say more than ``processed.processing`` (the history
        a forced re-process keeps).

    Raises
    ------
    IngestError
        Invalid metadata.
    sqlalchemy.exc.IntegrityError
        The same original or served audio is already stored (at flush).
    """
    served = {
        "served_sha256": processed.served_sha256,
        "served_name": served_file_name(processed.served_sha256),
        "start_offset_s": processed.start_offset_s,
        "duration_s": processed.duration_s,
        "sample_rate": processed.sample_rate,
        "channels": processed.channels,
        "codec": CODEC,
        "loudness_before_lufs": processed.loudness_before_lufs,
        "loudness_after_lufs": processed.loudness_after_lufs,
        "true_peak_dbtp": processed.true_peak_dbtp,
        "loudness_flag": processed.loudness_flag,
        "processing": processed.processing if processing is None else processing,
    }
    if replacing is None:
        if metadata is None:
            raise ValueError("a new clip needs its metadata")
        clip_id = repository.insert_clip(
            session,
            {
                **served,
                "original_sha256": processed.original_sha256,
                "original_name": original_file_name(processed),
                "uploaded_filename": sanitise_filename(uploaded_filename),
                "original_duration_s": processed.original_duration_s,
                "original_sample_rate": processed.original_sample_rate,
                "original_channels": processed.original_channels,
                "is_demo": metadata.is_demo,
                **metadata.cleaned(),
            },
        )
    else:
        clip_id = repository.update_clip(session, replacing, served).id
    repository.put_features(session, clip_id, processed.features, FEATURE_VERSION)
    repository.put_blob(session, processed.served_sha256, processed.served_bytes)
    return IngestResult(
        clip_id=clip_id,
        served_sha256=processed.served_sha256,
        start_offset_s=processed.start_offset_s,
        loudness_after_lufs=processed.loudness_after_lufs,
        true_peak_dbtp=processed.true_peak_dbtp,
        loudness_flag=processed.loudness_flag,
        warnings=tuple(processed.warnings),
    )


def write_atomically(path: Path, data: bytes | None, copy_from: Path | None = None) -> bool:
    """Write ``data`` (or copy ``copy_from``) to ``path`` unless it exists; True if newly created.

    The bytes go to a temporary file in the same folder first and are renamed into place, so
    a reader never sees a half-written clip.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            if data is not None:
                handle.write(data)
            elif copy_from is not None:
                with open(copy_from, "rb") as original:
                    for chunk in iter(lambda: original.read(1 << 20), b""):
                        handle.write(chunk)
            else:
                raise ValueError("write_atomically needs data or copy_from")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


@contextmanager
def files_removed_on_failure(duplicate_message: str | None = None) -> Iterator[list[Path]]:
    """Collect the paths a block creates; remove them again if the block fails.

    With ``duplicate_message``, an :class:`~sqlalchemy.exc.IntegrityError` (another process
    stored the same audio between our duplicate check and our commit) becomes an
    :class:`IngestError` with that message.
    """
    created: list[Path] = []
    try:
        yield created
    except IntegrityError:
        for path in created:
            path.unlink(missing_ok=True)
        if duplicate_message is None:
            raise
        raise IngestError(duplicate_message) from None
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise


def duplicate_message(filename: str, clip: Clip) -> str:
    """Why ``filename`` was refused: the same audio is already the library's clip ``clip``."""
    name = f" ({clip.title})" if clip.title else ""
    state = ", retired" if clip.retired_at is not None else ""
    return f"{filename}: this audio is already in the library as clip #{clip.id}{name}{state}."


def store_processed(
    processed: ProcessedClip,
    original: bytes | Path,
    metadata: ClipMetadata,
    *,
    uploaded_filename: str | None,
    engine: Engine | None = None,
) -> IngestResult:
    """Write the served file, the original and the catalogue rows of one new processed clip.

    Owns its transaction (files and rows must appear together): one ``session_scope`` on
    ``engine`` (default: the configured database).

    Raises
    ------
    IngestError
        Invalid metadata, or the same original or served audio is already in the library.
    """
    metadata.cleaned()
    display = sanitise_filename(uploaded_filename) or "clip"
    paths = config.ensure_dirs()
    served_path = paths.clips / served_file_name(processed.served_sha256)
    original_path = paths.originals / original_file_name(processed)
    with files_removed_on_failure(f"{display}: this audio is already in the library.") as created:
        with db.session_scope(engine) as session:
            duplicate = repository.find_duplicate(
                session, original_sha256=processed.original_sha256, served_sha256=processed.served_sha256
            )
            if duplicate is not None:
                raise IngestError(duplicate_message(display, duplicate))
            if write_atomically(served_path, processed.served_bytes):
                created.append(served_path)
            if isinstance(original, bytes):
                wrote = write_atomically(original_path, original)
            else:
                wrote = write_atomically(original_path, None, copy_from=original)
            if wrote:
                created.append(original_path)
            result = write_clip_rows(session, processed, metadata=metadata, uploaded_filename=uploaded_filename)
    return result
