"""The balance report page: are human and AI clips comparable on everything except who made them?"""

from __future__ import annotations

import streamlit as st

from audio import library
from audio.balance import BalanceReport, balance_report, feature_name, numeric_feature_columns
from audio.balance.charts import FOREST_LIMIT, distribution_chart, forest_chart
from core.db import session_scope

_TABLE_COLUMNS = {
    "n_human": st.column_config.NumberColumn("n human"),
    "n_ai": st.column_config.NumberColumn("n AI"),
    "mean_human": st.column_config.NumberColumn("human mean", format="%.4g"),
    "sd_human": st.column_config.NumberColumn("human SD", format="%.3g"),
    "mean_ai": st.column_config.NumberColumn("AI mean", format="%.4g"),
    "sd_ai": st.column_config.NumberColumn("AI SD", format="%.3g"),
    "g": st.column_config.NumberColumn("g", format="%+.2f"),
    "g_low": st.column_config.NumberColumn("95% CI low", format="%+.2f"),
    "g_high": st.column_config.NumberColumn("95% CI high", format="%+.2f"),
    "p_mannwhitney": st.column_config.NumberColumn(
        "p (Mann-Whitney)", format="%.3f", help="Two-sided rank test of this feature alone."
    ),
    "q_fdr": st.column_config.NumberColumn(
        "q (FDR)",
        format="%.3f",
        help="Benjamini-Hochberg q-value across all heard features; flags need q at most 0.05.",
    ),
    "auc": st.column_config.NumberColumn(
        "P(AI higher)", format="%.2f", help="Chance a random AI clip has the higher value; 0.5 = none."
    ),
    "audible_min": st.column_config.NumberColumn(
        "audible from",
        format="%g",
        help="The smallest difference of means a listener could hear, in the feature's unit; flags need it.",
    ),
    "audible_unit": st.column_config.TextColumn("unit"),
    "statistical": st.column_config.CheckboxColumn("beyond chance"),
    "audible": st.column_config.CheckboxColumn("audible"),
    "flagged": st.column_config.CheckboxColumn("flagged"),
}


def balance_page() -> None:
    """Flags, the standardised differences and one feature clip by clip, for the active library."""
    st.title("Balance report")
    st.caption(
        "Before launch, human and AI clips should differ only in who made them. Each flag below is a "
        "difference a listener could use instead of musical judgement. g is Hedges' standardised "
        "difference of AI minus human (positive: AI clips are higher). A feature is flagged only when its "
        "difference is beyond chance (rank test, false discovery rate 5 % across features, |g| at least the "
        "threshold below) and large enough to hear (the 'audible from' column: e.g. 0.5 LU of loudness, "
        "0.1 s of duration, 1 kHz of bandwidth); the notes say how many large differences chance alone "
        "would give and which differences are beyond chance but too small to hear."
    )
    with session_scope() as session:
        frame = library.features_frame(session, include_retired=False)
    g_threshold = st.slider(
        "Smallest |g| worth a flag (when beyond chance)",
        min_value=0.1,
        max_value=1.5,
        value=0.3,
        step=0.05,
        key="balance_g_threshold",
    )
    report = balance_report(frame, g_threshold=g_threshold)
    _flags(report, g_threshold)
    if report.table.empty:
        st.info("No clips with features yet. Add clips first.")
        return
    _differences(report, g_threshold)
    _one_feature(frame, report)
    with st.expander("Plain-text report (as printed by `human-touch clips report`)"):
        st.code(report.to_text(), language=None)


def _flags(report: BalanceReport, g_threshold: float) -> None:
    st.subheader(f"{report.counts['human']} human and {report.counts['ai']} AI clips")
    if report.flags:
        for flag in report.flags:
            st.warning(flag)
    else:
        st.success(
            "No flags: formats and sizes match, loudness is even, and no feature differs beyond chance "
            f"by |g| ≥ {g_threshold:.2f} and by enough to hear."
        )
    for note in report.notes:
        st.info(note)


def _differences(report: BalanceReport, g_threshold: float) -> None:
    st.subheader("Standardised differences")
    st.altair_chart(forest_chart(report.table, g_threshold), width="stretch")
    st.caption(
        f"Dots: g; lines: 95% confidence intervals; dashed: ±{g_threshold:.2f}. Values beyond "
        f"±{FOREST_LIMIT:g} are drawn at the edge; the table has the exact numbers."
    )
    st.dataframe(report.table.drop(columns=["column"]), hide_index=True, column_config=_TABLE_COLUMNS, width="stretch")


def _one_feature(frame, report: BalanceReport) -> None:
    st.subheader("One feature, clip by clip")
    columns = numeric_feature_columns(frame)
    flagged_first = sorted(columns, key=lambda c: not report.table.set_index("column").loc[c, "flagged"])
    chosen = st.selectbox("Feature", flagged_first, format_func=feature_name, key="balance_feature")
    st.altair_chart(distribution_chart(frame, chosen, feature_name(chosen)), width="stretch")
