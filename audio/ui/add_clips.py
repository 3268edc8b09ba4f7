"""The add-clips page: upload clips with their catalogue metadata, and set how clips are processed."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd
import streamlit as st

from audio import library
from audio.catalogue import ClipMetadata, sanitise_filename
from audio.decode import AUDIO_EXTENSIONS, SUPPORTED_FORMATS_TEXT
from audio.errors import IngestError
from audio.ingest import IngestResult, ingest_bytes
from audio.isolation import ProcessingWorker
from audio.processing import ProcessingSettings
from audio.reprocess import reprocess
from core import audit, ui
from core.access import Permission
from core.db import session_scope
from core.vocabulary import SOURCES, VOCALS_LABELS, Source

log = logging.getLogger(__name__)

# The uploader takes exactly what the decoder accepts (audio.decode), so no error offers a format
# the uploader refuses.
AUDIO_TYPES = sorted(extension.lstrip(".") for extension in AUDIO_EXTENSIONS)
SOURCE_LABELS: dict[str, str] = {Source.HUMAN: "Human-composed", Source.AI: "AI-generated"}
# Widget options as plain strings (what the database holds); the labels come from core.vocabulary.
_SOURCE_OPTIONS = [str(source) for source in SOURCES]
_VOCALS_OPTIONS = [str(vocals) for vocals in VOCALS_LABELS]


def add_clips_page() -> None:
    """Upload and process clips, show what happened, then the processing settings and re-processing."""
    st.title("Add clips")
    with session_scope() as session:
        settings = library.current_processing_settings(session)
    st.caption(
        f"Every clip is cut to {settings.excerpt_seconds:g} s from its start offset, faded, normalised to "
        f"{settings.target_lufs:g} LUFS (true peak at most {settings.true_peak_ceiling_dbtp:g} dBTP) and "
        f"re-encoded as {settings.mp3_bitrate_kbps} kbit/s constant-bit-rate MP3 (so every clip has the same "
        "file size). Participants hear exactly the processed audio."
    )
    uploads = st.file_uploader(
        f"Audio files ({SUPPORTED_FORMATS_TEXT})", type=AUDIO_TYPES, accept_multiple_files=True, key="add_clips_files"
    )
    shared = _shared_metadata()
    st.subheader("Per file")
    if not uploads:
        st.info("Choose one or more files above; a row per file appears here for its title, pair id and start offset.")
    else:
        per_file = _per_file_table(uploads)
        if st.button(f"Process {len(uploads)} file(s)", type="primary", key="add_clips_process"):
            if shared["source"] is None:
                st.error("Choose the source (human-composed or AI-generated) first; nothing was processed.")
            else:
                ui.require(Permission.ADD_CLIPS, None)
                st.session_state["add_clips_results"] = _process_uploads(uploads, per_file, shared)
    _show_results(st.session_state.get("add_clips_results"))
    if not _may(Permission.MANAGE_LIBRARY):
        return  # how every clip is processed is the library's, shared by every study: admins only
    st.divider()
    settings = _settings_form(settings)
    _reprocess_section(settings)


def _may(permission: Permission) -> bool:
    """Whether the logged-in staff member holds a server-wide ``permission`` (to show a section)."""
    from core import access

    account = ui.current_account()
    if account is None:
        return False
    with session_scope() as session:
        return access.allowed(session, account, permission, None)


def _shared_metadata() -> dict:
    """The catalogue facts shared by every file of this upload (``source`` None until chosen)."""
    st.subheader("Shared metadata")
    st.caption("Applies to every file in this upload. Upload human and AI clips in separate batches.")
    source = st.radio(
        "Source (required)",
        _SOURCE_OPTIONS,
        format_func=SOURCE_LABELS.__getitem__,
        index=None,
        horizontal=True,
        key="add_clips_source",
    )
    left, right = st.columns(2)
    if source == Source.AI:
        ai_system = left.text_input("AI system", placeholder="e.g. Suno", key="add_clips_ai_system")
        ai_version = right.text_input("AI system version", placeholder="e.g. v4.5", key="add_clips_ai_version")
        prompt = st.text_area("Prompt", key="add_clips_prompt")
        creator = left.text_input("Operator / account (optional)", key="add_clips_operator")
    else:
        creator = left.text_input("Composer / performer", key="add_clips_creator")
        ai_system = ai_version = prompt = ""
    return {
        "source": source,
        "creator": creator,
        "ai_system": ai_system,
        "ai_version": ai_version,
        "prompt": prompt,
        "genre": right.text_input("Genre", key="add_clips_genre"),
        "vocals": left.selectbox(
            "Vocals", _VOCALS_OPTIONS, format_func=VOCALS_LABELS.__getitem__, key="add_clips_vocals"
        ),
        "licence": right.text_input("Licence", placeholder="e.g. CC BY 4.0", key="add_clips_licence"),
        "provenance": st.text_area("Provenance (where the files come from)", key="add_clips_provenance"),
        "notes": st.text_area("Notes", key="add_clips_notes"),
    }


def _per_file_table(uploads: list) -> pd.DataFrame:
    """An editable row per file: title, pair id and start offset (s)."""
    per_file_default = pd.DataFrame(
        {
            "file": [upload.name for upload in uploads],
            "title": [Path(upload.name).stem for upload in uploads],
            "pair_id": ["" for _ in uploads],
            "start_offset_s": [math.nan for _ in uploads],
        }
    )
    # The editor is keyed by the set of files so that a new upload starts from fresh defaults.
    editor_key = "add_clips_table_" + "_".join(upload.file_id for upload in uploads)
    return st.data_editor(
        per_file_default,
        hide_index=True,
        disabled=["file"],
        column_config={
            "file": st.column_config.TextColumn("File"),
            "title": st.column_config.TextColumn("Title"),
            "pair_id": st.column_config.TextColumn("Pair id", help="Same id for a human clip and its AI match."),
            "start_offset_s": st.column_config.NumberColumn(
                "Start offset (s)",
                min_value=0.0,
                step=0.5,
                help="Where the excerpt starts in the file; empty: one third into the file.",
            ),
        },
        key=editor_key,
    )


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _process_uploads(uploads: list, per_file: pd.DataFrame, shared: dict) -> list[dict]:
    """Ingest every upload with its row's title, pair id and start; one result row per file."""
    progress = st.progress(0.0, text="Starting…")
    with ProcessingWorker() as worker:  # decoders run there: a crash fails one file, not the app
        results = [
            _process_upload(upload, row, shared, worker, progress, position, len(uploads))
            for position, (upload, row) in enumerate(zip(uploads, per_file.itertuples()), start=1)
        ]
    progress.progress(1.0, text="Done")
    actor = ui.current_actor()
    with session_scope() as session:  # after the clips are stored: an entry never names a clip that is not
        for result in results:
            if result["result"] == "added":
                detail = {"file": result["file"], "source": shared["source"]}
                audit.record(session, actor, "clip.add", target=f"clip #{result['clip_id']}", detail=detail)
    return results


