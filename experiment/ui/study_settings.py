"""Streamlit drawing of the organiser's study-settings page: status, library, share links, settings form.

Every save stores a new :class:`core.models.StudyVersion` through :mod:`experiment.repository`;
participants keep the version they consented under. Nothing here writes SQL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from core import audit, db, ui
from core.access import Permission
from core.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES
from core.vocabulary import SCALES, Scale, ScreeningMode, Source
from experiment import entry, repository, studies
from experiment.settings import SCALE_POINTS_ALLOWED, SCREENING_MODES, TEXT_FIELDS, StudySettings, library_problems
from experiment.ui.design_settings import design_fields
from experiment.ui.preregistration import preregistration_fields
from experiment.ui.reason_settings import reason_fields
from experiment.ui.setting_labels import FIELD_LABELS, labelled, readable, short
from experiment.ui.study_context import may, require_study

SCALE_LABELS: dict[str, str] = {
    Scale.VALENCE: "Pleasantness (valence)",
    Scale.AROUSAL: "Excitement (arousal)",
    Scale.MOVED: "How moved",
    Scale.LIKING: "Liking",
}
SCREENING_LABELS: dict[str, str] = {
    ScreeningMode.REQUIRED: "Required (fail ends the study politely)",
    ScreeningMode.OPTIONAL: "Optional (result stored and flagged)",
    ScreeningMode.OFF: "Off",
}


def study_settings_page(page_url: str | None) -> None:
    """The whole staff page: status, share links, the settings form and the version history."""
    study = require_study()
    ui.require(Permission.VIEW_STUDY, study.id)
    st.title(f"Study settings: {study.name}")
    if st.session_state.pop("settings_saved", False):
        st.success("Saved as a new version.")
    may_edit = may(Permission.EDIT_SETTINGS, study.id)
    if not may_edit:
        st.info("Your role on this study lets you read its settings, not change them.")
    with db.session_scope() as session:
        version_id, settings = repository.current_settings(session, study.id)
        changed = status_section(session, study, version_id, settings, may_edit)
        links_section(page_url, study)
        if may_edit:
            changed = settings_form(session, study, version_id, settings) or changed
        history_section(session, study.id)
    if changed:
        st.rerun()


def app_root_url(page_url: str | None) -> str:
    """The app's root address from the address of a page in it ('' when unknown).

    ``http://host:8501/study_settings`` -> ``http://host:8501/``; a base path
    (``server.baseUrlPath``) is kept: ``https://lab.org/ht/study_settings`` -> ``https://lab.org/ht/``.
    """
    if not page_url:
        return ""
    parts = urlsplit(page_url)
    path = parts.path.rsplit("/", 1)[0] + "/" if "/" in parts.path else "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def status_section(
    session: Session, study: studies.StudyRef, version_id: int, settings: StudySettings, may_edit: bool
) -> bool:
    """Open/closed toggle, the study's clip counts and consent declines. True when the state changed.

    Opening and closing change the study's state (audited), never its settings: no new version.
    """
    counts = repository.study_clip_counts(session, settings)
    st.subheader("Status")
    was_open = studies.is_open(session, study.id)
    is_open = st.toggle(
        "Open for new participants",
        value=was_open,
        key=f"open_{version_id}_{was_open}",
        help="People already under way can always finish. Opening or closing does not change the settings.",
        disabled=not may(Permission.OPEN_CLOSE, study.id),
    )
    human, ai, declines = st.columns(3)
    human.metric("Human clips", counts.get(Source.HUMAN, 0))
    ai.metric("AI clips", counts.get(Source.AI, 0))
    declines.metric("Declined consent", repository.decline_count(session, study_id=study.id))
    for problem in library_problems(settings, counts):
        st.warning(f"Participants cannot start yet: {readable(problem)}.")
    if is_open == was_open:
        return False
    ui.require(Permission.OPEN_CLOSE, study.id)  # checked on the server, not only by the disabled toggle
    try:
        return studies.set_open(session, study.id, is_open, ui.current_actor())
    except ValueError as error:
        st.error(f"The study cannot open: {readable(str(error))}.")
        return False


def links_section(page_url: str | None, study: studies.StudyRef) -> None:
    """The study's participant link and its ready-made Prolific study URL, from the app's address."""
    st.subheader("Links to share")
    base = st.text_input(
        "Public address of this app",
        value=app_root_url(page_url),
        key="public_base_url",
        help="Taken from the address you are using now; change it when participants reach the app "
        "under another name (e.g. behind a proxy).",
    )
    if not base.strip():
        st.info("Enter the public address of this app to see the links.")
        return
    try:
        participant_link = entry.participant_link(base, study.slug)
        prolific_url = entry.prolific_study_url(base, study.slug)
    except ValueError as error:
        st.error(str(error))
        return
    st.write("Anonymous participant link:")
    st.code(participant_link, language=None, wrap_lines=True)
    st.write("Study URL for Prolific (Prolific fills in the placeholders):")
    st.code(prolific_url, language=None, wrap_lines=True)
    st.caption(
        'In Prolific, choose "I\'ll use URL parameters" and paste the completion code Prolific '
        "gives you into the settings below."
    )


def settings_form(session: Session, study: studies.StudyRef, version_id: int, settings: StudySettings) -> bool:
    """Every study setting; only the "Save as new version" button saves (a new version). True when saved.

    The widgets are not in an ``st.form``: inside one, Enter in any number or text field submits it,
    which saved versions nobody meant to save (each becomes the version in force). Here Enter only
    applies the value; the page lists what is not saved yet.
    """
    st.subheader("Settings")
    st.caption(
        f"In force: version {version_id}. Only “Save as new version” saves; participants already "
        "under way keep the version they started with."
    )
    k = f"settings_{version_id}_"  # fresh widgets for every version, initialised from it
    s = settings
    values: dict[str, Any] = {
        "title": st.text_input(labelled("title", "Title shown to participants"), s.title, key=k + "title")
    }
    values["browser_title"] = st.text_input(
        labelled("browser_title", "Browser tab title (neutral: participants see it on every page)"),
        s.browser_title,
        max_chars=60,
        key=k + "browser_title",
    )
    values.update(_trial_fields(k, s))
    values.update(_clip_selection_field(session, k, s))
    values.update(_question_fields(k, s))
    values.update(reason_fields(k, s))
    values.update(design_fields(k, s))
    values.update(_screening_fields(k, s))
    values.update(preregistration_fields(session, k, version_id, s))
    values.update(_text_and_completion_fields(k, s))
    values.update(_localised_text_fields(k, s))
    values["scales"] = tuple(scale for scale in SCALES if scale in values["scales"])
    candidate = settings.with_changes(**values)
    note = st.text_input("Note for this version (optional)", key=k + "note")
    pending = changed_labels(settings, candidate)
    if pending:
        st.caption("Not saved yet: " + ", ".join(pending) + ".")
    if not st.button("Save as new version", type="primary", key=k + "save"):
        return False
    if not pending:  # e.g. a double click: the second click finds the version already saved
        st.info("Nothing has changed since the version in force; no new version was saved.")
        return False
    ui.require(Permission.EDIT_SETTINGS, study.id)
    try:
        studies.save_settings(session, study.id, candidate, ui.current_actor(), note=note.strip() or None)
    except ValueError as error:
        st.error("Not saved:\n\n" + "\n".join(f"- {readable(problem)}" for problem in str(error).split("; ")))
        return False
    st.session_state["settings_saved"] = True
    return True


def changed_labels(before: StudySettings, after: StudySettings) -> list[str]:
    """The page's labels of the settings that differ between ``before`` and ``after``, in the page's order."""
    changes = audit.settings_diff(before.to_dict(), after.to_dict())
    order = list(FIELD_LABELS)
    names = sorted(changes, key=lambda name: order.index(name) if name in order else len(order))
    return [short(FIELD_LABELS[name]) if name in FIELD_LABELS else name for name in names]


# The settings' sections; each returns {setting name: value entered}. ``k`` prefixes the widget keys.


def _clip_selection_field(session: Session, k: str, s: StudySettings) -> dict[str, object]:
    """The study's clips: a selection from the shared library (none selected = every active clip)."""
    from audio import library

    records = [r for r in library.clip_records(session) if r["retired_at"] is None]
    label = {r["clip_id"]: f"#{r['clip_id']} {r['clip_title'] or r['served_name']} ({r['source']})" for r in records}
    chosen = [clip_id for clip_id in s.clip_ids if clip_id in label]
    picked = st.multiselect(
        labelled("clip_ids", "Clips of this study (leave empty for every clip in the library)"),
        list(label),
        default=chosen,
        format_func=label.__getitem__,
        key=k + "clip_ids",
        help="The library is shared by every study on this server; a study plays the clips chosen here. "
        "Clips added to the library later join a study only when it plays every clip.",
    )
    return {"clip_ids": tuple(sorted(picked))}


