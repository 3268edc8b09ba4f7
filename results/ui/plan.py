"""Streamlit drawing of the power planner: a design form starting from the study in force, the power curve."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import db
from results.planning.in_force import design_in_force
from results.planning.power import DEFAULT_SIZES, PlanDesign, equivalence_plan, simulate_outcomes, summarise
from results.planning.sample_size import smallest_size_with_interval
from results.ui.filters import results_study
from results.ui.flow import prereg_download
from results.ui.plan_pairing import pairing_plan_section
from results.ui.tables import show_table

TARGET_POWER = 0.8

CURVE_COLUMNS = {
    "n_participants": "Participants (n)",
    "power_detection": "Power: detection",
    "mc_se": "Monte Carlo SE",
    "power_equivalence": "Power: equivalent to chance",
    "power_accuracy": "Power: accuracy test",
    "share_reversed": "Share reversed",
    "mean_d_prime": "Mean d′",
    "fit_failures": "Failed fits",
}
"""The curve's columns on the page, in order, with their labels."""


def _design_form(start: PlanDesign) -> tuple[PlanDesign, tuple[int, ...], int, str] | None:
    """The design inputs, starting from ``start``; returns ``(design, sizes, n_sims, method)`` when submitted."""
    d = start
    with st.form("plan_form"):
        left, right = st.columns(2)
        n_clips = left.number_input("Clips in the library", 4, 2000, d.n_clips, key="plan_clips")
        n_trials = right.number_input("Main trials per participant (even)", 2, 200, d.n_trials, 2, key="plan_trials")
        d_prime = left.number_input("Expected d′", -3.0, 5.0, d.d_prime, 0.05, key="plan_d")
        participant_sd = right.number_input("Participant SD of d′", 0.0, 3.0, d.participant_sd, 0.05, key="plan_psd")
        clip_sd = left.number_input("Clip SD (AI-soundingness, probit)", 0.0, 3.0, d.clip_sd, 0.05, key="plan_csd")
        criterion_sd = right.number_input("Participant SD of criterion c", 0.0, 3.0, d.criterion_sd, 0.05, key="plan_c")
        alpha = left.number_input("Alpha", 0.001, 0.2, d.alpha, 0.005, format="%.3f", key="plan_alpha")
        d_margin = right.number_input("Equivalence margin of d′", 0.01, 2.0, d.d_prime_margin, 0.05, key="plan_dm")
        sizes_text = left.text_input(
            "Sample sizes (participants)", ", ".join(map(str, DEFAULT_SIZES)), key="plan_sizes"
        )
        n_sims = right.number_input("Simulated studies per size", 10, 5000, 200, 10, key="plan_sims")
        method = left.radio(
            "Analysis of each study",
            ("fast", "full"),
            format_func={"fast": "Fast (cluster-robust, for planning)", "full": "Full headline GLMM (slow)"}.get,
            key="plan_method",
        )
        run = st.form_submit_button("Run the plan", type="primary")
    if not run:
        return None
    try:
        sizes = tuple(int(x) for x in sizes_text.replace(" ", "").split(",") if x)
    except ValueError:
        st.error("Sample sizes must be whole numbers separated by commas.")
        return None
    design = PlanDesign(int(n_clips), int(n_trials), d_prime, participant_sd, clip_sd, criterion_sd, alpha, d_margin)
    if design.problems() or not sizes or min(sizes) < 2:
        st.error("; ".join(design.problems()) or "Sample sizes must be at least 2.")
        return None
    return design, sizes, int(n_sims), str(method)


def _show_result(design: PlanDesign, method: str, outcomes: pd.DataFrame) -> None:
    """The power curve, its table and the recommended sample size."""
    curve = summarise(outcomes)
    smallest = smallest_size_with_interval(outcomes, "power_detection", TARGET_POWER)
    st.subheader("Power over sample sizes")
    st.markdown("**Recommended: " + smallest.sentence(f"to detect d′ = {design.d_prime:g}") + "**")
    st.line_chart(
        curve.set_index("n_participants")[["power_detection", "power_equivalence"]].rename(
            columns={"power_detection": "detection", "power_equivalence": "chance level (equivalence)"}
        ),
        x_label="participants",
        y_label="power",
    )
    show_table(
        curve[list(CURVE_COLUMNS)].round(2),
        empty="No sizes were simulated.",
        column_config=CURVE_COLUMNS,
    )
    st.write(equivalence_plan(design, curve, TARGET_POWER)["sentence"])
    st.caption(
        f"Analysis: {method}; {int(curve['n_sims'].iloc[0])} simulated worlds, each studied at every size (a "
        "larger study is a smaller one plus more listeners), so the curve rises with N up to Monte Carlo error. "
        f"The interval of the recommended size says how much it would move with other simulations of the same "
        f"design, not how wrong the design's assumptions may be. {pd.Timestamp.now(tz='UTC'):%H:%M} UTC."
    )


def plan_page() -> None:
    """The whole page."""
    st.title("Plan a study")
    st.caption(
        "Simulates studies of your design and analyses each as the headline analysis does (generalising over "
        "participants and clips). Power = share of simulated studies with evidence of detection; equivalence "
        "power = share equivalent to chance within the d′ margin (TOST), at the expected d′: "
        "plan it at d′ = 0. The fast analysis needs no model "
        "fit; the full GLMM is somewhat more conservative: check the chosen size with it. Enter the chosen "
        "size as the planned N in the study settings."
    )
    study_id = results_study()
    with st.expander("Preregistration of the study version in force"):
        prereg_download(study_id)
    with db.session_scope() as session:
        in_force = design_in_force(session, study_id)
    st.caption(in_force.source)
    chosen = _design_form(in_force.design)
    if chosen is not None:
        design, sizes, n_sims, method = chosen
        bar = st.progress(0.0, text="Simulating ...")
        outcomes = simulate_outcomes(
            design, sizes, n_sims, method=method, workers=2, progress=lambda done, total: bar.progress(done / total)
        )
        bar.empty()
        st.session_state["plan_result"] = (design, method, outcomes)
    if "plan_result" in st.session_state:
        _show_result(*st.session_state["plan_result"])
    pairing_plan_section(in_force.design, in_force.pairing_design)