def _process_upload(upload, row, shared: dict, worker: ProcessingWorker, progress, position: int, total: int) -> dict:
    """Ingest one upload in ``worker``; its result row (file, result, message)."""
    progress.progress((position - 1) / total, text=f"Processing {upload.name} ({position}/{total})")
    try:
        metadata = ClipMetadata(
            source=shared["source"],
            title=_text(row.title),
            creator=_text(shared["creator"]),
            ai_system=_text(shared["ai_system"]),
            ai_version=_text(shared["ai_version"]),
            prompt=_text(shared["prompt"]),
            genre=_text(shared["genre"]),
            vocals=shared["vocals"] or None,
            pair_id=_text(row.pair_id),
            licence=_text(shared["licence"]),
            provenance=_text(shared["provenance"]),
            notes=_text(shared["notes"]),
        )
        start = None if pd.isna(row.start_offset_s) else float(row.start_offset_s)
        outcome = ingest_bytes(upload.getvalue(), upload.name, metadata, start_offset_s=start, worker=worker)
        return {
            "file": upload.name,
            "result": "added",
            "message": _describe(outcome),
            "clip_id": outcome.clip_id,
            "warnings": list(outcome.warnings),
        }
    except IngestError as error:
        return {"file": upload.name, "result": "not added", "message": _reason(upload.name, str(error))}
    except Exception as error:  # one broken file must not stop the batch or the app
        log.exception("unexpected error while adding %s", upload.name)
        return {
            "file": upload.name,
            "result": "not added",
            "message": f"Unexpected error ({type(error).__name__}): {error}",
        }


def _reason(upload_name: str, message: str) -> str:
    """``message`` without its leading "file name: ": the results already name the file once.

    Ingest messages start with the sanitised file name (the command line prints them alone);
    the page shows them beside the file name, where a second copy read "a.mp3: a.mp3: ...".
    """
    prefix = f"{sanitise_filename(upload_name) or 'upload'}: "
    return message.removeprefix(prefix)


def _describe(outcome: IngestResult) -> str:
    """One line about an added clip: its id, where the excerpt starts, its level and any warning."""
    text = (
        f"clip #{outcome.clip_id}, from {outcome.start_offset_s:.1f} s, "
        f"{outcome.loudness_after_lufs:.1f} LUFS, true peak {outcome.true_peak_dbtp:.1f} dBTP"
    )
    warnings = ([outcome.loudness_flag] if outcome.loudness_flag else []) + list(outcome.warnings)
    return f"{text}; warning: {'; '.join(warnings)}" if warnings else text


