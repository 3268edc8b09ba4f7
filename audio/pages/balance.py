"""Staff page: are human and AI clips comparable on everything except who made them?"""

from core.ui import require_staff

require_staff()

import streamlit as st  # noqa: E402

from audio.balance import balance_report, feature_name, numeric_feature_columns  # noqa: E402
from audio.balance.charts import FOREST_LIMIT, distribution_chart, forest_chart  # noqa: E402
from audio.library import features_frame  # noqa: E402
from core.db import session_scope  # noqa: E402

st.title("Balance report")
st.caption(
    "Before launch, human and AI clips should differ only in who made them. Each flag below is a "
    "difference a listener could use instead of musical judgement. g is Hedges' standardised "
    "difference of AI minus human (positive: AI clips are higher). With few clips some features differ "
    "by chance: listen to the clips at both ends of a flagged feature before replacing any."
)

with session_scope() as session:
    frame = features_frame(session, include_retired=False)

g_threshold = st.slider("Flag features with |g| at or above", min_value=0.1, max_value=1.5, value=0.5, step=0.05,
                        key="balance_g_threshold")
report = balance_report(frame, g_threshold=g_threshold)

st.subheader(f"{report.counts['human']} human and {report.counts['ai']} AI clips")
if report.flags:
    for flag in report.flags:
        st.warning(flag)
else:
    st.success("No flags: formats match, loudness is even, and no feature differs by "
               f"|g| ≥ {g_threshold:.2f}.")

if report.table.empty:
    st.info("No clips with features yet. Add clips first.")
    st.stop()

st.subheader("Standardised differences")
st.altair_chart(forest_chart(report.table, g_threshold), width="stretch")
st.caption(f"Dots: g; lines: 95% confidence intervals; dashed: ±{g_threshold:.2f}. Values beyond "
           f"±{FOREST_LIMIT:g} are drawn at the edge; the table has the exact numbers.")
st.dataframe(
    report.table.drop(columns=["column"]),
    hide_index=True,
    column_config={
        "n_human": st.column_config.NumberColumn("n human"),
        "n_ai": st.column_config.NumberColumn("n AI"),
        "mean_human": st.column_config.NumberColumn("human mean", format="%.4g"),
        "sd_human": st.column_config.NumberColumn("human SD", format="%.3g"),
        "mean_ai": st.column_config.NumberColumn("AI mean", format="%.4g"),
        "sd_ai": st.column_config.NumberColumn("AI SD", format="%.3g"),
        "g": st.column_config.NumberColumn("g", format="%+.2f"),
        "g_low": st.column_config.NumberColumn("95% CI low", format="%+.2f"),
        "g_high": st.column_config.NumberColumn("95% CI high", format="%+.2f"),
        "p_mannwhitney": st.column_config.NumberColumn("p (Mann-Whitney)", format="%.3f",
                                                       help="Descriptive only; the flags use |g|."),
        "auc": st.column_config.NumberColumn("P(AI higher)", format="%.2f",
                                             help="Chance a random AI clip has the higher value; 0.5 = none."),
    },
)

st.subheader("One feature, clip by clip")
columns = numeric_feature_columns(frame)
flagged_first = sorted(columns, key=lambda c: not report.table.set_index("column").loc[c, "flagged"])
chosen = st.selectbox("Feature", flagged_first, format_func=feature_name, key="balance_feature")
st.altair_chart(distribution_chart(frame, chosen, feature_name(chosen)), width="stretch")

with st.expander("Plain-text report (as printed by `human-touch clips report`)"):
    st.code(report.to_text(), language=None)