def _trial_fields(k: str, s: StudySettings) -> dict[str, object]:
    st.markdown("**Trials**")
    values: dict[str, object] = {}
    values["n_trials"] = int(
        st.number_input(
            labelled("n_trials", "Main trials per participant (even: half human, half AI)"),
            min_value=2,
            max_value=200,
            value=s.n_trials,
            step=2,
            key=k + "n_trials",
        )
    )
    values["listening_requirement"] = (
        st.slider(
            labelled("listening_requirement", "Share of each clip that must be heard before answering (%)"),
            0,
            100,
            int(round(s.listening_requirement * 100)),
            step=5,
            key=k + "listening",
        )
        / 100.0
    )
    values["practice_trial"] = st.checkbox(
        labelled("practice_trial", "One practice trial first (not scored)"), s.practice_trial, key=k + "practice"
    )
    values["attention_check"] = st.checkbox(
        labelled("attention_check", "One attention-check trial"), s.attention_check, key=k + "attention"
    )
    values["repeat_check"] = st.checkbox(
        labelled("repeat_check", "Repeat one clip later (consistency check)"), s.repeat_check, key=k + "repeat"
    )
    return values | _order_fields(k, s)


def _order_fields(k: str, s: StudySettings) -> dict[str, object]:
    """How the trial list is ordered: runs of one source, pairs, and the too-fast flag."""
    values: dict[str, object] = {}
    values["max_same_source_run"] = int(
        st.number_input(
            labelled("max_same_source_run", "At most this many clips in a row from the same source"),
            1,
            20,
            s.max_same_source_run,
            key=k + "run",
        )
    )
    values["use_pairs"] = st.checkbox(
        labelled("use_pairs", "Draw whole human/AI pairs when the library has enough"), s.use_pairs, key=k + "pairs"
    )
    values["pair_gap"] = int(
        st.number_input(
            labelled("pair_gap", "Minimum trials between the two clips of a pair"),
            0,
            20,
            s.pair_gap,
            key=k + "pair_gap",
        )
    )
    values["min_answer_seconds"] = float(
        st.number_input(
            labelled(
                "min_answer_seconds", "Flag answers faster than (seconds after the listening requirement was met)"
            ),
            0.0,
            600.0,
            float(s.min_answer_seconds),
            step=0.5,
            key=k + "min_answer",
        )
    )
    return values


