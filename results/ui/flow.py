"""Streamlit drawing of the participant flow, the versions analysed and the deviations (Overview, Export)."""

from __future__ import annotations

import streamlit as st

from core import db
from experiment import repository
from results.data.dataset import Dataset
from results.planning.prereg import deviations, preregistration_markdown
from results.ui.tables import show_table


def show_flow(dataset: Dataset) -> None:
    """The flow table from arrival to analysis, the versions note and the deviations from the preregistration."""
    if dataset.filters.unfiltered:
        st.warning("Unfiltered data: no exclusions at all. This is not the preregistered analysis.")
    elif not dataset.filters.preregistered:
        st.warning("Custom exclusions: these are not the exclusion rules preregistered in the study settings.")
    if dataset.version_note:
        st.info(dataset.version_note)
    if dataset.flow is None:
        return
    st.subheader("Participant flow")
    show_table(
        dataset.flow,
        empty="No participants yet.",
        column_config={"stage": "Stage", "removed": "Removed", "remaining": "Remaining"},
    )
    if dataset.condition_flow is not None and len(dataset.condition_flow) > 1:
        st.markdown("**Per design condition** (a condition is drawn when the trial list is stored)")
        st.dataframe(
            dataset.condition_flow,
            hide_index=True,
            column_config={
                "condition": "Condition",
                "assigned": "Assigned",
                "finished": "Finished",
                "excluded": "Excluded (rules, dropping out included)",
                "analysed": "Analysed",
            },
        )
    found = deviations(dataset)
    with st.expander(f"Deviations from the preregistration ({len(found)})"):
        for line in found or ["None found."]:
            st.markdown(f"- {line}")


def prereg_download(study_id: int) -> None:
    """Download the preregistration of the study's version in force (Markdown with embedded JSON)."""
    with db.session_scope() as session:
        version_id, settings = repository.current_settings(session, study_id)
        text = preregistration_markdown(version_id, settings, repository.study_clip_counts(session, settings))
    if not settings.planned_n:
        st.warning(
            f'Study version {version_id} has no planned sample size: its preregistration says "not set". Plan one '
            "below and enter it in Study settings → Preregistration before posting."
        )
    st.download_button(
        f"Download the preregistration of study version {version_id} (Markdown + JSON)",
        data=text.encode("utf-8"),
        file_name=f"human-touch-preregistration-v{version_id}.md",
        mime="text/markdown",
        key="prereg_download",
        help="Settings, design, exclusion rules, planned sample size and the analysis that will be run; "
        "post it before data collection.",
    )
