"""Streamlit drawing of the preregistered part of the study settings: screening criterion, exclusion rules, planned N.

Drawn inside the settings form of :mod:`experiment.ui.study_settings`; the values go into the new
version like every other setting. A version that has participants keeps its rules (the
repository refuses to change it); the form says so, because saving makes a new version whose
rules apply only to the participants who start under it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy.orm import Session

from core.vocabulary import EXCLUSION_RULE_LABELS, ScreeningCriterion
from experiment import repository
from experiment.settings import EXCLUSION_RULES, SCREENING_CRITERIA, StudySettings
from experiment.ui.setting_labels import labelled

CRITERION_LABELS: dict[str, str] = {
    ScreeningCriterion.MILNE_2021: "Milne et al. 2021: all 6 of 6 correct (published for this test)",
    ScreeningCriterion.WOODS_2017: "Woods et al. 2017: 5 of 6 (their antiphase test's criterion; more lenient)",
    ScreeningCriterion.CUSTOM: "Custom: the pass mark below",
}


def preregistration_fields(session: Session, k: str, version_id: int, s: StudySettings) -> dict[str, object]:
    """Screening criterion, exclusion rules and planned sample size; returns {setting name: value}."""
    criteria = tuple(ScreeningCriterion)
    criterion = st.selectbox(
        labelled("screening_criterion", "Headphone screen pass mark"),
        criteria,
        index=criteria.index(ScreeningCriterion(s.screening_criterion)),
        format_func=CRITERION_LABELS.__getitem__,
        key=k + "screening_criterion",
        help=" ".join(SCREENING_CRITERIA.values()),
    )
    st.caption(SCREENING_CRITERIA[criterion])
    st.markdown("**Preregistration: exclusions and sample size**")
    taken = repository.version_participant_count(session, version_id)
    if taken:
        st.info(
            f"Version {version_id} has {taken} participant(s): its exclusion rules are locked for them. "
            "Saving makes a new version; changed rules apply only to participants who start under it, and "
            "the report lists the change as a deviation."
        )
    rules = st.multiselect(
        labelled("exclusion_rules", "Leave a participant out of the analyses when they ..."),
        EXCLUSION_RULES,
        default=[rule for rule in EXCLUSION_RULES if rule in s.exclusion_rules],
        format_func=EXCLUSION_RULE_LABELS.__getitem__,
        key=k + "exclusion_rules",
        help="Chosen before data come in and applied by default in every result; researchers can still "
        "look at unfiltered data, which is labelled as such.",
    )
    planned = st.number_input(
        labelled("planned_n", "Planned number of analysed participants (0 = not planned; see Results → Plan)"),
        0,
        100_000,
        int(s.planned_n),
        key=k + "planned_n",
    )
    if not planned:
        st.warning(
            "No planned sample size is set: the preregistration will say so. Plan one on Results → Plan and "
            "enter it here before data collection."
        )
    hypotheses = st.text_area(
        labelled("hypotheses", "Your hypotheses and research questions (Markdown; preregistered, staff only)"),
        s.hypotheses,
        key=k + "hypotheses",
        help="The preregistration lists the questions the app's analysis answers (detection, emotion by true "
        "source, label effects, exploratory features); add your own predictions here, e.g. which scales "
        "should differ and in which direction.",
    )
    st.caption(
        "The preregistration file (settings, design, these rules, the planned N and the analysis) is on the "
        "Results → Plan and Export pages, and `human-touch prereg` writes it."
    )
    return {
        "screening_criterion": str(criterion),
        "exclusion_rules": tuple(rule for rule in EXCLUSION_RULES if rule in rules),
        "planned_n": int(planned),
        "hypotheses": str(hypotheses),
        **_participant_data_fields(k, s),
    }


def _participant_data_fields(k: str, s: StudySettings) -> dict[str, object]:
    """How long identifiers are kept, and until when and how participants can withdraw."""
    st.markdown("**Participants' data**")
    retention = st.number_input(
        labelled(
            "identifier_retention_days",
            "Erase participants' Prolific ids this many days after they finished (the answers stay)",
        ),
        1,
        3650,
        int(s.identifier_retention_days),
        key=k + "identifier_retention_days",
        help="Checked at every start of the app and by `human-touch maintenance` (run it daily from cron or a "
        "systemd timer). State the period in the consent text.",
    )
    deadline = st.date_input(
        labelled(
            "withdrawal_deadline",
            "Participants can withdraw themselves until (empty: no end; staff can withdraw on request at any time)",
        ),
        value=date.fromisoformat(s.withdrawal_deadline) if s.withdrawal_deadline else None,
        key=k + "withdrawal_deadline",
        help="The debrief offers the withdrawal until this day (UTC). State it in the consent text.",
    )
    keep = st.checkbox(
        labelled(
            "withdrawal_keeps_answers",
            "A withdrawal keeps the answers without identifiers (only if the consent text says so)",
        ),
        value=s.withdrawal_keeps_answers,
        key=k + "withdrawal_keeps_answers",
        help="Off (the default): a withdrawal erases everything of the person. On: their Prolific ids and resume "
        "link are erased, their answers stay in the results, unlinkable to them.",
    )
    return {
        "identifier_retention_days": int(retention),
        "withdrawal_deadline": deadline.isoformat() if isinstance(deadline, date) else "",
        "withdrawal_keeps_answers": bool(keep),
    }
