"""Bulk import: many files at once, from folders or a manifest CSV, processed by a worker pool.

Decoding, processing, encoding and features (:func:`audio.pipeline.process_audio`) run in
worker processes (:func:`audio.isolation.process_many`); this process alone writes files and rows
(:func:`audio.storage.store_processed`), because SQLite has one writer. A failed file does not stop
the others, and a worker that dies (a decoder crash) fails only the file it was processing.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from audio import library
from audio.catalogue import ClipMetadata, sanitise_filename
from audio.decode import AUDIO_EXTENSIONS
from audio.errors import IngestError
from audio.ingest import settings_unless_duplicate
from audio.isolation import Job, process_job, process_many
from audio.pipeline import ProcessedClip, file_sha256
from audio.processing import ProcessingSettings
from audio.storage import IngestResult, store_processed
from core import db

#: Columns of an import manifest CSV (``path`` and ``source`` are required).
MANIFEST_COLUMNS = (
    "path",
    "source",
    "title",
    "creator",
    "ai_system",
    "ai_version",
    "prompt",
    "genre",
    "vocals",
    "pair_id",
    "licence",
    "provenance",
    "notes",
    "start_offset_s",
)


@dataclass(frozen=True)
class ImportItem:
    """One file of a bulk import, with its catalogue facts and optional excerpt start (s)."""

    path: Path
    metadata: ClipMetadata
    start_offset_s: float | None = None


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one :class:`ImportItem`; ``message`` is the reason when ``result`` is None."""

    path: Path
    result: IngestResult | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None


ProgressCallback = Callable[[ImportOutcome, int, int], None]


@dataclass(frozen=True)
class _Pending:
    """An item that passed the parent-side checks, waiting for a worker."""

    index: int
    item: ImportItem
    display: str
    digest: str


def collect_audio_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders (recursively) to their audio files; files are kept as given.

    Folder contents are filtered by extension (:data:`audio.decode.AUDIO_EXTENSIONS`) and
    sorted; a file named explicitly is always kept so that a wrong format gets a clear message
    rather than being skipped silently. Missing paths are kept too (they fail with "not found").
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")
                )
            )
        else:
            files.append(path)
    return files


def read_manifest(csv_path: str | os.PathLike) -> list[ImportItem]:
    """Read an import manifest (CSV with :data:`MANIFEST_COLUMNS`; paths relative to the CSV).

    Raises
    ------
    IngestError
        Unreadable CSV, unknown or missing columns, or invalid rows; the message lists every
        problem with its line number, and nothing is imported.
    """
    csv_path = Path(csv_path)
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise IngestError(f"{csv_path.name}: cannot read the manifest ({error}).") from None
    _check_manifest_header(csv_path, header)
    items: list[ImportItem] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if key}
        try:
            items.append(_manifest_item(csv_path, row))
        except IngestError as error:
            problems.append(f"line {line}: {error}")
    if problems:
        raise IngestError(f"{csv_path.name}: " + "; ".join(problems))
    return items


