"""Streamlit drawing of the staff Participants page: who is in the study, and Prolific decision lists."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db, ui
from core.access import Permission
from experiment import roster, withdrawal
from experiment.roster import ProlificList, Status
from experiment.studies import StudyRef
from experiment.ui.study_context import may

COLUMNS = {
    "participant_id": st.column_config.NumberColumn("#", format="%d", help="Anonymous database id", width=40),
    "status": st.column_config.TextColumn("Status", width=95),
    "condition": st.column_config.TextColumn("Condition", help="Design condition, drawn with the trial list", width=80),
    "step": st.column_config.TextColumn("Step", help="Last step of the journey reached", width=85),
    "trials": st.column_config.TextColumn("Trials", help="Answered of assigned (practice excluded)", width=65),
    "flags": st.column_config.TextColumn(
        "Flags", help="Quality flags: headphone check, attention, too fast, repeat", width=160
    ),
    "prolific_pid": st.column_config.TextColumn("Prolific ID", width=200),
    "completion_code": st.column_config.TextColumn("Code", help="Completion code shown at the debrief", width=85),
    "minutes_taken": st.column_config.NumberColumn(
        "Minutes", format="%.1f", help="Time taken: from consent to the debrief, or so far", width=70
    ),
}
"""Shown columns (fit a 1280 px window beside the sidebar); the CSV lists carry the rest."""

LIST_HELP = {
    ProlificList.APPROVE: "Finished, no quality flag: approve (and pay) on Prolific.",
    ProlificList.REVIEW: "Finished with a quality flag: look before deciding (Prolific needs a fair reason to reject).",
    ProlificList.RETURN: "Screened out or dropped out: ask them to return the submission, which reopens the place.",
}


_WITHDRAWN_MESSAGE = "participants_withdrawn_message"


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(roster.ROSTER_FIELDS))
    frame["trials"] = frame["trials_done"].astype(str) + " of " + frame["trials_total"].astype(str)
    frame["status"] = frame["status"].astype(str)
    return frame[list(COLUMNS)]


def _filters(frame: pd.DataFrame) -> pd.DataFrame:
    left, middle, right = st.columns([2, 1, 2])
    statuses = left.multiselect("Status", [str(s) for s in Status], default=[str(s) for s in Status])
    flagged = middle.selectbox("Flags", ["all", "flagged only", "unflagged only"])
    search = right.text_input("Search Prolific ID or completion code", placeholder="e.g. 5f3c…")
    shown = frame[frame["status"].isin(statuses)]
    if flagged == "flagged only":
        shown = shown[shown["flags"] != ""]
    elif flagged == "unflagged only":
        shown = shown[shown["flags"] == ""]
    if search.strip():
        needle = search.strip().lower()
        hit = shown["prolific_pid"].str.lower().str.contains(needle, regex=False)
        shown = shown[hit | shown["completion_code"].str.lower().str.contains(needle, regex=False)]
    return shown


def _prolific_downloads(rows: list[dict]) -> None:
    st.subheader("Prolific decision lists")
    if not any(row["prolific_pid"] for row in rows):
        st.info(
            "No participant came through Prolific yet (no PROLIFIC_PID in their link), "
            "so there is nothing to approve or return."
        )
        return
    columns = st.columns(len(ProlificList))
    for column, which in zip(columns, ProlificList, strict=True):
        chosen = roster.prolific_list(rows, which)
        column.download_button(
            f"{which.capitalize()} ({len(chosen)}) CSV",
            roster.prolific_csv(chosen),
            file_name=f"prolific_{which}.csv",
            mime="text/csv",
            disabled=not chosen,
            help=LIST_HELP[which],
            width="stretch",
        )
        column.caption(LIST_HELP[which])


def participants_page(study: StudyRef) -> None:
    """The whole staff page for one study: counts by status, filters, the table, and the Prolific lists."""
    st.title(f"Participants: {study.name}")
    if _WITHDRAWN_MESSAGE in st.session_state:
        st.success(st.session_state.pop(_WITHDRAWN_MESSAGE))
    idle = st.number_input(
        "Count as dropped out after this many minutes without activity",
        min_value=5,
        max_value=24 * 60,
        value=int(roster.DEFAULT_IDLE_MINUTES),
        step=5,
    )
    rows = roster.load_roster(idle_minutes=float(idle), study_id=study.id)
    if not rows:
        st.info("Nobody has taken part yet: participants appear here once they consent. Previews are never listed.")
        return
    frame = _frame(rows)
    counts = frame["status"].value_counts()
    for column, status in zip(st.columns(len(Status)), Status, strict=True):
        column.metric(str(status).capitalize(), int(counts.get(str(status), 0)))
    if frame["condition"].nunique() > 1:  # more than one condition (or some not yet drawn)
        by_condition = pd.crosstab(frame["condition"].replace("", "(not yet drawn)"), frame["status"])
        st.caption("Participants per design condition and status")
        st.dataframe(by_condition, width="content")
    shown = _filters(frame)
    if shown.empty:
        st.info("No participant matches these filters.")
    else:
        st.dataframe(shown, hide_index=True, column_config=COLUMNS, width="stretch")
    _prolific_downloads(rows)
    if may(Permission.MANAGE_PARTICIPANTS, study.id):
        _withdraw_on_request(study)


def _withdraw_on_request(study: StudyRef) -> None:
    """Erase a participant who asked to withdraw (by e-mail, say): by Prolific ID or participant number."""
    with st.expander("Withdraw a participant on request"):
        st.caption(
            "Erases their answers, trial list, questionnaire and ids in one step; only a count of withdrawals per "
            "study version remains (shown in the participant flow). This cannot be undone."
        )
        with st.form("withdraw_form", clear_on_submit=True, enter_to_submit=False):
            who = st.text_input("Prolific ID, or participant number (#)", key="withdraw_who").strip()
            sure = st.checkbox("I have checked the request and want to erase this participant", key="withdraw_sure")
            submitted = st.form_submit_button("Withdraw and erase")
        if not submitted:
            return
        if not who or not sure:
            st.warning("Give the Prolific ID or number and tick the confirmation; nothing was erased.")
            return
        by_number = who.lstrip("#").isdigit()
        ui.require(Permission.MANAGE_PARTICIPANTS, study.id)
        try:
            with db.session_scope() as session:
                number = withdrawal.withdraw_on_request(
                    session,
                    participant_id=int(who.lstrip("#")) if by_number else None,
                    prolific_pid=None if by_number else who,
                    study_id=study.id,
                    actor=ui.current_actor(),
                )
        except LookupError as error:
            st.error(f"{error}; nothing was erased.")
            return
        # Rerun so the table and the counts are read again without them; the message survives the rerun.
        st.session_state[_WITHDRAWN_MESSAGE] = f"Participant {number} withdrawn: everything of them is erased."
        st.rerun()
