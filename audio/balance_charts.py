"""Altair charts of the balance report (no Streamlit: the page only draws what these return)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from audio.balance import SOURCE_LABELS

SOURCE_COLOURS = alt.Scale(domain=["human", "AI"], range=["#1f77b4", "#d62728"])


def forest_chart(table: pd.DataFrame, g_threshold: float) -> alt.LayerChart:
    """A dot-and-interval plot of Hedges' g (AI minus human) per feature.

    Parameters
    ----------
    table : pandas.DataFrame
        ``BalanceReport.table``; rows whose g is not finite (too few clips, identical or
        perfectly separated values) are left out, the report's flags cover them.
    g_threshold : float
        Dashed rules are drawn at ``-g_threshold`` and ``+g_threshold``.
    """
    finite = table[[math.isfinite(g) for g in table["g"]]] if len(table) else table
    data = finite[["feature", "g", "g_low", "g_high", "flagged", "n_human", "n_ai"]].copy()
    data["status"] = ["flagged" if flagged else "ok" for flagged in data["flagged"]]
    order = data.sort_values("g")["feature"].tolist()
    y = alt.Y("feature:N", sort=order, title=None)
    colour = alt.Color("status:N", scale=alt.Scale(domain=["ok", "flagged"], range=["#4c78a8", "#e45756"]),
                       title=None)
    tooltip = [
        alt.Tooltip("feature:N"),
        alt.Tooltip("g:Q", format="+.2f"),
        alt.Tooltip("g_low:Q", format="+.2f", title="95% CI low"),
        alt.Tooltip("g_high:Q", format="+.2f", title="95% CI high"),
        alt.Tooltip("n_human:Q", title="n human"),
        alt.Tooltip("n_ai:Q", title="n AI"),
    ]
    intervals = alt.Chart(data).mark_rule(strokeWidth=2).encode(
        x=alt.X("g_low:Q", title="Hedges' g (AI − human), 95% CI"), x2="g_high:Q", y=y, color=colour,
        tooltip=tooltip,
    )
    dots = alt.Chart(data).mark_circle(size=70, opacity=1).encode(x="g:Q", y=y, color=colour, tooltip=tooltip)
    rules = pd.DataFrame({"x": [-g_threshold, 0.0, g_threshold], "kind": ["threshold", "zero", "threshold"]})
    references = alt.Chart(rules).mark_rule().encode(
        x="x:Q",
        strokeDash=alt.condition(alt.datum.kind == "threshold", alt.value([4, 4]), alt.value([1, 0])),
        color=alt.value("#888888"),
    )
    height = max(120, 22 * len(data))
    return alt.layer(references, intervals, dots).properties(height=height)


def distribution_chart(frame: pd.DataFrame, column: str, label: str | None = None) -> alt.LayerChart:
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
        .encode(x=x, y=y, color=colour, yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-1, 1])),
                tooltip=tooltip)
        .transform_calculate(jitter="(random() - 0.5) * 1.2")
    )
    return alt.layer(boxes, points).properties(height=180)
