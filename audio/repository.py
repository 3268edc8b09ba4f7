"""Every SQL statement on audio's tables: ``clips``, ``clip_features``, ``clip_blobs``, ``library_settings`` and
``pair_overrides``.

Functions take an open :class:`sqlalchemy.orm.Session` and leave the transaction to whoever
opened it (they flush, never commit or roll back). Other packages do not call this module: they
call :mod:`audio.library`, the package's service API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.models import Clip, ClipBlob, ClipFeatures, LibrarySettings, PairOverride, utcnow
from core.vocabulary import SOURCES

# --- processing settings ----------------------------------------------------------------------


def newest_settings_config(session: Session) -> dict | None:
    """The newest saved processing-settings dict, or ``None`` when none was ever saved."""
    row = session.scalars(select(LibrarySettings).order_by(LibrarySettings.id.desc()).limit(1)).first()
    return row.config if row is not None else None


def add_settings_config(session: Session, config: dict) -> None:
    """Save ``config`` as the newest processing settings (earlier versions are kept)."""
    session.add(LibrarySettings(config=config))
    session.flush()


# --- clips ------------------------------------------------------------------------------------


def list_clips(session: Session, include_retired: bool = False) -> list[Clip]:
    """Clips in the order they were added, features loaded; retired clips only when ``include_retired``."""
    query = select(Clip).options(selectinload(Clip.features)).order_by(Clip.id)
    if not include_retired:
        query = query.where(Clip.retired_at.is_(None))
    return list(session.scalars(query))


def get_clip(session: Session, clip_id: int) -> Clip | None:
    """The clip with id ``clip_id`` (retired or not), or ``None``."""
    return session.get(Clip, clip_id)


def find_duplicate(
    session: Session, *, original_sha256: str | None = None, served_sha256: str | None = None
) -> Clip | None:
    """A clip (retired or not) with the same original or served content hash, if any."""
    conditions = []
    if original_sha256:
        conditions.append(Clip.original_sha256 == original_sha256)
    if served_sha256:
        conditions.append(Clip.served_sha256 == served_sha256)
    if not conditions:
        return None
    return session.scalars(select(Clip).where(or_(*conditions)).limit(1)).first()


def active_counts(session: Session) -> dict[str, int]:
    """Number of active (not retired) clips per source, every source present: ``{"human": n, "ai": n}``."""
    counts = {source.value: 0 for source in SOURCES}
    rows = session.execute(select(Clip.source, func.count()).where(Clip.retired_at.is_(None)).group_by(Clip.source))
    for source, count in rows:
        counts[source] = int(count)
    return counts


def active_clip_rows(session: Session) -> list[tuple[int, str, str | None]]:
    """``(clip_id, source, pair_id)`` of every active clip, ordered by id."""
    rows = session.execute(
        select(Clip.id, Clip.source, Clip.pair_id).where(Clip.retired_at.is_(None)).order_by(Clip.id)
    ).all()
    return [(row.id, row.source, row.pair_id) for row in rows]


def clip_record_rows(session: Session) -> list[dict]:
    """One dict per clip (retired included), catalogue, processing facts and ``feature_values``, by id."""
    statement = (
        select(
            Clip.id.label("clip_id"),
            Clip.title.label("clip_title"),
            Clip.creator.label("clip_creator"),
            Clip.source,
            Clip.ai_system,
            Clip.ai_version,
            Clip.genre,
            Clip.vocals,
            Clip.pair_id,
            Clip.licence,
            Clip.is_demo,
            Clip.retired_at,
            Clip.served_name,
            Clip.duration_s,
            Clip.loudness_after_lufs,
            Clip.true_peak_dbtp,
            ClipFeatures.values.label("feature_values"),
        )
        .outerjoin(ClipFeatures, ClipFeatures.clip_id == Clip.id)
        .order_by(Clip.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


# --- writing clip rows ------------------------------------------------------------------------


def insert_clip(session: Session, columns: Mapping[str, Any]) -> int:
    """Add a clip row with ``columns``; returns its id (an IntegrityError propagates on a duplicate hash)."""
    clip = Clip(**columns)
    session.add(clip)
    session.flush()
    return clip.id


def update_clip(session: Session, clip_id: int, columns: Mapping[str, Any]) -> Clip:
    """Set ``columns`` on the clip ``clip_id`` (which must exist) and return it."""
    clip = session.get(Clip, clip_id)
    if clip is None:
        raise LookupError(f"there is no clip #{clip_id}")
    for name, value in columns.items():
        setattr(clip, name, value)
    session.flush()
    return clip


def put_features(session: Session, clip_id: int, values: dict[str, float], extractor_version: str) -> None:
    """Store the features of ``clip_id``: a new row, or the existing row overwritten and re-dated."""
    row = session.get(ClipFeatures, clip_id)
    if row is None:
        session.add(ClipFeatures(clip_id=clip_id, extractor_version=extractor_version, values=values))
    else:
        row.values = values
        row.extractor_version = extractor_version
        row.computed_at = utcnow()
    session.flush()


# --- served bytes (clip_blobs) ------------------------------------------------------------------


def blob_exists(session: Session, sha256: str) -> bool:
    """True when the bytes with content hash ``sha256`` are stored."""
    return session.scalar(select(exists().where(ClipBlob.sha256 == sha256))) or False


def put_blob(session: Session, sha256: str, data: bytes) -> bool:
    """Store ``data`` under its content hash unless it is stored already; True if newly added.

    Another process adding the same bytes meanwhile is absorbed in a SAVEPOINT (the bytes
    behind a hash are the same whoever wrote them), so the caller's transaction stays usable.
    """
    if blob_exists(session, sha256):
        return False
    try:
        with session.begin_nested():
            session.add(ClipBlob(sha256=sha256, data=data, byte_size=len(data)))
    except IntegrityError:
        return False
    return True


def blob_sizes(session: Session) -> dict[str, int]:
    """Byte size of every stored served file, by content hash (the bytes themselves are not read)."""
    return {sha256: size for sha256, size in session.execute(select(ClipBlob.sha256, ClipBlob.byte_size))}


def blob_data(session: Session, sha256: str) -> bytes | None:
    """The stored bytes with content hash ``sha256``, or ``None``."""
    data = session.scalar(select(ClipBlob.data).where(ClipBlob.sha256 == sha256))
    return bytes(data) if data is not None else None


def delete_blob_unless_used(session: Session, sha256: str) -> bool:
    """Delete the stored bytes ``sha256`` when no clip serves them any more; True if deleted."""
    if session.scalar(select(exists().where(Clip.served_sha256 == sha256))):
        return False
    deleted = cast(CursorResult[Any], session.execute(delete(ClipBlob).where(ClipBlob.sha256 == sha256)))
    return deleted.rowcount > 0


def clips_without_blob(session: Session) -> list[tuple[int, str, str]]:
    """``(clip_id, served_sha256, served_name)`` of every clip (retired too) whose bytes are not stored, by id."""
    missing = ~exists().where(ClipBlob.sha256 == Clip.served_sha256)
    rows = session.execute(select(Clip.id, Clip.served_sha256, Clip.served_name).where(missing).order_by(Clip.id))
    return [(row.id, row.served_sha256, row.served_name) for row in rows]


# --- similarity-pair overrides (audio.pairing) ---------------------------------------------------


def pair_overrides(session: Session) -> dict[int, int]:
    """Every override as ``{human clip id: AI clip id}``."""
    return {row.human_clip_id: row.ai_clip_id for row in session.scalars(select(PairOverride))}


def set_pair_override(session: Session, human_clip_id: int, ai_clip_id: int) -> None:
    """Pair the two clips, releasing any other override either clip was in."""
    clear_pair_override(session, human_clip_id, ai_clip_id)
    session.add(PairOverride(human_clip_id=human_clip_id, ai_clip_id=ai_clip_id))
    session.flush()


def clear_pair_override(session: Session, human_clip_id: int, ai_clip_id: int | None = None) -> int:
    """Remove the overrides the clips are in; how many were removed."""
    condition = PairOverride.human_clip_id == human_clip_id
    if ai_clip_id is not None:
        condition = or_(condition, PairOverride.ai_clip_id == ai_clip_id)
    removed = cast(CursorResult[Any], session.execute(delete(PairOverride).where(condition)))
    session.flush()
    return int(removed.rowcount or 0)
