"""Clips that travel with a study archive: the archived record of a clip, and adding it to another library.

A study archive (``results.archive``) carries each clip the study plays as its catalogue record,
processing facts and features (:func:`archived_records`) beside its served bytes. Importing puts the
clip into this server's library exactly as archived (:func:`import_clip`): the same processed bytes,
facts and features, never re-processed, so participants on both servers hear the same audio and
the results read the same features. This is the audio package's service for it; the SQL stays in
:mod:`audio.repository`.

Clips already here
------------------
``served_sha256`` and ``original_sha256`` are unique in the library:

- the same *served* bytes are already here: that clip is reused (same audio; its catalogue row,
  retired or not, is this library's and is left alone);
- the same *original* with different served bytes (the other server processed the upload with other
  settings): the archived clip is added as a clip of its own, because the study must play the
  bytes it was run with. Its ``original_sha256`` column then holds a key derived from the original
  and served hashes (so uploads of the original still find this library's own clip as the
  duplicate), and ``processing["archived_original_sha256"]`` keeps the true hash.

No function here commits: the caller's transaction holds the whole import.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from audio import repository, served_bytes
from audio.catalogue import EDITABLE_FIELDS, clean_metadata, sanitise_filename
from audio.errors import IngestError, MetadataError
from core.models import utcnow

FACT_COLUMNS = (
    "start_offset_s",
    "duration_s",
    "sample_rate",
    "channels",
    "codec",
    "original_duration_s",
    "original_sample_rate",
    "original_channels",
    "loudness_before_lufs",
    "loudness_after_lufs",
    "true_peak_dbtp",
    "loudness_flag",
)
"""Processing facts of what participants hear, copied as archived."""

SERVED_SUFFIXES = frozenset({"mp3", "ogg", "opus", "m4a", "wav", "flac"})
"""File extensions a served clip may have (its stored name is always ``<sha256>.<suffix>``)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX = re.compile(r"^[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class ImportedClip:
    """Where an archived clip went: ``status`` is "reused", "added" or "added_beside_original"."""

    archived_id: int
    clip_id: int
    status: str
    retired: bool


def served_suffix(record: dict[str, Any]) -> str:
    """The extension of an archived clip's served file ("mp3"), checked against :data:`SERVED_SUFFIXES`."""
    suffix = str(record.get("served_name", "")).rsplit(".", 1)[-1].lower()
    if suffix not in SERVED_SUFFIXES:
        raise IngestError(f"archived clip {record.get('id')}: served files of type {suffix!r} are not accepted")
    return suffix


def archived_records(session: Session, clip_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The archive record of each clip in ``clip_ids`` (by id; unknown ids are skipped).

    Returns
    -------
    list of dict
        JSON-ready: ``id``, the served and original hashes and names, :data:`FACT_COLUMNS`,
        ``processing``, the catalogue fields (``audio.catalogue.EDITABLE_FIELDS``), ``is_demo``,
        ``created_at`` and ``retired_at`` (ISO 8601 or None), ``served_size_bytes`` and ``features``
        (``{"extractor_version", "values"}`` or None).
    """
    wanted = set(clip_ids)
    sizes = repository.blob_sizes(session)
    records = []
    for clip in repository.list_clips(session, include_retired=True):
        if clip.id not in wanted:
            continue
        record: dict[str, Any] = {
            "id": clip.id,
            "served_sha256": clip.served_sha256,
            "served_name": clip.served_name,
            "served_size_bytes": sizes.get(clip.served_sha256),
            "original_sha256": clip.original_sha256,
            "original_name": clip.original_name,
            "uploaded_filename": clip.uploaded_filename,
            **{column: getattr(clip, column) for column in FACT_COLUMNS},
            "processing": clip.processing or {},
            **{field: getattr(clip, field) for field in EDITABLE_FIELDS},
            "is_demo": bool(clip.is_demo),
            "created_at": _iso(clip.created_at),
            "retired_at": _iso(clip.retired_at),
            "features": None,
        }
        if clip.features is not None:
            record["features"] = {"extractor_version": clip.features.extractor_version, "values": clip.features.values}
        records.append(record)
    return records


def served_bytes_of(session: Session, clip_id: int) -> bytes:
    """The exact bytes participants are sent for ``clip_id`` (memory, data folder or database)."""
    clip = repository.get_clip(session, clip_id)
    if clip is None:
        raise LookupError(f"there is no clip #{clip_id}")
    return served_bytes.served_bytes(session, clip)


def import_clip(session: Session, record: dict[str, Any], data: bytes) -> ImportedClip:
    """Put one archived clip (``record`` from :func:`archived_records`, ``data`` its served bytes) into the library.

    Reuses a clip with the same served bytes, else adds the clip row, its features and its bytes
    exactly as archived (see the module notes for an original that is already here).

    Raises
    ------
    IngestError
        ``data`` is not the archived clip's bytes, or the record is malformed (a sentence saying which).
    """
    sha = str(record.get("served_sha256", ""))
    if not _SHA256.fullmatch(sha) or hashlib.sha256(data).hexdigest() != sha:
        raise IngestError(f"archived clip {record.get('id')}: its audio does not match its SHA-256")
    existing = repository.find_duplicate(session, served_sha256=sha)
    if existing is not None:
        return ImportedClip(int(record["id"]), existing.id, "reused", existing.retired_at is not None)
    columns = _columns(record, sha)
    status = "added"
    if repository.find_duplicate(session, original_sha256=columns["original_sha256"]) is not None:
        status = "added_beside_original"
        columns["processing"] = {**columns["processing"], "archived_original_sha256": columns["original_sha256"]}
        columns["original_sha256"] = hashlib.sha256(f"archived:{columns['original_sha256']}:{sha}".encode()).hexdigest()
    clip_id = repository.insert_clip(session, columns)
    features = record.get("features")
    if isinstance(features, dict) and isinstance(features.get("values"), dict):
        values = {str(name): float(value) for name, value in features["values"].items()}
        repository.put_features(session, clip_id, values, str(features.get("extractor_version", ""))[:32])
    repository.put_blob(session, sha, data)
    return ImportedClip(int(record["id"]), clip_id, status, columns["retired_at"] is not None)


def _columns(record: dict[str, Any], sha: str) -> dict[str, Any]:
    """The clip row of an archived record, validated: file names are rebuilt from the hashes, never trusted."""
    original = str(record.get("original_sha256", ""))
    original_suffix = str(record.get("original_name", "")).rsplit(".", 1)[-1].lower()
    if not _SHA256.fullmatch(original) or not _SUFFIX.fullmatch(original_suffix):
        raise IngestError(f"archived clip {record.get('id')}: malformed original hash or name")
    try:
        catalogue = clean_metadata({field: record.get(field) for field in EDITABLE_FIELDS})
        facts = {column: record.get(column) for column in FACT_COLUMNS}
        for column in ("duration_s", "sample_rate", "channels", "codec"):
            if facts[column] is None:
                raise MetadataError(f"{column} is missing")
    except MetadataError as error:
        raise IngestError(f"archived clip {record.get('id')}: {error}") from None
    processing = record.get("processing")
    return {
        "served_sha256": sha,
        "served_name": f"{sha}.{served_suffix(record)}",
        "original_sha256": original,
        "original_name": f"{original}.{original_suffix}",
        "uploaded_filename": sanitise_filename(record.get("uploaded_filename")),
        **facts,
        "processing": processing if isinstance(processing, dict) else {},
        **catalogue,
        "is_demo": bool(record.get("is_demo")),
        "retired_at": utcnow() if record.get("retired_at") else None,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
