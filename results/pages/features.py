"""Staff: the lens model — which acoustic features gave the source away, and which listeners went by."""

from core.ui import require_staff

require_staff()

import streamlit as st  # noqa: E402

from results import charts, lens  # noqa: E402
from results.table import feature_columns  # noqa: E402
from results.ui.filters import filtered_dataset, show_data_caption, stop_if_empty  # noqa: E402
from results.ui.sections import lens_summary_section  # noqa: E402

st.title("Features and the lens model")
dataset = filtered_dataset()
show_data_caption(dataset)
stop_if_empty(dataset)
trials = dataset.trials
features = feature_columns(trials)
if not features:
    st.info("The clips heard under these filters have no acoustic features yet (the clip library computes them "
            "when clips are added).")
    st.stop()

st.write("Each feature is set against two things across clips: the **true source** (does the feature give the "
         "source away?) and how often listeners **judged the clip AI** (did listeners go by it?). A feature with "
         "a large orange and a small purple correlation is a misleading cue; the reverse is a missed cue.")
lens_summary_section(trials)

associations = lens.feature_associations(trials)
st.altair_chart(charts.lens_chart(associations, dataset.n_participants, dataset.n_main_trials), width="content")
with st.expander("All features (table)"):
    st.dataframe(associations, hide_index=True)
    st.caption("source_r: point-biserial r with the source (AI = 1); source_d: Cohen's d, AI minus human; "
               "judgement_r: r with the proportion judged AI; intervals 95%; q: Benjamini-Hochberg across "
               "features within each column.")

st.subheader("Clips as points")
summary = lens.clip_summary(trials).merge(dataset.clips[["clip_id", *feature_columns(dataset.clips)]],
                                          on="clip_id", how="left")
strongest = associations.assign(strength=associations[["source_r", "judgement_r"]].abs().max(axis=1)).sort_values(
    "strength", ascending=False)["feature"].tolist()
choices = [f for f in strongest if f in summary.columns]
feature = st.selectbox("Feature", choices, format_func=lambda f: f.removeprefix("feat_"), key="features_scatter")
st.altair_chart(charts.feature_scatter_chart(summary, feature, dataset.n_participants), width="content")
