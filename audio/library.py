"""The clip library repository: every SQL query of the audio package lives here.

Functions take a :class:`sqlalchemy.orm.Session` (from :func:`core.db.session_scope`) so the
caller decides the transaction. Catalogue metadata is validated here, once, for every path
that writes it (ingest, manifest import, the library page's edits).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from audio.errors import MetadataError
from audio.processing import ProcessingSettings
from core import config
from core.models import Clip, LibrarySettings, Response, Trial, utcnow

#: Catalogue fields an organiser may edit, with their maximum length (None: unlimited text).
EDITABLE_FIELDS: dict[str, int | None] = {
    "source": 8,
    "title": 300,
    "creator": 300,
    "ai_system": 200,
    "ai_version": 100,
    "prompt": None,
    "genre": 100,
    "vocals": 16,
    "pair_id": 100,
    "licence": 200,
    "provenance": None,
    "notes": None,
}

SOURCES = ("human", "ai")
VOCALS = ("vocal", "instrumental")
_VOCALS_SYNONYMS = {"vocal": "vocal", "vocals": "vocal", "instrumental": "instrumental"}

#: Clip columns of :func:`features_frame`, in order (feature columns ``feat_<name>`` follow).
FRAME_COLUMNS = (
    "clip_id", "source", "title", "creator", "ai_system", "ai_version", "genre", "vocals", "pair_id",
    "licence", "is_demo", "duration_s", "sample_rate", "channels", "codec", "loudness_before_lufs",
    "loudness_after_lufs", "true_peak_dbtp", "loudness_flag", "retired",
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- processing settings ----------------------------------------------------------------------

def current_processing_settings(session: Session) -> ProcessingSettings:
    """The processing settings in force: the newest saved row, or the defaults if none."""
    row = session.scalars(select(LibrarySettings).order_by(LibrarySettings.id.desc()).limit(1)).first()
    return ProcessingSettings.from_dict(row.config) if row is not None else ProcessingSettings()


def save_processing_settings(session: Session, settings: ProcessingSettings) -> None:
    """Save ``settings`` as the new version in force (earlier versions are kept).

    Existing clips keep their processing until re-processed (:func:`audio.ingest.reprocess`);
    :func:`clips_needing_reprocess` lists them.
    """
    session.add(LibrarySettings(config=settings.to_dict()))
    session.flush()


def clips_needing_reprocess(session: Session, settings: ProcessingSettings) -> list[Clip]:
    """Active clips processed with settings other than ``settings``."""
    wanted = settings.to_dict()
    return [clip for clip in list_clips(session)
            if (clip.processing or {}).get("settings") != wanted]


# --- metadata ---------------------------------------------------------------------------------

def sanitise_filename(name: str | None) -> str | None:
    """A display-only version of an uploaded file name.

    Keeps the last path component (``/`` and ``\\`` are path separators), removes control
    characters and markup characters (``<>&"'```), collapses whitespace and cuts to 255
    characters. Stored files are always named by content hash; this string is never used to
    open a file.
    """
    if name is None:
        return None
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = _CONTROL.sub("", base)
    base = re.sub(r"[<>&\"'`]", "_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    return base[:255] or None


def clean_metadata(fields: dict, *, partial: bool = False) -> dict:
    """Validate and normalise catalogue fields.

    Parameters
    ----------
    fields : dict
        Field name to value; names must be in :data:`EDITABLE_FIELDS`. Strings are stripped,
        control characters removed, empty strings become ``None``.
    partial : bool
        False (a new clip): ``source`` is required. True (an edit): only the given fields
        are checked.

    Returns
    -------
    dict
        The cleaned fields.

    Raises
    ------
    MetadataError
        Unknown field, missing or invalid source, invalid vocals value, text too long.
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise MetadataError(f"unknown field(s): {', '.join(unknown)}")
    cleaned: dict = {}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            value = str(value)
        if value is not None:
            value = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip() or None
        limit = EDITABLE_FIELDS[name]
        if value is not None and limit is not None and len(value) > limit:
            raise MetadataError(f"{name} is longer than {limit} characters")
        cleaned[name] = value
    if "source" in cleaned or not partial:
        source = (cleaned.get("source") or "").lower()
        if source not in SOURCES:
            raise MetadataError(f"source must be {' or '.join(map(repr, SOURCES))}")
        cleaned["source"] = source
    if cleaned.get("vocals") is not None:
        vocals = _VOCALS_SYNONYMS.get(cleaned["vocals"].lower())
        if vocals is None:
            raise MetadataError(f"vocals must be {' or '.join(map(repr, VOCALS))} (or empty)")
        cleaned["vocals"] = vocals
    return cleaned


# --- clips ------------------------------------------------------------------------------------

def list_clips(session: Session, include_retired: bool = False) -> list[Clip]:
    """Clips in the order they were added; retired clips only when ``include_retired``."""
    query = select(Clip).options(selectinload(Clip.features)).order_by(Clip.id)
    if not include_retired:
        query = query.where(Clip.retired_at.is_(None))
    return list(session.scalars(query))


def get_clip(session: Session, clip_id: int) -> Clip | None:
    """The clip with id ``clip_id`` (retired or not), or ``None``."""
    return session.get(Clip, clip_id)


def _require_clip(session: Session, clip_id: int) -> Clip:
    clip = get_clip(session, clip_id)
    if clip is None:
        raise MetadataError(f"there is no clip #{clip_id}")
    return clip


def find_duplicate(session: Session, *, original_sha256: str | None = None,
                   served_sha256: str | None = None) -> Clip | None:
    """A clip (retired or not) with the same original or served content hash, if any."""
    conditions = []
    if original_sha256:
        conditions.append(Clip.original_sha256 == original_sha256)
    if served_sha256:
        conditions.append(Clip.served_sha256 == served_sha256)
    if not conditions:
        return None
    return session.scalars(select(Clip).where(or_(*conditions)).limit(1)).first()


def update_metadata(session: Session, clip_id: int, **fields) -> Clip:
    """Change catalogue fields of a clip (validated by :func:`clean_metadata`).

    Raises
    ------
    MetadataError
        No such clip, or an invalid field; nothing is changed then.
    """
    clip = _require_clip(session, clip_id)
    for name, value in clean_metadata(fields, partial=True).items():
        setattr(clip, name, value)
    session.flush()
    return clip


def retire(session: Session, clip_id: int) -> Clip:
    """Take a clip out of future trial lists; its file, features and responses are kept."""
    clip = _require_clip(session, clip_id)
    if clip.retired_at is None:
        clip.retired_at = utcnow()
    session.flush()
    return clip


def unretire(session: Session, clip_id: int) -> Clip:
    """Put a retired clip back into the active library."""
    clip = _require_clip(session, clip_id)
    clip.retired_at = None
    session.flush()
    return clip


def clip_has_been_heard(session: Session, clip_id: int) -> bool:
    """True when a participant answered a trial with this clip or was shown it.

    Such a clip must not be silently re-processed: the responses refer to the audio as it was.
    """
    answered = session.scalar(
        select(func.count()).select_from(Response).join(Trial, Response.trial_id == Trial.id)
        .where(Trial.clip_id == clip_id))
    shown = session.scalar(
        select(func.count()).select_from(Trial)
        .where(Trial.clip_id == clip_id, Trial.first_shown_at.is_not(None)))
    return bool(answered or shown)


def clip_path(clip: Clip) -> Path:
    """Where the served file of ``clip`` lives (``<data>/clips/<sha256>.mp3``)."""
    return config.paths().clips / clip.served_name


def original_path(clip: Clip) -> Path:
    """Where the uploaded original of ``clip`` is kept (``<data>/originals/<sha256>.<ext>``)."""
    return config.paths().originals / clip.original_name


def read_served_bytes(clip: Clip) -> bytes:
    """The exact bytes participants are sent for ``clip``."""
    return clip_path(clip).read_bytes()


def active_counts(session: Session) -> dict[str, int]:
    """Number of active (not retired) clips per source: ``{"human": n, "ai": n}``."""
    counts = dict.fromkeys(SOURCES, 0)
    rows = session.execute(
        select(Clip.source, func.count()).where(Clip.retired_at.is_(None)).group_by(Clip.source))
    for source, count in rows:
        counts[source] = int(count)
    return counts


def features_frame(session: Session, include_retired: bool = False) -> pd.DataFrame:
    """One row per clip: catalogue and processing facts plus one ``feat_<name>`` column per feature.

    Columns are :data:`FRAME_COLUMNS` followed by the feature columns in sorted name order.
    A clip without features has NaN there. An empty library gives an empty frame with the
    clip columns.
    """
    rows = []
    for clip in list_clips(session, include_retired=include_retired):
        row = {
            "clip_id": clip.id, "source": clip.source, "title": clip.title, "creator": clip.creator,
            "ai_system": clip.ai_system, "ai_version": clip.ai_version, "genre": clip.genre,
            "vocals": clip.vocals, "pair_id": clip.pair_id, "licence": clip.licence,
            "is_demo": bool(clip.is_demo), "duration_s": clip.duration_s, "sample_rate": clip.sample_rate,
            "channels": clip.channels, "codec": clip.codec, "loudness_before_lufs": clip.loudness_before_lufs,
            "loudness_after_lufs": clip.loudness_after_lufs, "true_peak_dbtp": clip.true_peak_dbtp,
            "loudness_flag": clip.loudness_flag, "retired": clip.retired_at is not None,
        }
        values = clip.features.values if clip.features is not None else {}
        row.update({f"feat_{name}": float(value) for name, value in values.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    feature_columns = sorted(column for column in frame.columns if column.startswith("feat_"))
    return frame[list(FRAME_COLUMNS) + feature_columns]