def _show_results(results: list[dict] | None) -> None:
    if not results:
        return
    added = sum(result["result"] == "added" for result in results)
    failed = len(results) - added
    if added:
        st.success(f"{added} clip(s) added to the library.")
    if failed:
        # Each reason in full (a table cell would cut a long message off at the right edge).
        reasons = "\n".join(f"- **{r['file']}**: {r['message']}" for r in results if r["result"] != "added")
        st.error(f"{failed} file(s) not added; nothing was stored for them.\n\n{reasons}")
    warned = "\n".join(f"- **{r['file']}**: {warning}" for r in results for warning in r.get("warnings", []))
    if warned:
        st.warning(f"Added, but check these originals:\n\n{warned}")
    st.dataframe(
        pd.DataFrame(results).drop(columns=["warnings"], errors="ignore"),
        hide_index=True,
        width="stretch",
        column_config={
            "file": st.column_config.TextColumn("File"),
            "result": st.column_config.TextColumn("Result"),
            "message": st.column_config.TextColumn("What happened", width="large"),
        },
    )


def _settings_form(settings: ProcessingSettings) -> ProcessingSettings:
    """The processing settings form; returns the settings in force after any save."""
    st.subheader("Processing settings")
    st.warning(
        "Changing these changes how every new clip is cut and levelled. Clips already in the library "
        "keep their old processing until they are re-processed; until then the library is mixed."
    )
    with st.form("processing_settings"):
        excerpt_seconds = st.number_input(
            "Clip length (s)", min_value=1.0, max_value=600.0, value=float(settings.excerpt_seconds), step=1.0
        )
        target_lufs = st.number_input(
            "Target loudness (LUFS)", min_value=-40.0, max_value=-5.0, value=float(settings.target_lufs), step=0.5
        )
        ceiling = st.number_input(
            "True-peak ceiling (dBTP)",
            min_value=-20.0,
            max_value=0.0,
            value=float(settings.true_peak_ceiling_dbtp),
            step=0.5,
        )
        keep_silent_edges = st.checkbox(
            "Allow clips to start or end in the original's silence",
            value=bool(settings.keep_silent_edges),
            help="Off (recommended): each excerpt is cut from where the recording has sound, because "
            "silence at a clip's start or end can tell human and AI clips apart.",
        )
        save = st.form_submit_button("Save settings")
    if not save:
        return settings
    try:
        new_settings = ProcessingSettings.from_dict(
            {
                **settings.to_dict(),
                "excerpt_seconds": excerpt_seconds,
                "target_lufs": target_lufs,
                "true_peak_ceiling_dbtp": ceiling,
                "keep_silent_edges": bool(keep_silent_edges),
            }
        )
    except ValueError as error:
        st.error(f"Settings not saved: {error}.")
        return settings
    if new_settings == settings:
        st.info("Nothing changed.")
        return settings
    ui.require(Permission.MANAGE_LIBRARY, None)
    with session_scope() as session:
        library.save_processing_settings(session, new_settings)
        changes = audit.settings_diff(settings.to_dict(), new_settings.to_dict())
        audit.record(session, ui.current_actor(), "library.settings", detail={"changes": changes})
    st.success("Settings saved. New clips use them.")
    return new_settings


def _reprocess_section(settings: ProcessingSettings) -> None:
    """The outcome of the last re-processing, and a button to re-process clips made with other settings."""
    reprocessed = st.session_state.pop("add_clips_reprocessed", None)
    if reprocessed is not None:
        done, problems = reprocessed
        if done:
            st.success(f"{done} clip(s) re-processed.")
        for problem in problems:
            st.error(problem)
    with session_scope() as session:
        outdated = [clip.id for clip in library.clips_needing_reprocess(session, settings)]
    if not outdated:
        return
    st.warning(
        f"{len(outdated)} active clip(s) were processed with other settings. Re-process them so every "
        "clip is cut and levelled the same way. Clips participants have already heard are left alone "
        "(their responses describe the old audio); retire those and add them again if needed."
    )
    if st.button(f"Re-process {len(outdated)} clip(s)", key="add_clips_reprocess"):
        ui.require(Permission.MANAGE_LIBRARY, None)
        st.session_state["add_clips_reprocessed"] = _reprocess_all(outdated, settings)
        with session_scope() as session:
            audit.record(session, ui.current_actor(), "clip.reprocess", detail={"clips": outdated})
        st.rerun()  # redraw the outdated-clips warning from the new state


def _reprocess_all(clip_ids: list[int], settings: ProcessingSettings) -> tuple[int, list[str]]:
    """Re-process each clip (each its own transaction); ``(number done, problems)``."""
    progress = st.progress(0.0, text="Starting…")
    problems = []
    with ProcessingWorker() as worker:
        for position, clip_id in enumerate(clip_ids, start=1):
            progress.progress((position - 1) / len(clip_ids), text=f"Re-processing clip #{clip_id}")
            try:
                reprocess(clip_id, settings, worker=worker)
            except IngestError as error:
                problems.append(str(error))
            except Exception as error:  # one broken clip must not stop the others
                log.exception("unexpected error while re-processing clip %s", clip_id)
                problems.append(f"clip #{clip_id}: unexpected error ({type(error).__name__}): {error}")
    return len(clip_ids) - len(problems), problems
