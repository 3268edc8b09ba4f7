"""The per-clip page: how each clip was judged and rated, a player, and the clips that fooled listeners."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audio import library
from core import db
from core.vocabulary import SCALES, Source
from results.data.table import feature_columns
from results.rendering import clip_charts
from results.rendering.formatting import format_number, format_percent
from results.statistics import lens
from results.ui.filters import page_analysis
from results.ui.tables import show_table


def clips_page() -> None:
    """The whole page under the sidebar's filters."""
    st.title("Per clip")
    analysis = page_analysis()
    dataset, summary = analysis.dataset, analysis.clip_summary
    st.caption(f"Judgements rest on {analysis.rests_on}.")
    st.altair_chart(clip_charts.clip_judged_ai_chart(summary, analysis.n_participants), width="content")
    fooling_clips_section(dataset.trials)
    st.subheader("All clips")
    st.caption(
        "Click a column header to sort. Proportions come with Wilson 95% intervals; means are over all "
        "ratings of the clip (main trials under the current filters)."
    )
    table = clip_overview_table(summary, dataset.clips)
    show_table(
        table,
        empty="No clip has a scored rating under these filters yet.",
        column_config={
            "prop_judged_ai": st.column_config.ProgressColumn(
                "Judged AI", min_value=0.0, max_value=1.0, format="percent"
            ),
            "prop_ci_low": st.column_config.NumberColumn("Judged AI: 95 % CI low", format="percent"),
            "prop_ci_high": st.column_config.NumberColumn("Judged AI: 95 % CI high", format="percent"),
            "mean_confidence": st.column_config.NumberColumn("Mean confidence (1 human … 6 AI)", format="%.2f"),
        },
    )
    st.subheader("Listen and inspect")
    clip_detail(summary, dataset.clips)


_OVERVIEW_COLUMNS = (
    "clip_id",
    "clip_title",
    "clip_creator",
    "source",
    "ai_system",
    "ai_version",
    "genre",
    "vocals",
    "pair_id",
    "n_ratings",
    "prop_judged_ai",
    "prop_ci_low",
    "prop_ci_high",
    "mean_confidence",
    *(f"mean_{s}" for s in SCALES),
)


def clip_overview_table(summary: pd.DataFrame, clips: pd.DataFrame) -> pd.DataFrame:
    """One row per rated clip: catalogue fields next to how it was judged and rated."""
    catalogue = clips[["clip_id", "clip_creator", "ai_version", "pair_id"]]
    table = summary.merge(catalogue, on="clip_id", how="left")
    return table[[c for c in _OVERVIEW_COLUMNS if c in table.columns]]


def fooling_clips_section(trials: pd.DataFrame) -> None:
    """The AI clips most often taken for human and the human clips most often taken for AI."""
    left, right = st.columns([1, 1])
    k = left.number_input("Clips per list", min_value=1, max_value=50, value=5, key="clips_top_k")
    min_ratings = right.number_input(
        "Only clips with at least this many ratings", min_value=1, value=5, key="clips_min_ratings"
    )
    shown = [
        "clip_id",
        "clip_title",
        "n_ratings",
        "shrunk_judged_ai",
        "shrunk_ci_low",
        "shrunk_ci_high",
        "prop_judged_ai",
        "mean_confidence",
    ]
    config = {
        "shrunk_judged_ai": st.column_config.NumberColumn("Judged AI (shrunken)", format="percent"),
        "shrunk_ci_low": st.column_config.NumberColumn("Shrunken: 95 % CI low", format="percent"),
        "shrunk_ci_high": st.column_config.NumberColumn("Shrunken: 95 % CI high", format="percent"),
        "prop_judged_ai": st.column_config.NumberColumn("Judged AI (raw)", format="percent"),
        "mean_confidence": st.column_config.NumberColumn("Mean confidence (1 human … 6 AI)", format="%.2f"),
    }
    why = (
        f"No {{kind}} clip has {int(min_ratings)} or more scored ratings under these filters yet "
        "(the minimum is set above; lists of clips rated once or twice would rank noise)."
    )
    st.markdown("**Most human-sounding AI clips**")
    show_table(
        lens.most_human_sounding_ai(trials, int(k), min_ratings=int(min_ratings))[shown + ["ai_system"]],
        empty=why.format(kind="AI"),
        column_config=config,
    )
    st.markdown("**Most AI-sounding human clips**")
    show_table(
        lens.most_ai_sounding_human(trials, int(k), min_ratings=int(min_ratings))[shown],
        empty=why.format(kind="human"),
        column_config=config,
    )


def served_audio(clip_id: int) -> tuple[bytes, str] | None:
    """The bytes participants heard for a clip and their MIME type, or None when they are missing.

    Read through :mod:`audio.library` (memory, data-folder cache, database), so a replica without
    the clip files plays them too.
    """
    with db.session_scope() as session:
        try:
            return library.served_audio(session, clip_id), library.served_audio_facts(session, clip_id).mime
        except (LookupError, FileNotFoundError):
            return None


def clip_detail(summary: pd.DataFrame, clips: pd.DataFrame) -> None:
    """Pick a clip: its judgement with interval and n, mean ratings, a player and its features."""
    rated = summary.merge(clips, on=["clip_id"], how="left", suffixes=("", "_catalogue"))
    labels = {
        int(row.clip_id): f"#{row.clip_id} · {row.source} · {row.clip_title or 'untitled'}"
        for row in rated.itertuples()
    }
    if not labels:
        st.info("No clip has a scored rating under these filters yet, so there is nothing to inspect.")
        return
    clip_id = st.selectbox("Clip", options=list(labels), format_func=labels.__getitem__, key="clips_detail")
    row = rated[rated["clip_id"] == clip_id].iloc[0]
    columns = st.columns(3)
    columns[0].metric(
        "Judged AI",
        format_percent(row["prop_judged_ai"]),
        delta=f"[{format_percent(row['prop_ci_low'])}, {format_percent(row['prop_ci_high'])}]",
        delta_color="off",
        delta_arrow="off",
        help=f"Wilson 95% interval; {row['n_ratings']} ratings",
    )
    columns[1].metric("Mean confidence (1 sure human … 6 sure AI)", format_number(row["mean_confidence"]))
    columns[2].metric("Ratings", int(row["n_ratings"]))
    creator = row["ai_system"] if row["source"] == Source.AI else row["clip_creator"]
    st.write(
        f"**{row['clip_title'] or 'Untitled'}** — {'AI' if row['source'] == 'ai' else 'human'}"
        f"{f', {creator}' if isinstance(creator, str) else ''}"
        f"{f', genre {row.genre}' if isinstance(row.genre, str) else ''}"
    )
    audio = served_audio(int(row["clip_id"]))
    if audio is None:
        st.warning("The audio file of this clip is not in the data folder.")
    else:
        st.audio(audio[0], format=audio[1])
    means = {str(scale): row[f"mean_{scale}"] for scale in SCALES}
    show_table(
        pd.DataFrame({"scale": list(means), "Mean rating": [format_number(v) for v in means.values()]}),
        empty="No rating scale was asked.",
    )
    features = feature_columns(clips)
    values = pd.DataFrame({"feature": [f.removeprefix("feat_") for f in features], "Value": [row[f] for f in features]})
    show_table(values, empty="This clip has no acoustic features yet (they are computed when clips are added).")
