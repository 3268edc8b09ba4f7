"""The features page: the lens model, which acoustic features gave the source away and which listeners went by."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.data.table import feature_columns
from results.rendering import clip_charts
from results.rendering.formatting import format_number
from results.rendering.labels import feature_label
from results.statistics import lens
from results.ui.filters import page_analysis
from results.ui.tables import show_table


def features_page() -> None:
    """The whole page under the sidebar's filters."""
    st.title("Features and the lens model")
    analysis = page_analysis()
    dataset, trials = analysis.dataset, analysis.trials
    if not feature_columns(trials):
        st.info(
            "The clips heard under these filters have no acoustic features yet (the clip library computes them "
            "when clips are added)."
        )
        return
    st.write(
        "Each feature is set against two things across clips: the **true source** (does the feature give the "
        "source away?) and how often listeners **judged the clip AI** (did listeners go by it?). A feature "
        "with a large orange and a small purple correlation is a misleading cue; the reverse is a missed cue."
    )
    lens_summary_section(trials)
    estimate_accuracy_section()
    associations = analysis.feature_associations
    st.altair_chart(clip_charts.lens_chart(associations, analysis.n_participants, analysis.n_trials), width="content")
    with st.expander("All features (table)"):
        show_table(
            associations, empty="Too few rated clips with features to relate features to sources and judgements."
        )
        st.caption(
            "r with source: point-biserial r with the source (AI = 1); Cohen's d: AI minus human; "
            "r with judged AI: r with the proportion of listeners who judged the clip AI; intervals 95%; "
            "q (BH): Benjamini-Hochberg across features within each column."
        )
    st.subheader("Clips as points")
    summary = analysis.clip_summary.merge(
        dataset.clips[["clip_id", *feature_columns(dataset.clips)]], on="clip_id", how="left"
    )
    strongest = (
        associations.assign(strength=associations[["source_r", "judgement_r"]].abs().max(axis=1))
        .sort_values("strength", ascending=False)["feature"]
        .tolist()
    )
    choices = [f for f in strongest if f in summary.columns]
    feature = st.selectbox("Feature", choices, format_func=feature_label, key="features_scatter")
    st.altair_chart(clip_charts.feature_scatter_chart(summary, feature, analysis.n_participants), width="content")


def estimate_accuracy_section() -> None:
    """How often the tempo and key estimates were right on audio whose answers are known."""
    from audio.accuracy.published import ACCURACY_NOTES

    with st.expander("How far to trust the tempo and key estimates"):
        st.write(
            "Tempo and key are estimates. They were checked on audio with known answers (Bach chorales rendered "
            "at known tempi in the key their score states, chord progressions in all 24 keys with and without "
            "drums, click tracks; `benchmarks/feature_accuracy.py`). That audio is synthetic and keeps a steady "
            "tempo; real recordings with rubato, dense mixes or modal harmony will score lower."
        )
        for name in ("tempo_estimate_bpm", "key_estimate"):
            if name in ACCURACY_NOTES:
                st.markdown(f"- **{name}**: {ACCURACY_NOTES[name]}")


def lens_summary_section(trials: pd.DataFrame) -> None:
    """Achievement and its lens-model decomposition across clips, with the caveat on cue selection."""
    summary = lens.lens_summary(trials)
    achievement = summary.achievement
    columns = st.columns(4)
    columns[0].metric(
        "Achievement r",
        format_number(achievement.r),
        delta=f"[{format_number(achievement.ci_low)}, {format_number(achievement.ci_high)}]",
        delta_color="off",
        delta_arrow="off",
        help=f"Correlation across {summary.n_clips} clips between the true source "
        "and the proportion judged AI (Fisher-z 95% interval)",
    )
    if summary.environment is None or summary.judgement is None:  # fitted together
        st.caption("Too few clips or usable features to fit the lens models.")
        return
    columns[1].metric("Environment R (cues → source)", format_number(summary.environment.multiple_r))
    columns[2].metric("Listener R (cues → judgements)", format_number(summary.judgement.multiple_r))
    columns[3].metric("Matching G", format_number(summary.matching_g))
    st.caption(
        f"Linear models over {summary.n_clips_model} clips with the cues "
        f"{', '.join(feature_label(c) for c in summary.cues)} ({summary.cue_selection}; "
        "choosing cues on the same data flatters both R). Unmodelled agreement "
        f"C = {format_number(summary.unmodelled_c)}."
    )
