"""Which study a staff page works on: the sidebar's study picker, kept in the address.

Every study page (settings, participants, preview, results) reads :func:`current_study`. The
choice lives in ``st.query_params["study"]`` so that a refresh or a copied address opens the same
study; the sidebar navigation drops query parameters, so the choice is also kept in the session
state and written back to the address on every run.
"""

from __future__ import annotations

import streamlit as st

from core import db
from experiment import studies
from experiment.studies import StudyRef

_CHOSEN = "_staff_study_slug"


def _visible(session, candidates: list[StudyRef]) -> list[StudyRef]:
    """The studies this staff member may open (their roles decide; see core.access)."""
    from core import access, ui

    account = ui.current_account()
    if account is None:
        return []
    allowed = set(access.studies_visible_to(session, account))
    return [study for study in candidates if study.id in allowed]


def visible_studies() -> list[StudyRef]:
    """Every live study the logged-in staff member may open, oldest first."""
    with db.session_scope() as session:
        return _visible(session, studies.live(session))


def current_study() -> StudyRef | None:
    """The study the staff pages work on (from the address, else the session, else the first visible one).

    None when the staff member may open no study at all.
    """
    options = visible_studies()
    if not options:
        return None
    asked = st.query_params.get("study")
    if asked and asked not in {study.slug for study in options}:
        # An address naming a study this account may not open (or that does not exist): refuse it in
        # words, then show one of the account's own studies (never silently in its place).
        st.error(f"You have no role in a study called {asked!r}; this page shows one of your own studies instead.")
        asked = None
    wanted = asked or st.session_state.get(_CHOSEN)
    chosen = next((study for study in options if study.slug == wanted), options[0])
    st.session_state[_CHOSEN] = chosen.slug
    if st.query_params.get("study") != chosen.slug:
        st.query_params["study"] = chosen.slug
    return chosen


def _remember_choice() -> None:
    st.session_state[_CHOSEN] = st.session_state["study_picker"]
    st.query_params["study"] = st.session_state["study_picker"]


def study_picker() -> StudyRef | None:
    """The sidebar's study choice (drawn only when there is more than one study to choose from)."""
    current = current_study()
    options = visible_studies()
    if current is None or len(options) < 2:
        return current
    slugs = [study.slug for study in options]
    names = {study.slug: f"{study.name} ({study.slug})" for study in options}
    st.session_state["study_picker"] = current.slug
    st.sidebar.selectbox(
        "Working on the study", slugs, key="study_picker", format_func=names.__getitem__, on_change=_remember_choice
    )
    return current


def require_study() -> StudyRef:
    """The current study, or a clear message and a stopped page when there is none to work on."""
    study = current_study()
    if study is None:
        st.info("You have no role in any study yet. Ask a study's owner or the server admin to add you.")
        st.stop()
    return study


def may(permission, study_id: int | None) -> bool:
    """Whether the logged-in staff member's role allows ``permission`` on ``study_id`` (to show or hide a control).

    Hiding is a courtesy: every action also calls ``core.ui.require`` on the server before it acts.
    """
    from core import access, ui

    account = ui.current_account()
    if account is None:
        return False
    with db.session_scope() as session:
        return access.allowed(session, account, permission, study_id)
