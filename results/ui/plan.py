"""Streamlit drawing of the power planner: a design form, a run button, the power curve."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.planning.power import DEFAULT_SIZES, PlanDesign, equivalence_plan, power_curve
from results.ui.filters import results_study
from results.ui.flow import prereg_download


def _design_form() -> tuple[PlanDesign, tuple[int, ...], int, str] | None:
    """The design inputs; returns ``(design, sizes, n_sims, method)`` when the form was submitted."""
    d = PlanDesign()
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
        n_sims = right.number_input("Simulated studies per size", 10, 5000, 100, 10, key="plan_sims")
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
    with st.expander("Preregistration of the study version in force"):
        prereg_download(results_study())
    chosen = _design_form()
    if chosen is not None:
        design, sizes, n_sims, method = chosen
        bar = st.progress(0.0, text="Simulating ...")
        curve = power_curve(
            design, sizes, n_sims, method=method, workers=2, progress=lambda done, total: bar.progress(done / total)
        )
        bar.empty()
        st.session_state["plan_result"] = (design, method, curve)
    if "plan_result" not in st.session_state:
        return
    design, method, curve = st.session_state["plan_result"]
    st.subheader("Power over sample sizes")
    st.line_chart(
        curve.set_index("n_participants")[["power_detection", "power_equivalence"]].rename(
            columns={"power_detection": "detection", "power_equivalence": "chance level (equivalence)"}
        ),
        x_label="participants",
        y_label="power",
    )
    st.dataframe(curve.round(3), hide_index=True)
    enough = curve[curve["power_detection"] >= 0.8]
    st.write(
        f"Smallest simulated size with 80 % power to detect d′ = {design.d_prime:g}: "
        + (f"**{int(enough['n_participants'].iloc[0])} participants**." if len(enough) else "none of these sizes.")
    )
    st.write(equivalence_plan(design, curve)["sentence"])
    st.caption(
        f"Analysis: {method}. Monte Carlo SE of each power: column mc_se. {pd.Timestamp.now(tz='UTC'):%H:%M} UTC."
    )
