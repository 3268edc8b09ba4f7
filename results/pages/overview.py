"""Staff: could listeners tell human from AI, and how did the clips make them feel?"""

from core.ui import require_staff

require_staff()

import streamlit as st  # noqa: E402

from results import charts, detection  # noqa: E402
from results.ui.filters import filtered_dataset, show_data_caption, stop_if_empty  # noqa: E402
from results.ui.sections import (  # noqa: E402
    BREAKDOWN_CHOICES, breakdown_section, detection_metrics, emotion_section, mixed_model_section)

st.title("Results overview")
dataset = filtered_dataset()
show_data_caption(dataset)
stop_if_empty(dataset)
trials = dataset.trials

detection_tab, emotion_tab, groups_tab = st.tabs(["Detection", "Emotion", "By group"])

with detection_tab:
    summary = detection.detection_summary(trials)
    roc = detection.roc_from_confidence(trials)
    detection_metrics(summary, roc)
    st.altair_chart(charts.hit_fa_chart(summary), width="content")
    st.altair_chart(charts.dprime_distribution_chart(detection.per_participant_sdt(trials), summary), width="content")
    st.altair_chart(charts.roc_chart(roc, summary["n_participants"], summary["n_trials"]), width="content")
    mixed_model_section(dataset)
    with st.expander("Methods"):
        st.write(summary["methods"])

with emotion_tab:
    emotion_section(dataset)

with groups_tab:
    by = st.selectbox("Break detection down by", options=list(BREAKDOWN_CHOICES), format_func=BREAKDOWN_CHOICES.get,
                      key="overview_breakdown_by")
    breakdown_section(trials, by)
