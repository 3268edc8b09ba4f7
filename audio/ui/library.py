"""The clip library page: the catalogue, one clip's audio and features, metadata edits, retire/unretire."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audio import library
from audio.balance import FEATURE_PREFIX
from audio.errors import MetadataError
from audio.tempo import describe_tempo
from audio.ui import pairing_section
from core import access, audit, ui
from core.access import Permission
from core.db import session_scope
from core.models import Clip
from core.vocabulary import SOURCES, VOCALS_LABELS, Source

SOURCE_LABELS: dict[str, str] = {Source.HUMAN: "Human", Source.AI: "AI"}
# Widget options as plain strings (what the database holds); the labels come from core.vocabulary.
_SOURCE_OPTIONS = [str(source) for source in SOURCES]
_VOCALS_OPTIONS = [str(vocals) for vocals in VOCALS_LABELS]
TABLE_COLUMNS = [
    "clip_id",
    "title",
    "source",
    "genre",
    "vocals",
    "pair_id",
    "loudness_flag",
    "duration_s",
    "loudness_after_lufs",
    "true_peak_dbtp",
    "creator",
    "ai_system",
    "is_demo",
    "retired",
]
_TABLE_CONFIG = {
    "clip_id": st.column_config.NumberColumn("#", format="%d"),
    "title": st.column_config.TextColumn("Title"),
    "source": st.column_config.TextColumn("Source"),
    "genre": st.column_config.TextColumn("Genre"),
    "vocals": st.column_config.TextColumn("Vocals"),
    "pair_id": st.column_config.TextColumn("Pair id"),
    "creator": st.column_config.TextColumn("Creator"),
    "ai_system": st.column_config.TextColumn("AI system"),
    "duration_s": st.column_config.NumberColumn("Duration (s)", format="%.2f"),
    "loudness_after_lufs": st.column_config.NumberColumn("Loudness (LUFS)", format="%.1f"),
    "true_peak_dbtp": st.column_config.NumberColumn("True peak (dBTP)", format="%.1f"),
    "loudness_flag": st.column_config.TextColumn("Loudness warning"),
    "is_demo": st.column_config.CheckboxColumn("Demo"),
    "retired": st.column_config.CheckboxColumn("Retired"),
}


def library_page() -> None:
    """The whole page: filters and table, the chosen clip (audio, facts, metadata, retirement), the similarity pairs."""
    st.title("Clip library")
    notice = st.session_state.pop("library_notice", None)
    if notice:
        st.toast(notice)
        st.success(notice)
    with session_scope() as session:
        frame = library.features_frame(session, include_retired=True)
    if frame.empty:
        st.info("The library is empty. Add clips on the **Add clips** page or with `human-touch clips import`.")
        return
    counts = frame[~frame["retired"]]["source"].value_counts()
    st.caption(
        f"{counts.get('human', 0)} human and {counts.get('ai', 0)} AI clips active, "
        f"{int(frame['retired'].sum())} retired."
    )
    shown = _filtered(frame)
    st.dataframe(shown[TABLE_COLUMNS], hide_index=True, column_config=_TABLE_CONFIG, width="stretch")
    may_manage = _may_manage()
    _chosen_clip(shown, frame, may_manage)
    pairing_section.pairs_section(frame[~frame["retired"]], may_manage)


def _chosen_clip(shown: pd.DataFrame, frame: pd.DataFrame, may_manage: bool) -> None:
    """The clip chosen among the ``shown`` ones: its audio and facts, and for library managers its forms."""
    if shown.empty:
        st.info("No clip matches these filters.")
        return
    titles = dict(zip(shown["clip_id"], shown["title"].fillna("(untitled)")))
    clip_id = st.selectbox("Clip", list(titles), format_func=lambda i: f"#{i} {titles[i]}", key="library_clip")
    with session_scope() as session:
        clip = library.get_clip(session, clip_id)
        if clip is None:  # retired and deleted by another staff member meanwhile
            st.warning("This clip no longer exists.")
            return
        try:
            served = library.read_served_bytes(clip)
        except OSError:
            served = None
    _clip_details(clip, served, frame)
    if may_manage:  # the library is shared by every study: its clips are edited and retired by admins
        _metadata_form(clip)
        _retirement(clip)


def _may_manage() -> bool:
    account = ui.current_account()
    if account is None:
        return False
    with session_scope() as session:
        return access.allowed(session, account, Permission.MANAGE_LIBRARY, None)


def _filtered(frame: pd.DataFrame) -> pd.DataFrame:
    """The clips matching the source, genre and retired filters drawn here."""
    filter_source, filter_genre, filter_retired = st.columns([1, 2, 1])
    sources = filter_source.multiselect(
        "Source", _SOURCE_OPTIONS, format_func=SOURCE_LABELS.__getitem__, key="library_filter_source"
    )
    genres = sorted(g for g in frame["genre"].dropna().unique() if g)
    chosen_genres = filter_genre.multiselect("Genre", genres, key="library_filter_genre")
    show_retired = filter_retired.checkbox("Show retired", value=False, key="library_show_retired")
    shown = frame
    if sources:
        shown = shown[shown["source"].isin(sources)]
    if chosen_genres:
        shown = shown[shown["genre"].isin(chosen_genres)]
    if not show_retired:
        shown = shown[~shown["retired"]]
    return shown


def _clip_details(clip: Clip, served: bytes | None, frame: pd.DataFrame) -> None:
    """Heading, warnings, the audio participants hear, processing facts and features."""
    processing = dict(clip.processing or {})
    st.subheader(f"#{clip.id} {clip.title or '(untitled)'}")
    if clip.retired_at is not None:
        st.info(f"Retired on {clip.retired_at:%Y-%m-%d %H:%M} UTC: not used in new trial lists.")
    if clip.loudness_flag:
        st.warning(f"Loudness: {clip.loudness_flag}")
    if served is None:
        st.error("The served file is missing from the data folder; re-process or re-add this clip.")
    else:
        st.audio(served, format="audio/mpeg")
    row = frame[frame["clip_id"] == clip.id].iloc[0]
    facts = pd.DataFrame(
        {
            "fact": [
                "source",
                "uploaded file",
                "start offset (s)",
                "duration (s)",
                "format",
                "loudness before (LUFS)",
                "loudness after (LUFS)",
                "true peak (dBTP)",
                "gain (dB)",
                "tempo",
                "added",
            ],
            "value": [
                SOURCE_LABELS.get(clip.source, clip.source),
                clip.uploaded_filename or "",
                f"{clip.start_offset_s:.2f} ({processing.get('start_offset_rule', '')})",
                f"{clip.duration_s:.2f}",
                f"{clip.codec}, {clip.sample_rate} Hz, {clip.channels} ch",
                "" if clip.loudness_before_lufs is None else f"{clip.loudness_before_lufs:.1f}",
                "" if clip.loudness_after_lufs is None else f"{clip.loudness_after_lufs:.1f}",
                "" if clip.true_peak_dbtp is None else f"{clip.true_peak_dbtp:.1f}",
                f"{processing['gain_db']:+.1f}" if "gain_db" in processing else "",
                _tempo_fact(row),
                f"{clip.created_at:%Y-%m-%d %H:%M}",
            ],
        }
    )
    facts_column, features_column = st.columns(2)
    facts_column.dataframe(facts, hide_index=True)
    feature_columns = [c for c in frame.columns if c.startswith(FEATURE_PREFIX)]
    features = pd.DataFrame(
        {"feature": [c[len(FEATURE_PREFIX) :] for c in feature_columns], "value": [row[c] for c in feature_columns]}
    )
    features_column.dataframe(features, hide_index=True)


def _tempo_fact(row: pd.Series) -> str:
    """The clip's tempo, and the other reading when the beat is ambiguous (empty before features exist)."""
    tempo = row.get(f"{FEATURE_PREFIX}tempo_estimate_bpm")
    if tempo is None or pd.isna(tempo):
        return ""
    return describe_tempo(
        tempo,
        row.get(f"{FEATURE_PREFIX}tempo_alternative_bpm"),
        row.get(f"{FEATURE_PREFIX}tempo_alternative_strength"),
    )