def _question_fields(k: str, s: StudySettings) -> dict[str, object]:
    st.markdown("**Questions on each trial**")
    return {
        "scales": st.multiselect(
            labelled("scales", "Felt-emotion scales"),
            SCALES,
            default=list(s.scales),
            format_func=SCALE_LABELS.__getitem__,
            key=k + "scales",
        ),
        "scale_points": st.selectbox(
            labelled("scale_points", "Points on each scale"),
            SCALE_POINTS_ALLOWED,
            index=SCALE_POINTS_ALLOWED.index(s.scale_points),
            key=k + "points",
        ),
        "ask_familiarity": st.checkbox(
            labelled("ask_familiarity", "Ask whether they knew the piece"), s.ask_familiarity, key=k + "familiar"
        ),
        "ask_comment": st.checkbox(labelled("ask_comment", "Offer a comment box"), s.ask_comment, key=k + "comment"),
    }


def _screening_fields(k: str, s: StudySettings) -> dict[str, object]:
    st.markdown("**Headphone check**")
    return {
        "screening": st.radio(
            labelled("screening", "Headphone screening (Huggins pitch)"),
            SCREENING_MODES,
            index=SCREENING_MODES.index(s.screening),
            format_func=SCREENING_LABELS.__getitem__,
            key=k + "screening",
        ),
        "screening_trials": int(
            st.number_input(
                labelled("screening_trials", "Screening sounds"), 1, 20, s.screening_trials, key=k + "screening_trials"
            )
        ),
        "screening_pass": int(
            st.number_input(
                labelled("screening_pass", "Correct answers needed to pass (custom pass mark only)"),
                1,
                20,
                s.screening_pass,
                key=k + "screening_pass",
            )
        ),
    }


