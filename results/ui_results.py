"""Streamlit sections shared by the results pages: headline metrics, breakdowns, model fits.

Each section draws statistics from :mod:`results.detection`, :mod:`results.emotion` and
:mod:`results.lens`; every figure and table names the participants and trials it rests on.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.config import database_url
from results import charts, detection
from results.dataset import Dataset, Filters
from results.ui_filters import CACHE_TTL_S, _cached_dataset

BREAKDOWN_CHOICES: dict[str, str] = {
    "training_years": "Years of musical training",
    "practice_years": "Years of daily practice",
    "training_self_rating": "Self-rated musicianship (1-7)",
    "ai_exposure": "AI music heard before",
    "ai_attitude": "Attitude to AI music (1-7)",
    "age_band": "Age band",
    "genre": "Genre",
    "vocals": "Vocals",
    "ai_system": "AI system (AI clips only)",
}


def fmt(value, digits: int = 2) -> str:
    """A number for display; "n/a" for missing or undefined values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.1f}%"


def detection_metrics(summary: dict, roc: detection.ROC) -> None:
    """Four headline metrics, each with its 95 % interval and n."""
    acc, d = summary["accuracy"], summary["d_prime"]
    columns = st.columns(4)
    columns[0].metric("Participants / main trials", f"{summary['n_participants']} / {summary['n_trials']}")
    columns[1].metric("Accuracy", pct(acc["estimate"]), help=(
        f"95% Wilson interval {pct(acc['ci_low'])} to {pct(acc['ci_high'])}; {acc['successes']} of {acc['n']} "
        f"trials correct; binomial test against 50%: p = {fmt(acc['p_value'], 4)}"), delta_color="off", delta_arrow="off",
        delta=f"[{pct(acc['ci_low'])}, {pct(acc['ci_high'])}]")
    columns[2].metric("Mean d′", fmt(d["mean"]), delta=f"[{fmt(d['ci_low'])}, {fmt(d['ci_high'])}]",
                      delta_color="off", delta_arrow="off", help=(
                          f"Mean of {d['n']} participants' d′ with a 95% t interval; t-test against 0: "
                          f"p = {fmt(d['p_value'], 4)}"))
    columns[3].metric("AUC (confidence)", fmt(roc.auc), delta=f"[{fmt(roc.auc_ci[0])}, {fmt(roc.auc_ci[1])}]",
                      delta_color="off", delta_arrow="off", help="Area under the confidence ROC; 95% bootstrap interval over participants")


def breakdown_section(trials: pd.DataFrame, by: str) -> None:
    """Detection per group of ``by``: chart and table."""
    table = detection.breakdown(trials, by)
    if table.empty:
        st.info("No scored trials to break down.")
        return
    label = BREAKDOWN_CHOICES.get(by, by)
    st.altair_chart(charts.breakdown_chart(table, label))
    shown = table[["level", "n_participants", "n_trials", "hits", "false_alarms", "hit_rate", "fa_rate",
                   "d_prime", "criterion", "d_prime_basis", "accuracy", "accuracy_ci_low", "accuracy_ci_high",
                   "mean_participant_d_prime", "mean_participant_d_prime_ci_low", "mean_participant_d_prime_ci_high"]]
    st.dataframe(shown.rename(columns={"level": label}), hide_index=True)
    st.caption("hit_rate, fa_rate, d_prime and criterion come from the group's pooled counts with the log-linear "
               "correction; the mean participant d′ averages participants' own d′ in the group.")


@st.cache_data(ttl=CACHE_TTL_S, show_spinner="Fitting the mixed model ...")
def _detection_mixed_model(filters: Filters, url: str) -> dict:
    return detection.detection_mixed_model(_cached_dataset(filters, url).trials)


def _model_table(result: dict) -> pd.DataFrame | None:
    """The fixed-effects table of a model result, whichever key holds it."""
    for key in ("fixed_effects", "fixed", "coefficients"):
        value = result.get(key)
        if isinstance(value, pd.DataFrame):
            return value
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return pd.DataFrame(value)
    return None


def mixed_model_section(dataset: Dataset) -> None:
    """Detection mixed model (participants and clips as crossed random effects), fitted on request."""
    st.subheader("Mixed model")
    st.caption("Probit model of 'judged AI' with participants and clips as crossed random effects: the slope for "
               "'clip is AI' estimates d′ for a typical listener and clip, and its interval allows for both "
               "samples. Fitted on request because it takes a few seconds.")
    if not st.toggle("Fit the mixed model", key="overview_fit_detection_model"):
        return
    result = _detection_mixed_model(dataset.filters, database_url())
    show_model_result(result)


def show_model_result(result: dict) -> None:
    """A model result dict: its fixed-effects table, variance components and notes."""
    table = _model_table(result)
    if table is not None:
        st.dataframe(table, hide_index=True)
    scalars = {k: v for k, v in result.items() if isinstance(v, (int, float, str, bool)) and k != "methods"}
    if scalars:
        st.dataframe(pd.DataFrame({"quantity": list(scalars), "value": [str(v) for v in scalars.values()]}),
                     hide_index=True)
    for key in ("random_effects", "random_sd"):
        if isinstance(result.get(key), (list, pd.DataFrame)):
            st.dataframe(pd.DataFrame(result[key]), hide_index=True)
    if result.get("methods"):
        st.caption(result["methods"])


def emotion_section(dataset: Dataset) -> None:
    """Emotion ratings by true and perceived source (drawn once the emotion statistics exist)."""
    from results import emotion

    trials = dataset.trials
    scales = [s for s in ("valence", "arousal", "moved", "liking") if trials[s].notna().any()]
    if not scales:
        st.info("No emotion ratings under these filters.")
        return
    by_source = emotion.emotion_by_source(trials, scales)
    for scale in scales:
        st.altair_chart(charts.emotion_interaction_chart(by_source, scale))
    st.subheader("Tests")
    st.dataframe(emotion.emotion_tests(trials, scales), hide_index=True)