def _check_manifest_header(csv_path: Path, header: list[str]) -> None:
    unknown = sorted(set(header) - set(MANIFEST_COLUMNS))
    missing = [name for name in ("path", "source") if name not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise IngestError(f"{csv_path.name}: {'; '.join(parts)}. Columns: {','.join(MANIFEST_COLUMNS)}")


def _manifest_item(csv_path: Path, row: dict[str, str]) -> ImportItem:
    """One manifest row (stripped strings) as an item; :class:`IngestError` says what is wrong with it."""
    if not row.get("path"):
        raise IngestError("path is empty")
    start: float | None = None
    if row.get("start_offset_s"):
        try:
            start = float(row["start_offset_s"])
        except ValueError:
            start = math.nan
        if not math.isfinite(start) or start < 0:
            raise IngestError("start_offset_s must be a number of seconds >= 0")
    fields: dict[str, Any] = {
        key: row.get(key) or None for key in MANIFEST_COLUMNS if key not in ("path", "start_offset_s")
    }
    metadata = ClipMetadata(**fields)
    metadata.cleaned()
    return ImportItem(path=(csv_path.parent / row["path"]).resolve(), metadata=metadata, start_offset_s=start)


def import_items(
    items: Sequence[ImportItem],
    settings: ProcessingSettings | None = None,
    *,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    engine: Engine | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> list[ImportOutcome]:
    """Import many files: decode/process/encode/features in worker processes, store in this one.

    Each stored clip is its own transaction (:func:`audio.storage.store_processed`).

    Parameters
    ----------
    items : sequence of ImportItem
    settings : ProcessingSettings, optional
        Defaults to the settings in force.
    workers : int
        Worker processes (default 2, one per core here). 0 processes in this process, without
        protection against a decoder crash (trusted files only).
    progress : callable, optional
        Called as ``progress(outcome, done, total)`` after each file, in completion order.
    engine : sqlalchemy.Engine, optional
    pool : ProcessPoolExecutor, optional
        ``workers`` worker processes started earlier (see :func:`audio.isolation.process_many`);
        the caller shuts it down. Default: started here.

    Returns
    -------
    list of ImportOutcome
        In the order of ``items``. A failed file does not stop the others.
    """
    with db.session_scope(engine) as session:
        settings = settings or library.current_processing_settings(session)
    outcomes: list[ImportOutcome | None] = [None] * len(items)

    def finish(index: int, outcome: ImportOutcome) -> None:
        outcomes[index] = outcome
        if progress is not None:
            progress(outcome, sum(o is not None for o in outcomes), len(items))

    def store(pending: _Pending, processed: ProcessedClip | None, reason: str) -> None:
        path = pending.item.path
        if processed is None:
            finish(pending.index, ImportOutcome(path=path, message=reason))
            return
        try:
            result = store_processed(processed, path, pending.item.metadata, uploaded_filename=path.name, engine=engine)
        except IngestError as error:
            finish(pending.index, ImportOutcome(path=path, message=str(error)))
            return
        finish(pending.index, ImportOutcome(path=path, result=result))

    pending = _checked_in_parent(items, settings, engine, finish)
    _process_all(pending, settings, workers, store, pool)
    return [outcome for outcome in outcomes if outcome is not None]


def _checked_in_parent(
    items: Sequence[ImportItem],
    settings: ProcessingSettings,
    engine: Engine | None,
    finish: Callable[[int, ImportOutcome], None],
) -> list[_Pending]:
    """Parent-side checks first: cheap, and they catch duplicates within the batch too.

    Items that fail are finished here with their reason; the others are returned.
    """
    pending: list[_Pending] = []
    seen: dict[str, Path] = {}
    for index, item in enumerate(items):
        display = sanitise_filename(item.path.name) or "file"
        try:
            item.metadata.cleaned()
            if not item.path.is_file():
                raise IngestError(f"{display}: file not found.")
            digest = file_sha256(item.path)
            if digest in seen:
                raise IngestError(f"{display}: same file as {seen[digest].name} earlier in this import.")
            settings_unless_duplicate(digest, display, settings, engine)
        except IngestError as error:
            finish(index, ImportOutcome(path=item.path, message=str(error)))
            continue
        seen[digest] = item.path
        pending.append(_Pending(index, item, display, digest))
    return pending


def _process_all(
    pending: list[_Pending],
    settings: ProcessingSettings,
    workers: int,
    store: Callable[[_Pending, ProcessedClip | None, str], None],
    pool: ProcessPoolExecutor | None = None,
) -> None:
    """Process every pending item and store each as it completes (in worker processes unless ``workers`` is 0)."""
    jobs = [Job(job.item.path, job.display, settings.to_dict(), job.item.start_offset_s, job.digest) for job in pending]
    if workers <= 0:
        for job, isolated in zip(pending, jobs):
            store(job, *process_job(isolated))
        return
    process_many(jobs, workers, lambda index, processed, reason: store(pending[index], processed, reason), pool)
