"""Altair charts of the balance report (no Streamlit: the page only draws what these return)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from audio.balance.checks import SOURCE_LABELS
from audio.balance.effect_sizes import NOT_HEARD_FEATURES

SOURCE_COLOURS = alt.Scale(domain=["human", "AI"], range=["#1f77b4", "#d62728"])


#: Largest |g| the forest plot shows; intervals beyond it are drawn against the edge.
FOREST_LIMIT = 4.0


def forest_chart(
    table: pd.DataFrame, g_threshold: float, limit: float = FOREST_LIMIT
) -> alt.LayerChart | alt.FacetChart:
    """A dot-and-interval plot of Hedges' g (AI minus human) per feature.

    Parameters
    ----------
    table : pandas.DataFrame
        ``BalanceReport.table``; rows whose g is not finite (too few clips, identical or
        perfectly separated values) are left out, the report's flags cover them.
    g_threshold : float
        Dashed rules are drawn at ``-g_threshold`` and ``+g_threshold``.
    limit : float
        The x axis spans at most ``[-limit, limit]``; larger values are clamped to the edge
        (tiny libraries give |g| in the hundreds, which would squash every other feature).
    """
    finite = table[[math.isfinite(g) for g in table["g"]]] if len(table) else table
    data = finite[["feature", "column", "g", "g_low", "g_high", "flagged", "n_human", "n_ai"]].copy()
    data["status"] = [
        "flagged" if flagged else "not heard" if column in NOT_HEARD_FEATURES else "ok"
        for flagged, column in zip(data["flagged"], data["column"])
    ]
    order = data.sort_values("g")["feature"].tolist()
    widest = max([g_threshold * 2, 1.0, *data["g_low"].abs(), *data["g_high"].abs()])
    span = min(widest, limit)
    x_scale = alt.Scale(domain=[-span, span], clamp=True, nice=False)
    y = alt.Y("feature:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    colour = alt.Color(
        "status:N",
        scale=alt.Scale(domain=["ok", "flagged", "not heard"], range=["#4c78a8", "#e45756", "#aaaaaa"]),
        title=None,
    )
    tooltip = [
        alt.Tooltip("feature:N"),
        alt.Tooltip("g:Q", format="+.2f"),
        alt.Tooltip("g_low:Q", format="+.2f", title="95% CI low"),
        alt.Tooltip("g_high:Q", format="+.2f", title="95% CI high"),
        alt.Tooltip("n_human:Q", title="n human"),
        alt.Tooltip("n_ai:Q", title="n AI"),
    ]
    intervals = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("g_low:Q", title="Hedges' g (AI − human), 95% CI", scale=x_scale),
            x2="g_high:Q",
            y=y,
            color=colour,
            tooltip=tooltip,
        )
    )
    dots = (
        alt.Chart(data)
        .mark_circle(size=70, opacity=1)
        .encode(x=alt.X("g:Q", scale=x_scale), y=y, color=colour, tooltip=tooltip)
    )
    rules = pd.DataFrame({"x": [-g_threshold, 0.0, g_threshold], "kind": ["threshold", "zero", "threshold"]})
    references = (
        alt.Chart(rules)
        .mark_rule()
        .encode(
            x=alt.X("x:Q", scale=x_scale),
            strokeDash=alt.condition(alt.datum.kind == "threshold", alt.value([4, 4]), alt.value([1, 0])),
            color=alt.value("#888888"),
        )
    )
    height = max(120, 22 * len(data))
    return alt.layer(references, intervals, dots).properties(height=height)


def distribution_chart(frame: pd.DataFrame, column: str, label: str | None = None) -> alt.LayerChart | alt.FacetChart:
    """Human vs AI values of one feature: a box plot per source with every clip as a point.

    Parameters
    ----------
    frame : pandas.DataFrame
        The library frame (one row per clip, ``source`` and ``column``; ``clip_id`` and
        ``title`` are shown in the tooltip when present).
    column : str
        The numeric column to plot, e.g. ``"feat_spectral_centroid"``.
    label : str, optional
        Axis title; defaults to ``column``.
    """
    keep = [c for c in ("clip_id", "title", "source", column) if c in frame.columns]
    data = frame[keep].rename(columns={column: "value"}).dropna(subset=["value"]).copy()
    data["source"] = data["source"].map(lambda s: SOURCE_LABELS.get(str(s).lower(), str(s)))
    y = alt.Y("source:N", title=None, sort=["human", "AI"])
    x = alt.X("value:Q", title=label or column, scale=alt.Scale(zero=False))
    colour = alt.Color("source:N", scale=SOURCE_COLOURS, legend=None)
    boxes = alt.Chart(data).mark_boxplot(opacity=0.35, extent="min-max", size=36).encode(x=x, y=y, color=colour)
    tooltip = [alt.Tooltip(c) for c in ("clip_id", "title") if c in data.columns] + [alt.Tooltip("value:Q")]
    points = (
        alt.Chart(data)
        .mark_circle(size=60, opacity=0.9)
        .encode(
            x=x, y=y, color=colour, yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-1, 1])), tooltip=tooltip
        )
        .transform_calculate(jitter="(random() - 0.5) * 1.2")
    )
    return alt.layer(boxes, points).properties(height=180)