def _metadata_form(clip: Clip) -> None:
    st.subheader("Metadata")
    with st.form(f"library_edit_{clip.id}"):
        left, right = st.columns(2)
        fields = {
            "source": left.radio(
                "Source",
                _SOURCE_OPTIONS,
                index=_SOURCE_OPTIONS.index(clip.source),
                format_func=SOURCE_LABELS.__getitem__,
                horizontal=True,
            ),
            "vocals": right.selectbox(
                "Vocals",
                _VOCALS_OPTIONS,
                index=_VOCALS_OPTIONS.index(clip.vocals or ""),
                format_func=VOCALS_LABELS.__getitem__,
            ),
            "title": left.text_input("Title", value=clip.title or ""),
            "genre": right.text_input("Genre", value=clip.genre or ""),
            "creator": left.text_input("Composer / performer (or operator)", value=clip.creator or ""),
            "pair_id": right.text_input("Pair id", value=clip.pair_id or ""),
            "ai_system": left.text_input("AI system", value=clip.ai_system or ""),
            "ai_version": right.text_input("AI system version", value=clip.ai_version or ""),
            "licence": left.text_input("Licence", value=clip.licence or ""),
            "prompt": st.text_area("Prompt", value=clip.prompt or ""),
            "provenance": st.text_area("Provenance", value=clip.provenance or ""),
            "notes": st.text_area("Notes", value=clip.notes or ""),
        }
        save = st.form_submit_button("Save metadata", type="primary")
    if not save:
        return
    ui.require(Permission.MANAGE_LIBRARY, None)
    try:
        with session_scope() as session:
            library.update_metadata(session, clip.id, **fields)
            audit.record(session, ui.current_actor(), "clip.edit", target=f"clip #{clip.id}", detail=fields)
    except MetadataError as error:
        st.error(f"Not saved: {error}.")
    else:
        st.session_state["library_notice"] = f"Metadata of clip #{clip.id} saved."
        st.rerun()


def _retirement(clip: Clip) -> None:
    st.subheader("Retire")
    if clip.retired_at is None:
        st.caption(
            "A retired clip is left out of new trial lists. Its file, features and responses are kept, "
            "and it can be put back at any time."
        )
        confirm = st.checkbox(f"Yes, retire clip #{clip.id}", key=f"library_confirm_retire_{clip.id}")
        if st.button("Retire clip", disabled=not confirm, key=f"library_retire_{clip.id}"):
            ui.require(Permission.MANAGE_LIBRARY, None)
            with session_scope() as session:
                library.retire(session, clip.id)
                audit.record(session, ui.current_actor(), "clip.retire", target=f"clip #{clip.id}")
            st.session_state["library_notice"] = f"Clip #{clip.id} retired."
            st.rerun()
    else:
        confirm = st.checkbox(
            f"Yes, put clip #{clip.id} back into the library", key=f"library_confirm_unretire_{clip.id}"
        )
        if st.button("Unretire clip", disabled=not confirm, key=f"library_unretire_{clip.id}"):
            ui.require(Permission.MANAGE_LIBRARY, None)
            with session_scope() as session:
                library.unretire(session, clip.id)
                audit.record(session, ui.current_actor(), "clip.unretire", target=f"clip #{clip.id}")
            st.session_state["library_notice"] = f"Clip #{clip.id} is active again."
            st.rerun()