def _text_and_completion_fields(k: str, s: StudySettings) -> dict[str, object]:
    st.markdown("**Texts**")
    unfilled = s.unfilled_placeholders()
    if unfilled:
        st.warning(
            "Fill in " + ", ".join(unfilled) + " in the participant texts (and their translations) before "
            "participants see them. {retention_days} is filled in from the retention period for you."
        )
    st.caption(
        "While a text is the built-in one, participants read the version that fits the design: with a rate-only "
        "condition the title and information sheet do not mention AI, and rate-only and labelled participants' "
        "debrief compares no guesses (they made none)."
    )
    values: dict[str, object] = {}
    values["information_text"] = st.text_area(
        labelled("information_text", "Information sheet (Markdown)"),
        s.information_text,
        height=160,
        key=k + "information",
    )
    values["consent_text"] = st.text_area(
        labelled("consent_text", "Consent statement"), s.consent_text, key=k + "consent"
    )
    values["debrief_text"] = st.text_area(
        labelled("debrief_text", "Debrief explanation"), s.debrief_text, key=k + "debrief"
    )
    st.markdown("**Debrief and completion**")
    values["show_creator_in_debrief"] = st.checkbox(
        labelled("show_creator_in_debrief", "Name the creator or AI system of each clip"),
        s.show_creator_in_debrief,
        key=k + "creator",
    )
    values["show_percentile"] = st.checkbox(
        labelled("show_percentile", "Compare the score with everyone so far"), s.show_percentile, key=k + "percentile"
    )
    values["prolific_enabled"] = st.checkbox(
        labelled("prolific_enabled", "Run on Prolific (entry needs Prolific's URL parameters)"),
        s.prolific_enabled,
        key=k + "prolific",
    )
    values["completion_code"] = st.text_input(
        labelled("completion_code", "Completion code (empty: a personal random code)"),
        s.completion_code,
        key=k + "code",
    ).strip()
    values["completion_url"] = st.text_input(
        labelled("completion_url", "Completion URL (empty with Prolific: Prolific's completion link with the code)"),
        s.completion_url,
        key=k + "url",
    ).strip()
    return values


def _localised_text_fields(k: str, s: StudySettings) -> dict[str, object]:
    """The study's own texts in every language besides English, one expander per language."""
    localised: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        shown = s.localised(language)  # what participants in this language see now
        own = s.localised_texts.get(language, {})
        with st.expander(f"Texts in {LANGUAGE_NAMES[language]} ({language})"):
            st.caption(
                "Participants who take the study in this language see these texts. An empty field shows the "
                "built-in translation while the English text is the built-in default, otherwise the English text."
            )
            texts = {
                name: st.text_area(
                    # The English field's label (drawn above) with the language: each field has its own name.
                    f"{short(FIELD_LABELS[name])} ({LANGUAGE_NAMES[language]})",
                    own.get(name, ""),
                    height=160 if name == "information_text" else None,
                    placeholder=getattr(shown, name),
                    key=f"{k}{language}_{name}",
                ).strip()
                for name in TEXT_FIELDS
            }
        localised[language] = {name: text for name, text in texts.items() if text}
    return {"localised_texts": {language: texts for language, texts in localised.items() if texts}}


def history_section(session: Session, study_id: int) -> None:
    """Every stored version of the study, newest first, with what changed from the one before."""
    with st.expander("Version history"):
        history = repository.settings_history(session, study_id)
        rows = [
            {
                "Version": vid,
                "Saved (UTC)": created,
                "Note": note or "",
                "What changed": (
                    ", ".join(changed_labels(history[index + 1][3], settings)) or "nothing"
                    if index + 1 < len(history)
                    else "first version"
                ),
                "Trials": settings.n_trials,
            }
            for index, (vid, created, note, settings) in enumerate(history)
        ]
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            column_config={"What changed": st.column_config.TextColumn(width="large")},
        )
