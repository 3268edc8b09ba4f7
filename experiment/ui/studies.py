"""Streamlit drawing of the Studies page: the studies of this server, a new study, the current study's audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import access, audit, db, ui
from core.access import Permission
from experiment import repository, studies
from experiment.studies import StudyRef
from experiment.ui.study_context import may, visible_studies

_CREATED = "_studies_created_message"


def studies_page(current: StudyRef | None) -> None:
    """The whole page: the studies this staff member can see, creating one, and the current study's trail."""
    st.title("Studies")
    if _CREATED in st.session_state:
        st.success(st.session_state.pop(_CREATED))
    _studies_table()
    if may(Permission.CREATE_STUDY, None):
        _new_study_form(current)
    if current is not None and may(Permission.VIEW_AUDIT, current.id):
        _audit_trail(current)
    if current is not None and may(Permission.DELETE_STUDY, current.id):
        _delete_study(current)


def _studies_table() -> None:
    rows = []
    with db.session_scope() as session:
        account = ui.current_account()
        for study in visible_studies():
            counts = repository.study_participant_counts(session, study.id)
            role = _role_label(session, account, study.id)
            rows.append(
                {
                    "Study": study.name,
                    "Short name": study.slug,
                    "Status": "open" if studies.is_open(session, study.id) else "closed",
                    "Started": counts["started"],
                    "Completed": counts["completed"],
                    "Participant link": f"/?study={study.slug}",
                    "Your role": role,
                }
            )
    if not rows:
        st.info("You have no role in any study yet. Ask a study's owner or the server admin to add you.")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Pick the study to work on in the sidebar; every study page then shows that study.")


def _role_label(session, account: access.Account | None, study_id: int) -> str:
    if account is None:
        return ""
    if account.is_admin:
        return "admin"
    member = next((role for who, role in access.members(session, study_id) if who.id == account.id), None)
    return str(member or "")


def _new_study_form(current: StudyRef | None) -> None:
    with st.expander("New study"):
        with st.form("new_study", clear_on_submit=True):
            name = st.text_input("Name", placeholder="e.g. Pilot 2027: strings")
            slug = st.text_input("Short name for links (optional)", placeholder="made from the name")
            copy = st.checkbox(
                f"Start from the current settings of {current.name}" if current else "Start from the defaults",
                value=current is not None,
                disabled=current is None,
            )
            submitted = st.form_submit_button("Create the study (closed until you open it)")
    if not submitted:
        return
    ui.require(Permission.CREATE_STUDY, None)
    actor = ui.current_actor()
    try:
        with db.session_scope() as session:
            settings = None
            if copy and current is not None:
                _version, copied = repository.current_settings(session, current.id)
                settings = copied.with_changes(title=name.strip() or copied.title)
            study = studies.create(session, name, actor, slug=slug.strip() or None, settings=settings, is_open=False)
    except ValueError as error:
        st.error(f"Not created: {error}.")
        return
    st.session_state[_CREATED] = f"Study {study.name} created; its link is /?study={study.slug}."
    st.query_params["study"] = study.slug
    st.rerun()


def _audit_trail(study: StudyRef) -> None:
    with st.expander(f"Audit trail of {study.name}"):
        with db.session_scope() as session:
            entries = audit.events(session, study_id=study.id, limit=500)
        if not entries:
            st.info("Nothing recorded yet.")
            return
        frame = pd.DataFrame(
            [
                {
                    "When (UTC)": e.at,
                    "Who": e.actor,
                    "From": e.client or "",
                    "Action": e.action,
                    "What": e.target or "",
                    "Detail": audit.describe_detail(e.detail),
                }
                for e in entries
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")
        st.caption("The newest 500 entries; the study's archive and export carry the whole trail.")


def _delete_study(study: StudyRef) -> None:
    with st.expander(f"Delete {study.name}"):
        st.caption(
            "Its link stops working and it leaves every list; its answers stay in the database (erase them by "
            "withdrawal). Recorded in the audit trail."
        )
        with st.form("delete_study", clear_on_submit=True):
            typed = st.text_input(f"Type the short name ({study.slug}) to confirm")
            submitted = st.form_submit_button("Delete the study")
    if not submitted:
        return
    if typed.strip() != study.slug:
        st.warning("The short name does not match; nothing was deleted.")
        return
    ui.require(Permission.DELETE_STUDY, study.id)
    with db.session_scope() as session:
        studies.delete(session, study, ui.current_actor())
    st.query_params.pop("study", None)
    st.rerun()
