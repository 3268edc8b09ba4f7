"""Altair charts of clips: how often each was judged AI, and the acoustic features (lens model).

Every chart draws the output of :mod:`results.statistics.lens`; nothing here computes statistics. Each title
states the participants and trials the chart rests on, and every estimate carries its 95 % interval
and its n in the tooltip.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from results.rendering.chart_parts import (
    AI_COLOUR,
    NEUTRAL,
    PAD,
    SOURCE_LEGEND,
    SOURCE_SCALE,
    WIDTH,
    chart_title,
    layered,
)
from results.rendering.labels import feature_label


def clip_judged_ai_chart(clips: pd.DataFrame, n_participants: int) -> alt.LayerChart:
    """Every clip's proportion of "AI" judgements with its Wilson 95 % interval, coloured by true source.

    Parameters
    ----------
    clips : pandas.DataFrame
        :func:`results.statistics.lens.clip_summary` output.
    n_participants : int
        Participants whose judgements the proportions rest on.
    """
    data = clips.sort_values(["prop_judged_ai", "clip_id"]).reset_index(drop=True)
    data = data.assign(
        rank=np.arange(1, len(data) + 1),
        label=data["clip_title"]
        .astype("object")
        .where(data["clip_title"].notna(), None)
        .fillna("clip " + data["clip_id"].astype(str)),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Clip"),
        alt.Tooltip("clip_id:Q", title="Clip id"),
        alt.Tooltip("source:N", title="True source"),
        alt.Tooltip("prop_judged_ai:Q", title="Judged AI", format=".0%"),
        alt.Tooltip("prop_ci_low:Q", title="95% CI low", format=".0%"),
        alt.Tooltip("prop_ci_high:Q", title="95% CI high", format=".0%"),
        alt.Tooltip("n_ratings:Q", title="Ratings (n)"),
    ]
    x = alt.X(
        "rank:Q", title="Clips, sorted by how often they were judged AI", axis=alt.Axis(labels=False, ticks=False)
    )
    y_title = "Proportion judged AI"
    colour = alt.Color("source:N", scale=SOURCE_SCALE, legend=SOURCE_LEGEND)
    errors = (
        alt.Chart(data)
        .mark_rule(opacity=0.5)
        .encode(x=x, y=alt.Y("prop_ci_low:Q", title=y_title), y2="prop_ci_high:Q", color=colour, tooltip=tooltip)
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=50)
        .encode(
            x=x,
            y=alt.Y("prop_judged_ai:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=colour,
            tooltip=tooltip,
        )
    )
    half = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(y="y:Q")
    n_trials = int(clips["n_ratings"].sum())
    return layered(half, errors, points).properties(
        autosize=PAD,
        width=WIDTH + 80,
        height=260,
        title=chart_title(
            "How often was each clip judged AI?",
            "Points: clips; lines: 95% Wilson intervals; if listeners could tell, purple would sit high and green low",
            f"{len(clips)} clips, {n_trials} trials, {n_participants} participants",
        ),
    )


def _lens_rows(ranked: pd.DataFrame) -> pd.DataFrame:
    """Two rows per ranked feature: its correlation with the true source and with the proportion judged AI.

    Each row holds r, its 95 % interval, the FDR q and the clips it rests on (from
    :func:`results.statistics.lens.feature_associations`).
    """
    rows = []
    for row in ranked.itertuples():
        name = feature_label(row.feature)
        rows.append(
            {
                "feature": name,
                "relation": "true source (AI = 1)",
                "r": row.source_r,
                "ci_low": row.source_r_ci_low,
                "ci_high": row.source_r_ci_high,
                "q": row.source_q,
                "n_clips": row.n_clips,
            }
        )
        rows.append(
            {
                "feature": name,
                "relation": "judged AI (proportion)",
                "r": row.judgement_r,
                "ci_low": row.judgement_r_ci_low,
                "ci_high": row.judgement_r_ci_high,
                "q": row.judgement_q,
                "n_clips": row.n_clips,
            }
        )
    return pd.DataFrame(rows, columns=["feature", "relation", "r", "ci_low", "ci_high", "q", "n_clips"])


def lens_chart(
    associations: pd.DataFrame, n_participants: int, n_trials: int, max_features: int = 15
) -> alt.LayerChart:
    """Each feature's correlation with the true source and with listeners' judgements, side by side.

    Parameters
    ----------
    associations : pandas.DataFrame
        :func:`results.statistics.lens.feature_associations` output.
    n_participants, n_trials : int
        Participants and main trials whose judgements the clip proportions rest on.
    max_features : int
        Only the features with the strongest association (either side) are drawn.
    """
    ranked = associations.assign(strength=associations[["source_r", "judgement_r"]].abs().max(axis=1))
    ranked = ranked.dropna(subset=["strength"]).sort_values("strength", ascending=False).head(max_features)
    order = [feature_label(name) for name in ranked["feature"]]
    data = _lens_rows(ranked)
    relation_scale = alt.Scale(domain=["true source (AI = 1)", "judged AI (proportion)"], range=[AI_COLOUR, "#e08214"])
    tooltip = [
        alt.Tooltip("feature:N", title="Feature"),
        alt.Tooltip("relation:N", title="Correlation with"),
        alt.Tooltip("r:Q", title="r", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("q:Q", title="q (FDR)", format=".3g"),
        alt.Tooltip("n_clips:Q", title="Clips (n)"),
    ]
    y = alt.Y("feature:N", title=None, sort=order, axis=alt.Axis(labelLimit=240))
    offset = alt.YOffset("relation:N")
    colour = alt.Color(
        "relation:N", scale=relation_scale, legend=alt.Legend(title="Correlation across clips with", orient="bottom")
    )
    x_title = "Correlation r across clips"
    x_scale = alt.Scale(domain=[-1, 1])
    errors = (
        alt.Chart(data)
        .mark_rule()
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X("ci_low:Q", title=x_title, scale=x_scale),
            x2="ci_high:Q",
            color=colour,
            tooltip=tooltip,
        )
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=60)
        .encode(y=y, yOffset=offset, x=alt.X("r:Q", title=x_title, scale=x_scale), color=colour, tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=NEUTRAL).encode(x="x:Q")
    n_clips = int(associations["n_clips"].max()) if len(associations) else 0
    return layered(zero, errors, points).properties(
        autosize=PAD,
        width=WIDTH,
        height=max(120, 34 * len(order)),
        title=chart_title(
            "Lens model: what gave the source away, and what listeners went by",
            "Purple: cue validity (feature vs true source); orange: cue use (feature vs judgements); "
            "lines: 95% Fisher-z intervals",
            f"{len(order)} of {len(associations)} features (strongest first); {n_clips} clips, "
            f"{n_trials} trials, {n_participants} participants",
        ),
    )


def feature_scatter_chart(clips: pd.DataFrame, feature: str, n_participants: int) -> alt.LayerChart:
    """Clips as points: a feature's value against how often the clip was judged AI, coloured by true source.

    Parameters
    ----------
    clips : pandas.DataFrame
        :func:`results.statistics.lens.clip_summary` output joined with the clips' ``feat_*`` columns.
    feature : str
        The ``feat_*`` column on the x axis.
    n_participants : int
        Participants whose judgements the proportions rest on.
    """
    data = clips.dropna(subset=[feature]).assign(
        label=lambda f: (
            f["clip_title"]
            .astype("object")
            .where(f["clip_title"].notna(), None)
            .fillna("clip " + f["clip_id"].astype(str))
        )
    )
    name = feature_label(feature)
    tooltip = [
        alt.Tooltip("label:N", title="Clip"),
        alt.Tooltip("source:N", title="True source"),
        alt.Tooltip(f"{feature}:Q", title=name, format=".3g"),
        alt.Tooltip("prop_judged_ai:Q", title="Judged AI", format=".0%"),
        alt.Tooltip("prop_ci_low:Q", title="95% CI low", format=".0%"),
        alt.Tooltip("prop_ci_high:Q", title="95% CI high", format=".0%"),
        alt.Tooltip("n_ratings:Q", title="Ratings (n)"),
    ]
    colour = alt.Color("source:N", scale=SOURCE_SCALE, legend=SOURCE_LEGEND)
    x = alt.X(f"{feature}:Q", title=name, scale=alt.Scale(zero=False))
    y_title = "Proportion judged AI"
    errors = (
        alt.Chart(data)
        .mark_rule(opacity=0.35)
        .encode(x=x, y=alt.Y("prop_ci_low:Q", title=y_title), y2="prop_ci_high:Q", color=colour)
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=60)
        .encode(
            x=x,
            y=alt.Y("prop_judged_ai:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=colour,
            tooltip=tooltip,
        )
    )
    return layered(errors, points).properties(
        autosize=PAD,
        width=WIDTH,
        height=300,
        title=chart_title(
            f"{name} and how often clips were judged AI",
            "Points: clips; lines: 95% Wilson intervals",
            f"{len(data)} clips, {int(data['n_ratings'].sum())} trials, {n_participants} participants",
        ),
    )
