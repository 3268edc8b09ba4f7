"""Staff: every clip's judgements and ratings, a player, its features, and the clips that fooled listeners."""

from core.ui import require_staff

require_staff()

import streamlit as st  # noqa: E402

from results import charts, lens  # noqa: E402
from results.ui.filters import filtered_dataset, show_data_caption, stop_if_empty  # noqa: E402
from results.ui.sections import clip_detail, clip_overview_table, fooling_clips_section  # noqa: E402

st.title("Per clip")
dataset = filtered_dataset()
show_data_caption(dataset)
stop_if_empty(dataset)

summary = lens.clip_summary(dataset.trials)
st.altair_chart(charts.clip_judged_ai_chart(summary, dataset.n_participants), width="content")

fooling_clips_section(dataset.trials)

st.subheader("All clips")
st.caption("Click a column header to sort. Proportions come with Wilson 95% intervals; means are over all ratings "
           "of the clip (main trials under the current filters).")
table = clip_overview_table(summary, dataset.clips)
st.dataframe(table, hide_index=True, column_config={
    "prop_judged_ai": st.column_config.ProgressColumn("judged AI", min_value=0.0, max_value=1.0, format="percent"),
})

st.subheader("Listen and inspect")
clip_detail(summary, dataset.clips)
