"""Re-processing: rebuild a stored clip's served file and features from its kept original.

Used when the processing settings change. A clip participants have already heard or answered
is refused unless forced, because their responses describe the old audio; a forced re-process
records the previous served hash and processing (settings and start) in ``clips.processing``
under ``replaced_served_sha256`` and ``replaced_processing``, so the old audio can be rebuilt.
Whether a clip was heard is asked through :func:`audio.library.clip_has_been_heard`.

The new served bytes go into the database with the new rows (:func:`audio.storage.write_clip_rows`),
so every replica serves them at once. The original is read from this data folder's
``originals``: only staff re-process, on the server that keeps the originals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio import library, repository
from audio.errors import IngestError
from audio.isolation import ProcessingWorker
from audio.pipeline import START_RULE_ORGANISER, ProcessedClip, process_guarded
from audio.processing import ProcessingSettings
from audio.storage import (
    IngestResult,
    duplicate_message,
    files_removed_on_failure,
    served_file_name,
    write_atomically,
    write_clip_rows,
)
from core import config, db
from core.models import Clip


@dataclass(frozen=True)
class _Plan:
    """What re-processing one clip needs, read before the slow processing starts."""

    settings: ProcessingSettings
    original: Path
    display: str
    start_offset_s: float | None
    old_served_name: str
    original_sha256: str


def reprocess(
    clip_id: int,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    force: bool = False,
    engine: Engine | None = None,
    worker: ProcessingWorker | None = None,
) -> IngestResult:
    """Rebuild a clip's served file and features from its kept original.

    Owns its transactions (one to read the clip, one to write the new rows together with the
    new file), on ``engine`` (default: the configured database).

    Parameters
    ----------
    clip_id : int
    settings : ProcessingSettings, optional
        Defaults to the settings in force.
    start_offset_s : float or None
        A new excerpt start, seconds. ``None`` keeps an organiser-chosen start, or re-applies
        the default rule if the clip used it (the default depends on the clip length).
    force : bool
        Re-process even when participants have heard or answered the clip. Their responses
        then describe audio that is no longer served; the previous served hash is recorded.
    worker : ProcessingWorker, optional
        Decode and process the original in this worker process (as the add-clips page does);
        ``None`` processes in this process.

    Raises
    ------
    IngestError
        No such clip, original missing, clip already heard (without ``force``), or the new
        audio duplicates another clip; nothing is changed then.
    """
    with db.session_scope(engine) as session:
        plan = _plan(session, clip_id, settings, start_offset_s, force)
    if not plan.original.is_file():
        raise IngestError(f"{plan.display}: the kept original file is missing, so the clip cannot be re-processed.")
    if worker is not None:
        processed = worker.process(
            plan.original, plan.display, plan.settings, plan.start_offset_s, plan.original_sha256
        )
    else:
        processed = process_guarded(
            plan.original, plan.display, plan.settings, plan.start_offset_s, plan.original_sha256
        )

    served_path = config.ensure_dirs().clips / served_file_name(processed.served_sha256)
    with files_removed_on_failure() as created:
        if write_atomically(served_path, processed.served_bytes):
            created.append(served_path)
        with db.session_scope(engine) as session:
            duplicate = repository.find_duplicate(session, served_sha256=processed.served_sha256)
            if duplicate is not None and duplicate.id != clip_id:
                raise IngestError(duplicate_message(plan.display, duplicate))
            clip = repository.get_clip(session, clip_id)
            if clip is None:
                raise IngestError(f"clip #{clip_id} no longer exists")
            old_served_sha256 = clip.served_sha256
            processing = _processing_with_history(session, clip, processed)
            result = write_clip_rows(session, processed, replacing=clip_id, processing=processing)
            if "replaced_served_sha256" not in processing and old_served_sha256 != processed.served_sha256:
                # Nobody heard the old audio: its bytes need not be kept (heard audio keeps its blob).
                repository.delete_blob_unless_used(session, old_served_sha256)
    if plan.old_served_name != served_path.name:
        (config.paths().clips / plan.old_served_name).unlink(missing_ok=True)
    return result


def _plan(
    session: Session, clip_id: int, settings: ProcessingSettings | None, start_offset_s: float | None, force: bool
) -> _Plan:
    """Check that ``clip_id`` may be re-processed and gather what processing it needs."""
    clip = repository.get_clip(session, clip_id)
    if clip is None:
        raise IngestError(f"there is no clip #{clip_id}")
    if not force and library.clip_has_been_heard(session, clip_id):
        raise IngestError(
            f"clip #{clip_id} has been played to participants; re-processing would change the audio "
            f"their responses describe. Retire it and add it again, or force the re-process."
        )
    previous_rule = (clip.processing or {}).get("start_offset_rule", "")
    if start_offset_s is None and previous_rule == START_RULE_ORGANISER:
        start_offset_s = clip.start_offset_s
    return _Plan(
        settings=settings or library.current_processing_settings(session),
        original=library.original_path(clip),
        display=clip.uploaded_filename or f"clip #{clip_id}",
        start_offset_s=start_offset_s,
        old_served_name=clip.served_name,
        original_sha256=clip.original_sha256,
    )


def _processing_with_history(session: Session, clip: Clip, processed: ProcessedClip) -> dict:
    """``clips.processing`` for the new audio; when heard audio changes, how to rebuild the old one."""
    processing = dict(processed.processing)
    if clip.served_sha256 != processed.served_sha256 and library.clip_has_been_heard(session, clip.id):
        # What participants heard can be rebuilt from the original with these.
        processing["replaced_served_sha256"] = clip.served_sha256
        processing["replaced_processing"] = {**(clip.processing or {}), "start_offset_s": clip.start_offset_s}
    return processing
