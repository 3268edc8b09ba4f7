"""The clip library: the audio package's service API, the one door other packages use to read clips.

Audio owns the ``clips``, ``clip_features``, ``clip_blobs`` and ``library_settings`` tables; their SQL is in
:mod:`audio.repository`, and other packages call the functions here instead (experiment for the
clips it assigns and the bytes it plays, results for the clip catalogue and features).

Functions take an open :class:`sqlalchemy.orm.Session` (from :func:`core.db.session_scope`);
the caller owns the transaction, nothing here commits or rolls back.

Whether participants have heard a clip
--------------------------------------
Trials and responses belong to the experiment package, which audio may not import. Audio
still needs the answer (a heard clip must not be silently re-processed), so the top-level
wiring (the app's start-up and the ``human-touch`` command line) hands audio experiment's
question once with :func:`use_heard_check`; :func:`clip_has_been_heard` asks it. Until it is
wired, :func:`clip_has_been_heard` raises rather than guess: a wrong "no" would let re-processing
change audio that responses describe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session, object_session

from audio import repository, served_bytes
from audio.catalogue import clean_metadata

if TYPE_CHECKING:  # pandas (2 s to import) only where a frame is built: a participant's replica never needs it
    import pandas as pd
from audio.errors import MetadataError
from audio.listener_copy import listener_copy
from audio.processing import ProcessingSettings
from core import config
from core.models import Clip, utcnow

#: Clip columns of :func:`features_frame`, in order (feature columns ``feat_<name>`` follow).
FRAME_COLUMNS = (
    "clip_id",
    "source",
    "title",
    "creator",
    "ai_system",
    "ai_version",
    "genre",
    "vocals",
    "pair_id",
    "licence",
    "is_demo",
    "duration_s",
    "sample_rate",
    "channels",
    "codec",
    "loudness_before_lufs",
    "loudness_after_lufs",
    "true_peak_dbtp",
    "loudness_flag",
    "retired",
    "served_size_bytes",
    "original_format",
    "original_sample_rate",
    "original_channels",
)

HeardCheck = Callable[[Session, int], bool]
"""``check(session, clip_id)``: True when a participant was shown or answered a trial with the clip."""

_heard_check: HeardCheck | None = None


@dataclass(frozen=True)
class ActiveClip:
    """What trial assignment may know about an active clip: its id, source and pair id."""

    clip_id: int
    source: str
    pair_id: str | None


@dataclass(frozen=True)
class ServedAudioFacts:
    """What a player needs before the bytes: the MIME type and the duration in seconds."""

    mime: str
    duration_s: float


# --- processing settings ----------------------------------------------------------------------


def current_processing_settings(session: Session) -> ProcessingSettings:
    """The processing settings in force: the newest saved version, or the defaults if none."""
    saved = repository.newest_settings_config(session)
    return ProcessingSettings.from_dict(saved) if saved is not None else ProcessingSettings()


def save_processing_settings(session: Session, settings: ProcessingSettings) -> None:
    """Save ``settings`` as the new version in force (earlier versions are kept).

    Existing clips keep their processing until re-processed (:func:`audio.reprocess.reprocess`);
    :func:`clips_needing_reprocess` lists them.
    """
    repository.add_settings_config(session, settings.to_dict())


def clips_needing_reprocess(session: Session, settings: ProcessingSettings) -> list[Clip]:
    """Active clips processed with settings other than ``settings``."""
    wanted = settings.to_dict()
    return [clip for clip in list_clips(session) if (clip.processing or {}).get("settings") != wanted]


# --- the catalogue (organiser pages and command line) -------------------------------------------


def list_clips(session: Session, include_retired: bool = False) -> list[Clip]:
    """Clips in the order they were added; retired clips only when ``include_retired``."""
    return repository.list_clips(session, include_retired=include_retired)


def get_clip(session: Session, clip_id: int) -> Clip | None:
    """The clip with id ``clip_id`` (retired or not), or ``None``."""
    return repository.get_clip(session, clip_id)


def _require_clip(session: Session, clip_id: int) -> Clip:
    clip = repository.get_clip(session, clip_id)
    if clip is None:
        raise MetadataError(f"there is no clip #{clip_id}")
    return clip


def update_metadata(session: Session, clip_id: int, **fields) -> Clip:
    """Change catalogue fields of a clip (validated by :func:`audio.catalogue.clean_metadata`).

    Raises
    ------
    MetadataError
        No such clip, or an invalid field; nothing is changed then.
    """
    _require_clip(session, clip_id)
    return repository.update_clip(session, clip_id, clean_metadata(fields, partial=True))


def retire(session: Session, clip_id: int) -> Clip:
    """Take a clip out of future trial lists; its file, features and responses are kept."""
    clip = _require_clip(session, clip_id)
    if clip.retired_at is None:
        return repository.update_clip(session, clip_id, {"retired_at": utcnow()})
    return clip


def unretire(session: Session, clip_id: int) -> Clip:
    """Put a retired clip back into the active library."""
    _require_clip(session, clip_id)
    return repository.update_clip(session, clip_id, {"retired_at": None})


def features_frame(session: Session, include_retired: bool = False) -> pd.DataFrame:
    """One row per clip: catalogue and processing facts plus one ``feat_<name>`` column per feature.

    Columns are :data:`FRAME_COLUMNS` followed by the feature columns in sorted name order.
    A clip without features has NaN there. An empty library gives an empty frame with the
    clip columns.
    """
    import pandas as pd

    rows = []
    sizes = repository.blob_sizes(session)
    for clip in repository.list_clips(session, include_retired=include_retired):
        row = {
            "clip_id": clip.id,
            "source": clip.source,
            "title": clip.title,
            "creator": clip.creator,
            "ai_system": clip.ai_system,
            "ai_version": clip.ai_version,
            "genre": clip.genre,
            "vocals": clip.vocals,
            "pair_id": clip.pair_id,
            "licence": clip.licence,
            "is_demo": bool(clip.is_demo),
            "duration_s": clip.duration_s,
            "sample_rate": clip.sample_rate,
            "channels": clip.channels,
            "codec": clip.codec,
            "loudness_before_lufs": clip.loudness_before_lufs,
            "loudness_after_lufs": clip.loudness_after_lufs,
            "true_peak_dbtp": clip.true_peak_dbtp,
            "loudness_flag": clip.loudness_flag,
            "retired": clip.retired_at is not None,
            "served_size_bytes": sizes.get(clip.served_sha256),
            "original_format": (clip.processing or {}).get("original_format")
            or clip.original_name.rsplit(".", 1)[-1].lower(),
            "original_sample_rate": clip.original_sample_rate,
            "original_channels": clip.original_channels,
        }
        values = clip.features.values if clip.features is not None else {}
        row.update({f"feat_{name}": float(value) for name, value in values.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    feature_columns = sorted(column for column in frame.columns if column.startswith("feat_"))
    return frame[list(FRAME_COLUMNS) + feature_columns]


# --- what other packages read -------------------------------------------------------------------


def active_counts(session: Session) -> dict[str, int]:
    """Number of active (not retired) clips per source, every source present: ``{"human": n, "ai": n}``."""
    return repository.active_counts(session)


def active_clips(session: Session) -> list[ActiveClip]:
    """Every active (not retired) clip as trial assignment sees it, ordered by id."""
    return [ActiveClip(clip_id, source, pair_id) for clip_id, source, pair_id in repository.active_clip_rows(session)]


def clip_records(session: Session) -> list[dict]:
    """One dict per clip in the library (retired ones included: they may have answers).

    Returns
    -------
    list of dict
        ``clip_id``, ``clip_title``, ``clip_creator``, ``source``, ``ai_system``, ``ai_version``,
        ``genre``, ``vocals``, ``pair_id``, ``licence``, ``is_demo``, ``retired_at``,
        ``served_name`` (file name under the clips folder), ``duration_s``,
        ``loudness_after_lufs``, ``true_peak_dbtp`` and ``feature_values`` (dict or None).
        Ordered by clip id.
    """
    return repository.clip_record_rows(session)


_FACTS: WeakKeyDictionary[Engine, dict[int, ServedAudioFacts]] = WeakKeyDictionary()
"""Served audio facts by clip id, per database engine (a new engine starts afresh)."""


def served_audio_facts(session: Session, clip_id: int) -> ServedAudioFacts:
    """MIME type and duration (s) of the audio participants are sent for ``clip_id``.

    Read once per process and database: a clip's served file never changes (a new file is a new
    clip), and every script run of a trial page asks (loading the whole clip row each time was
    a tenth of a trial page's database time; issue 23).
    """
    engine = session.get_bind()
    cached = _FACTS.setdefault(engine, {}) if isinstance(engine, Engine) else {}
    facts = cached.get(clip_id)
    if facts is None:
        clip = _existing_clip(session, clip_id)
        facts = cached[clip_id] = ServedAudioFacts(mime=_mime(clip), duration_s=float(clip.duration_s))
    return facts


def served_audio(session: Session, clip_id: int) -> bytes:
    """The exact bytes participants are sent for ``clip_id``, on any replica with any data folder.

    Read from this process's memory, else the data folder's cache, else the database
    (:mod:`audio.served_bytes`).

    Raises
    ------
    LookupError
        No such clip.
    audio.errors.ServedAudioMissing
        Neither the database nor the data folder has the clip's bytes (a ``FileNotFoundError``).
    """
    return served_bytes.served_bytes(session, _existing_clip(session, clip_id))


def served_audio_for_listener(session: Session, clip_id: int, listener_key: str) -> bytes:
    """The bytes one participant is sent for ``clip_id`` in one trial: the served file, individualised.

    Same length and same decoded samples as :func:`served_audio`, but different bytes for every
    ``listener_key`` (see :mod:`audio.listener_copy`), so no hash of a received file identifies a
    clip for anyone else. The stored copy is unchanged. The same key always gives the same bytes.

    Parameters
    ----------
    session : Session
    clip_id : int
    listener_key : str
        Unique per participant and trial: experiment passes the trial's random audio nonce.

    Raises
    ------
    LookupError, audio.errors.ServedAudioMissing
        As :func:`served_audio`.
    """
    return listener_copy(served_audio(session, clip_id), listener_key)


def _existing_clip(session: Session, clip_id: int) -> Clip:
    clip = repository.get_clip(session, clip_id)
    if clip is None:
        raise LookupError(f"there is no clip #{clip_id}")
    return clip


def _mime(clip: Clip) -> str:
    """The MIME type of a served file, from its codec (MP3) or else its name."""
    if clip.codec.lower().startswith("mp3"):
        return "audio/mpeg"
    suffix = "." + clip.served_name.rsplit(".", 1)[-1].lower() if "." in clip.served_name else ""
    return _MIME_BY_SUFFIX.get(suffix, "application/octet-stream")


_MIME_BY_SUFFIX = {
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
}


# --- files --------------------------------------------------------------------------------------


def clip_path(clip: Clip) -> Path:
    """Where this data folder caches the served file of ``clip`` (``<data>/clips/<sha256>.mp3``).

    Only a cache: the file may be absent on a replica; read the bytes with :func:`served_audio`
    or :func:`read_served_bytes`.
    """
    return served_bytes.cache_path(clip)


def original_path(clip: Clip) -> Path:
    """Where the uploaded original of ``clip`` is kept (``<data>/originals/<sha256>.<ext>``)."""
    return config.paths().originals / clip.original_name


def read_served_bytes(clip: Clip) -> bytes:
    """The exact bytes participants are sent for ``clip`` (an instance loaded in an open session).

    As :func:`served_audio`, for a caller that already holds the clip.
    """
    session = object_session(clip)
    if session is None:
        raise ValueError("read_served_bytes needs a clip loaded in an open session")
    return served_bytes.served_bytes(session, clip)


def store_missing_blobs(echo: Callable[[str], None] | None = None) -> served_bytes.BlobBackfill:
    """Copy served files not yet in the database into it (installations from before ``clip_blobs``).

    Idempotent; run at every start by ``human_touch.startup.prepare``. See
    :func:`audio.served_bytes.store_missing_blobs`.
    """
    return served_bytes.store_missing_blobs(echo=echo)


# --- heard by participants ------------------------------------------------------------------------


def use_heard_check(check: HeardCheck | None) -> None:
    """Set how audio asks whether participants have heard a clip (``None`` unsets it).

    Called once by the top-level wiring with experiment's question
    (``experiment.repository.clip_has_been_heard``); see the module notes for why.
    """
    global _heard_check
    _heard_check = check


def clip_has_been_heard(session: Session, clip_id: int) -> bool:
    """True when a participant answered a trial with this clip or was shown it.

    Such a clip must not be silently re-processed: the responses refer to the audio as it was.

    Raises
    ------
    RuntimeError
        No check was wired with :func:`use_heard_check`.
    """
    if _heard_check is None:
        raise RuntimeError(
            "audio cannot tell whether clips were heard: the start-up wiring must call "
            "audio.library.use_heard_check(experiment.repository.clip_has_been_heard)"
        )
    return bool(_heard_check(session, clip_id))
