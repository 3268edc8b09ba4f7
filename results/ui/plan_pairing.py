"""Streamlit drawing of the Plan page's similar-versus-random part: power to show a difference between pair types.

Drawn under the headline planner (:mod:`results.ui.plan`); the simulation and its analysis are
:mod:`results.planning.pairing_power`.
"""

from __future__ import annotations

import streamlit as st

from results.planning.pairing_power import (
    DEFAULT_PAIRING_SIZES,
    PairingPlan,
    pairing_plan_sentence,
    pairing_power_curve,
)
from results.planning.power import PlanDesign
from results.ui.tables import show_table

CURVE_COLUMNS = {
    "n_participants": "Participants (n)",
    "power": "Power: similar ≠ random",
    "mc_se": "Monte Carlo SE",
    "mean_estimate": "Mean difference (pooled)",
    "failed": "No estimate",
}
TARGET_POWER = 0.8


def pairing_plan_section(start: PlanDesign, design_in_force: str) -> None:
    """The form for a similar-versus-random paired study, starting from the headline design, and its power curve."""
    st.subheader("Similar versus random pairs")
    st.caption(
        "For a paired study that randomises the pairing type: the power to show that listeners tell AI from "
        "human clips better (or worse) in similar pairs than in random ones, generalising over participants "
        "and clips. The fast analysis (pooled difference, cluster-robust over participants and both clips) "
        "was somewhat more conservative than the report's GLMM where both were measured (60 % against 69 %)."
    )
    with st.form("plan_pairing_form"):
        left, right = st.columns(2)
        effect = left.number_input("d′ difference to show (similar − random)", -3.0, 3.0, 0.6, 0.05, key="pp_effect")
        design = right.radio(
            "Pairing type",
            ("within", "between"),
            index=1 if design_in_force == "between" else 0,
            format_func={"within": "within participants", "between": "between participants"}.get,
            horizontal=True,
            key="pp_design",
        )
        n_clips = left.number_input("Clips in the library", 4, 2000, start.n_clips, key="pp_clips")
        n_pairs = right.number_input("Pairs per participant", 2, 100, max(start.n_trials // 2, 2), key="pp_pairs")
        d_prime = left.number_input("Mean d′ (between the two types)", -3.0, 5.0, start.d_prime, 0.05, key="pp_d")
        n_worlds = right.number_input("Simulated studies per size", 20, 2000, 200, 20, key="pp_worlds")
        run = st.form_submit_button("Plan the pairing comparison")
    if run:
        plan = PairingPlan(
            int(n_clips), int(n_pairs), float(effect), str(design), float(d_prime),
            start.participant_sd, start.clip_sd, start.alpha,
        )  # fmt: skip
        if plan.problems():
            st.error("; ".join(plan.problems()))
            return
        bar = st.progress(0.0, text="Simulating ...")
        curve = pairing_power_curve(
            plan, DEFAULT_PAIRING_SIZES, int(n_worlds), progress=lambda done, total: bar.progress(done / total)
        )
        bar.empty()
        st.session_state["plan_pairing_result"] = (plan, curve)
    if "plan_pairing_result" in st.session_state:
        plan, curve = st.session_state["plan_pairing_result"]
        st.markdown(f"**{pairing_plan_sentence(plan, curve, TARGET_POWER)}**")
        show_table(curve[list(CURVE_COLUMNS)].round(2), empty="No sizes were simulated.", column_config=CURVE_COLUMNS)
