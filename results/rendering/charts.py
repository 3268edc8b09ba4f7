"""Altair charts of detection and emotion results, readable without explanation.

Every chart takes the output of a statistics function (:mod:`results.statistics.detection`,
:mod:`results.statistics.emotion`) and draws it; nothing here computes statistics. Each title states the
participants and trials the chart rests on, and every estimate carries its 95 % interval and its n
in the tooltip. Charts of clips and acoustic features are in :mod:`results.rendering.clip_charts`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.vocabulary import Source
from results.rendering.chart_parts import (
    AI_COLOUR,
    NEUTRAL,
    PAD,
    SOURCE_LEGEND,
    SOURCE_SCALE,
    WIDTH,
    chart_title,
    clip_intervals,
    clipped_note,
    layered,
    rests_on,
    sensible_domain,
)
from results.rendering.formatting import format_number, format_percent
from results.statistics.detection import DetectionSummary
from results.statistics.roc import ROC


def hit_fa_chart(summary: DetectionSummary) -> alt.LayerChart:
    """Hit rate (AI clips judged AI) next to false-alarm rate (human clips judged AI), with Wilson 95 % CIs.

    Parameters
    ----------
    summary : DetectionSummary
        :func:`results.statistics.detection.detection_summary` output.
    """
    rows = []
    for p, label, source in (
        (summary.hit_rate, "AI clips judged AI (hits)", Source.AI.value),
        (summary.fa_rate, "Human clips judged AI (false alarms)", Source.HUMAN.value),
    ):
        rows.append(
            {
                "label": label,
                "source": source,
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "successes": p.successes,
                "n": p.n,
                "text": f"{format_percent(p.estimate, digits=0)} "
                f"[{format_percent(p.ci_low, digits=0)}, {format_percent(p.ci_high, digits=0)}]",
            }
        )
    data = pd.DataFrame(rows)
    tooltip = [
        alt.Tooltip("label:N", title="Rate"),
        alt.Tooltip("estimate:Q", title="Proportion", format=".1%"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
        alt.Tooltip("successes:Q", title="Judged AI"),
        alt.Tooltip("n:Q", title="Trials (n)"),
    ]
    y = alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(domain=[0, 1])
    x_title = "Proportion judged AI"
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(height=28, opacity=0.85).encode(
        x=alt.X("estimate:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="%")),
        color=alt.Color("source:N", scale=SOURCE_SCALE, legend=None),
        tooltip=tooltip,
    )
    errors = base.mark_errorbar(ticks=True, color="black").encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=x_title), x2="ci_high:Q", tooltip=tooltip
    )
    labels = base.mark_text(align="left", dx=6, dy=-18, color="black").encode(
        x=alt.X("ci_high:Q", title=x_title), text="text:N"
    )
    chance = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    acc = summary.accuracy
    return layered(bars, errors, labels, chance).properties(
        autosize=PAD,
        width=WIDTH,
        height=120,
        title=chart_title(
            "Could listeners tell? Hits vs false alarms",
            f"Accuracy {format_percent(acc.estimate, digits=0)} "
            f"[{format_percent(acc.ci_low, digits=0)}, {format_percent(acc.ci_high, digits=0)}]; "
            f"bars: 95% Wilson intervals; if listeners could not tell, both bars would be equal",
            rests_on(summary.n_participants, summary.n_trials),
        ),
    )


def dprime_distribution_chart(per_participant: pd.DataFrame, summary: DetectionSummary) -> alt.LayerChart:
    """Histogram of participants' d' with the mean and its 95 % t interval; 0 = cannot tell.

    Parameters
    ----------
    per_participant : pandas.DataFrame
        :func:`results.statistics.detection.per_participant_sdt` output.
    summary : DetectionSummary
        :func:`results.statistics.detection.detection_summary` output (for the mean d' and its interval).
    """
    d = summary.d_prime
    data = per_participant[["participant_id", "d_prime", "n_trials", "hits", "false_alarms", "accuracy"]].dropna(
        subset=["d_prime"]
    )
    # Individual d′ lies within about ±4.6 (log-linear correction, ≤ 100 trials); the mean's
    # t interval from a handful of listeners can reach ±10 and would squash the histogram.
    shown_values = pd.concat([data["d_prime"], pd.Series([d.mean, d.ci_low, d.ci_high])])
    domain = sensible_domain(shown_values, floor=(-1.0, 1.0), cap=(-5.0, 5.0))
    x_scale = alt.Scale(domain=domain, clamp=True)
    x_title = "d′ per participant (0 = cannot tell human from AI)"
    bars = (
        alt.Chart(data)
        .mark_bar(color=AI_COLOUR, opacity=0.7)
        .encode(
            x=alt.X("d_prime:Q", bin=alt.Bin(maxbins=20, extent=domain), title=x_title, scale=x_scale),
            y=alt.Y("count():Q", title="Participants"),
            tooltip=[alt.Tooltip("count():Q", title="Participants")],
        )
    )
    mean = clip_intervals(
        pd.DataFrame(
            {"mean": [d.mean], "ci_low": [d.ci_low], "ci_high": [d.ci_high], "n": [d.n], "p_value": [d.p_value]}
        ),
        domain,
    )
    interval, arrows, rule = _mean_dprime_marks(mean, x_scale)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    n_trials = int(per_participant["n_trials"].sum()) if len(per_participant) else 0
    note = clipped_note(mean.dropna(subset=["ci_low", "ci_high"]))
    return layered(bars, interval, arrows, rule, zero).properties(
        autosize=PAD,
        width=WIDTH,
        height=220,
        title=chart_title(
            "How well did each listener tell them apart?",
            f"Mean d′ = {format_number(d.mean)} "
            f"[{format_number(d.ci_low)}, {format_number(d.ci_high)}] "
            "(black line; bar along the top: 95% t interval); dashed line: chance",
            *([note] if note else []),
            rests_on(d.n, n_trials),
        ),
    )


def _mean_dprime_marks(mean: pd.DataFrame, x_scale: alt.Scale) -> tuple[alt.Chart, alt.Chart, alt.Chart]:
    """The mean d′ as a vertical rule and its interval as a bar along the top, cut ends marked ◀ ▶."""
    mean_tooltip = [
        alt.Tooltip("mean:Q", title="Mean d′", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n:Q", title="Participants (n)"),
        alt.Tooltip("p_value:Q", title="p (t-test vs 0)", format=".3g"),
    ]
    # The interval is a bar along the top, not a shaded band: a wide one must not cover the histogram.
    top = alt.value(4)
    interval = (
        alt.Chart(mean)
        .mark_rule(color="black", strokeWidth=3)
        .encode(x=alt.X("ci_low_shown:Q", scale=x_scale), x2="ci_high_shown:Q", y=top, tooltip=mean_tooltip)
    )
    arrows = (
        alt.Chart(mean.assign(left=mean["ci_low_shown"], right=mean["ci_high_shown"]))
        .transform_fold(["left", "right"], as_=["end", "at"])
        .transform_filter(
            "(datum.end == 'left' && datum.ci_low < datum.ci_low_shown) || "
            "(datum.end == 'right' && datum.ci_high > datum.ci_high_shown)"
        )
        .mark_text(fontSize=13, color="black")
        .encode(
            x=alt.X("at:Q", scale=x_scale),
            y=top,
            text=alt.condition("datum.end == 'left'", alt.value("◀"), alt.value("▶")),
            tooltip=mean_tooltip,
        )
    )
    rule = (
        alt.Chart(mean).mark_rule(color="black", size=2).encode(x=alt.X("mean:Q", scale=x_scale), tooltip=mean_tooltip)
    )
    return interval, arrows, rule


def roc_chart(roc: ROC, n_participants: int, n_trials: int) -> alt.LayerChart:
    """Empirical ROC from the 6-point confidence scale, with AUC and its 95 % interval over participants and clips.

    Parameters
    ----------
    roc : results.roc.ROC
        :func:`results.statistics.roc.roc_from_confidence` output.
    n_participants, n_trials : int
        What the curve rests on (main trials with a confidence rating).
    """
    labels = {
        7: "nothing judged AI",
        6: "sure AI",
        5: "≥ probably AI",
        4: "≥ maybe AI",
        3: "≥ maybe human",
        2: "≥ probably human",
        1: "everything judged AI",
    }
    points = roc.points.assign(criterion=lambda f: f["threshold"].map(labels))
    tooltip = [
        alt.Tooltip("criterion:N", title="Counted as 'AI' when confidence"),
        alt.Tooltip("fpr:Q", title="False-alarm rate", format=".1%"),
        alt.Tooltip("tpr:Q", title="Hit rate", format=".1%"),
    ]
    axis = alt.Axis(format="%")
    curve = (
        alt.Chart(points)
        .mark_line(point=alt.OverlayMarkDef(color=AI_COLOUR, size=50), color=AI_COLOUR)
        .encode(
            x=alt.X(
                "fpr:Q", title="False-alarm rate (human clips judged AI)", scale=alt.Scale(domain=[0, 1]), axis=axis
            ),
            y=alt.Y("tpr:Q", title="Hit rate (AI clips judged AI)", scale=alt.Scale(domain=[0, 1]), axis=axis),
            order="fpr:Q",
            tooltip=tooltip,
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(strokeDash=[4, 4], color=NEUTRAL)
        .encode(x="x:Q", y="y:Q")
    )
    low, high = roc.auc_ci
    return layered(diagonal, curve).properties(
        autosize=PAD,
        width=320,
        height=320,
        title=chart_title(
            "ROC from confidence ratings",
            f"AUC = {format_number(roc.auc)} [{format_number(low)}, {format_number(high)}] "
            "(95% interval over participants and clips); "
            "diagonal: chance (AUC 0.5)",
            rests_on(n_participants, n_trials),
            width=320,
        ),
    )


def breakdown_chart(levels: pd.DataFrame, by_label: str) -> alt.LayerChart:
    """d′ per group from the GLMM with 95 % intervals (one row per level, in the table's order).

    Parameters
    ----------
    levels : pandas.DataFrame
        ``BreakdownModel.levels`` (:func:`results.statistics.breakdown_model.breakdown_model`).
    by_label : str
        What the groups are, in words (e.g. "Years of musical training").
    """
    data = levels.assign(label=levels["level"].astype(str))
    domain = sensible_domain(data["d_prime"], floor=(-1.0, 1.0), cap=(-5.0, 5.0))
    data = clip_intervals(data, domain)
    tooltip = [
        alt.Tooltip("label:N", title=by_label),
        alt.Tooltip("d_prime:Q", title="d′ (GLMM)", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n_trials:Q", title="Trials (n)"),
    ]
    y = alt.Y("label:N", title=by_label, sort=None, axis=alt.Axis(labelLimit=220))
    x_title = "d′ from the GLMM (0 = cannot tell)"
    x_scale = alt.Scale(domain=domain, clamp=True)
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=80, color=AI_COLOUR)
        .encode(x=alt.X("d_prime:Q", title=x_title, scale=x_scale), y=y, tooltip=tooltip)
    )
    errors = (
        alt.Chart(data)
        .mark_errorbar(ticks=True)
        .encode(x=alt.X("ci_low_shown:Q", title=x_title, scale=x_scale), x2="ci_high_shown:Q", y=y, tooltip=tooltip)
    )
    counts = (
        alt.Chart(data)
        .mark_text(align="left", dx=8, dy=-9, fontSize=10, color=NEUTRAL)
        .encode(x=alt.X("d_prime:Q", title=x_title), y=y, text=alt.Text("n_trials:Q", format="d"))
    )
    cut = data[data["clipped"] != ""]
    arrows = (
        alt.Chart(cut.assign(at=cut["ci_low_shown"].where(cut["clipped"].str.startswith("◀"), cut["ci_high_shown"])))
        .mark_text(fontSize=12, color="black", dy=1)
        .encode(x=alt.X("at:Q", title=x_title), y=y, text="clipped:N", tooltip=tooltip)
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    note = clipped_note(data)
    return layered(zero, errors, points, counts, arrows).properties(
        autosize=PAD,
        width=WIDTH,
        height=max(80, 34 * len(data)),
        title=chart_title(
            f"Detection by {by_label.lower()}",
            "Points: d′ per group from the probit GLMM (participants and clips random); bars: 95% "
            "intervals; small numbers: trials",
            *([note] if note else []),
            f"{int(data['n_trials'].sum())} trials in {len(data)} groups",
        ),
    )


SCALE_ENDS = {
    "valence": ("Valence", "unpleasant", "pleasant"),
    "arousal": ("Arousal", "calm", "excited"),
    "moved": ("Moved", "not at all", "very much"),
    "liking": ("Liking", "not at all", "very much"),
}


def scale_title(scale: str, scale_points: int = 9) -> str:
    """Axis title of a rating scale with its ends, e.g. "Valence (1 unpleasant ... 7 pleasant)"."""
    name, low, high = SCALE_ENDS.get(scale, (scale.capitalize(), "", ""))
    return f"{name} (1 {low} ... {scale_points} {high})" if low else name


def emotion_interaction_chart(by_source: pd.DataFrame, scale: str, scale_points: int = 9) -> alt.LayerChart:
    """The 2 x 2 of true source x perceived source for one rating scale, with 95 % t intervals.

    Parameters
    ----------
    by_source : pandas.DataFrame
        :func:`results.statistics.emotion.emotion_by_source` output.
    scale : str
        The rating scale to draw.
    scale_points : int
        Points of the rating scale: the axis runs 1..scale_points, and intervals reaching past
        the scale (few participants) are cut at its ends and marked.
    """
    # Perceived source on a numeric axis (0 = judged human, 1 = judged AI), the two true sources
    # nudged apart so that their intervals do not overlap and the lines still join the means.
    domain = [1.0, float(scale_points)]
    data = clip_intervals(
        by_source[by_source["scale"] == scale].assign(
            perceived_label=lambda f: f["perceived"].map({"human": "judged human", "ai": "judged AI"}),
            position=lambda f: f["perceived"].eq("ai").astype(float) + np.where(f["source"].eq("ai"), 0.04, -0.04),
        ),
        domain,
    )
    tooltip = [
        alt.Tooltip("source:N", title="True source"),
        alt.Tooltip("perceived_label:N", title="Judged"),
        alt.Tooltip("mean:Q", title="Mean rating", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n_participants:Q", title="Participants (n)"),
        alt.Tooltip("n_ratings:Q", title="Ratings (n)"),
    ]
    x = alt.X(
        "position:Q",
        title="Listener's judgement",
        scale=alt.Scale(domain=[-0.3, 1.3]),
        axis=alt.Axis(values=[0, 1], labelExpr="datum.value == 0 ? 'judged human' : 'judged AI'", grid=False),
    )
    y_title = scale_title(scale, scale_points)
    y_scale = alt.Scale(domain=domain, clamp=True, nice=False)
    y_axis = alt.Axis(values=list(range(1, scale_points + 1)))
    colour = alt.Color("source:N", scale=SOURCE_SCALE, legend=SOURCE_LEGEND)
    base = alt.Chart(data).encode(x=x, color=colour)
    lines = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("mean:Q", title=y_title, scale=y_scale, axis=y_axis), detail="source:N", order="position:Q"
    )
    errors = base.mark_errorbar(ticks=True).encode(
        y=alt.Y("ci_low_shown:Q", title=y_title, scale=y_scale), y2="ci_high_shown:Q", tooltip=tooltip
    )
    points = base.mark_point(filled=True, size=90).encode(y=alt.Y("mean:Q", title=y_title), tooltip=tooltip)
    n_participants = int(data["n_participants"].max()) if len(data) else 0
    note = clipped_note(data)
    return layered(lines, errors, points).properties(
        autosize=PAD,
        width=320,
        height=260,
        title=chart_title(
            f"{scale.capitalize()}: true source × perceived source",
            "Means of participants' cell means; bars: 95% t intervals over participants",
            *([note.replace("◀ ▶ interval cut at the axis", "intervals cut at the scale's ends")] if note else []),
            f"up to {n_participants} participants per cell, {int(data['n_ratings'].sum())} ratings",
            width=320,
        ),
    )
