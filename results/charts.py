"""Altair charts of the results, readable without explanation.

Every chart takes the output of a statistics function (:mod:`results.detection`,
:mod:`results.emotion`, :mod:`results.lens`) and draws it; nothing here computes statistics.
Each title states the participants and trials the chart rests on, and every estimate carries its
95 % interval and its n in the tooltip.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.vocabulary import Source
from results.detection import DetectionSummary
from results.formatting import format_number, format_percent
from results.roc import ROC

HUMAN_COLOUR = "#1b7837"
AI_COLOUR = "#762a83"
SOURCE_SCALE = alt.Scale(domain=["human", "ai"], range=[HUMAN_COLOUR, AI_COLOUR])
SOURCE_LEGEND = alt.Legend(title="True source", labelExpr="datum.value == 'ai' ? 'AI' : 'Human'")
NEUTRAL = "#555555"
WIDTH = 420
# Sizes below are of the plotting area; titles, axes and legends are added around it. Without
# "pad", Streamlit squeezes the whole chart (three-line title included) into width x height.
PAD = alt.AutoSizeParams(type="pad", contains="padding")


def rests_on(n_participants: int, n_trials: int) -> str:
    """The subtitle line every chart carries: how many participants and trials it rests on."""
    return f"{n_participants} participant{'s' if n_participants != 1 else ''}, {n_trials} trials"


def _layer(*charts: alt.Chart) -> alt.LayerChart:
    """The charts drawn over each other in one panel.

    Same spec as ``alt.layer(*charts)``, which is typed to return a FacetChart as well because it hoists
    facet encodings the layers share; these charts never facet.
    """
    return alt.LayerChart(layer=list(charts))


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=list(subtitle), anchor="start")


def hit_fa_chart(summary: DetectionSummary) -> alt.LayerChart:
    """Hit rate (AI clips judged AI) next to false-alarm rate (human clips judged AI), with Wilson 95 % CIs.

    Parameters
    ----------
    summary : DetectionSummary
        :func:`results.detection.detection_summary` output.
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
    return _layer(bars, errors, labels, chance).properties(
        autosize=PAD,
        width=WIDTH,
        height=120,
        title=_title(
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
        :func:`results.detection.per_participant_sdt` output.
    summary : DetectionSummary
        :func:`results.detection.detection_summary` output (for the mean d' and its interval).
    """
    d = summary.d_prime
    data = per_participant[["participant_id", "d_prime", "n_trials", "hits", "false_alarms", "accuracy"]].dropna(
        subset=["d_prime"]
    )
    bars = (
        alt.Chart(data)
        .mark_bar(color=AI_COLOUR, opacity=0.7)
        .encode(
            x=alt.X("d_prime:Q", bin=alt.Bin(maxbins=20), title="d′ per participant (0 = cannot tell human from AI)"),
            y=alt.Y("count():Q", title="Participants"),
            tooltip=[alt.Tooltip("count():Q", title="Participants")],
        )
    )
    mean = pd.DataFrame(
        {"mean": [d.mean], "ci_low": [d.ci_low], "ci_high": [d.ci_high], "n": [d.n], "p_value": [d.p_value]}
    )
    mean_tooltip = [
        alt.Tooltip("mean:Q", title="Mean d′", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n:Q", title="Participants (n)"),
        alt.Tooltip("p_value:Q", title="p (t-test vs 0)", format=".3g"),
    ]
    band = (
        alt.Chart(mean)
        .mark_rect(color="black", opacity=0.15)
        .encode(x="ci_low:Q", x2="ci_high:Q", tooltip=mean_tooltip)
    )
    rule = alt.Chart(mean).mark_rule(color="black", size=2).encode(x="mean:Q", tooltip=mean_tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    n_trials = int(per_participant["n_trials"].sum()) if len(per_participant) else 0
    return _layer(bars, band, rule, zero).properties(
        autosize=PAD,
        width=WIDTH,
        height=220,
        title=_title(
            "How well did each listener tell them apart?",
            f"Mean d′ = {format_number(d.mean)} "
            f"[{format_number(d.ci_low)}, {format_number(d.ci_high)}] "
            "(black line, grey band: 95% t interval); dashed line: chance",
            rests_on(d.n, n_trials),
        ),
    )


def roc_chart(roc: ROC, n_participants: int, n_trials: int) -> alt.LayerChart:
    """Empirical ROC from the 6-point confidence scale, with AUC and its bootstrap 95 % interval.

    Parameters
    ----------
    roc : results.roc.ROC
        :func:`results.roc.roc_from_confidence` output.
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
    return _layer(diagonal, curve).properties(
        autosize=PAD,
        width=320,
        height=320,
        title=_title(
            "ROC from confidence ratings",
            f"AUC = {format_number(roc.auc)} [{format_number(low)}, {format_number(high)}] "
            "(95% bootstrap over participants); "
            "diagonal: chance (AUC 0.5)",
            rests_on(n_participants, n_trials),
        ),
    )


def breakdown_chart(levels: pd.DataFrame, by_label: str) -> alt.LayerChart:
    """d′ per group from the GLMM with 95 % intervals (one row per level, in the table's order).

    Parameters
    ----------
    levels : pandas.DataFrame
        ``BreakdownModel.levels`` (:func:`results.breakdown_model.breakdown_model`).
    by_label : str
        What the groups are, in words (e.g. "Years of musical training").
    """
    data = levels.assign(label=levels["level"].astype(str))
    tooltip = [
        alt.Tooltip("label:N", title=by_label),
        alt.Tooltip("d_prime:Q", title="d′ (GLMM)", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n_trials:Q", title="Trials (n)"),
    ]
    y = alt.Y("label:N", title=by_label, sort=None, axis=alt.Axis(labelLimit=220))
    x_title = "d′ from the GLMM (0 = cannot tell)"
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=80, color=AI_COLOUR)
        .encode(x=alt.X("d_prime:Q", title=x_title), y=y, tooltip=tooltip)
    )
    errors = (
        alt.Chart(data)
        .mark_errorbar(ticks=True)
        .encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", y=y, tooltip=tooltip)
    )
    counts = (
        alt.Chart(data)
        .mark_text(align="left", dx=8, dy=-9, fontSize=10, color=NEUTRAL)
        .encode(x=alt.X("d_prime:Q", title=x_title), y=y, text=alt.Text("n_trials:Q", format="d"))
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    return _layer(zero, errors, points, counts).properties(
        autosize=PAD,
        width=WIDTH,
        height=max(80, 34 * len(data)),
        title=_title(
            f"Detection by {by_label.lower()}",
            "Points: d′ per group from the probit GLMM (participants and clips random); bars: 95% "
            "intervals; small numbers: trials",
            f"{int(data['n_trials'].sum())} trials in {len(data)} groups",
        ),
    )


SCALE_TITLES = {
    "valence": "Valence (1 unpleasant ... 9 pleasant)",
    "arousal": "Arousal (1 calm ... 9 excited)",
    "moved": "Moved (1 not at all ... 9 very much)",
    "liking": "Liking (1 not at all ... 9 very much)",
}


def emotion_interaction_chart(by_source: pd.DataFrame, scale: str) -> alt.LayerChart:
    """The 2 x 2 of true source x perceived source for one rating scale, with 95 % t intervals.

    Parameters
    ----------
    by_source : pandas.DataFrame
        :func:`results.emotion.emotion_by_source` output.
    scale : str
        The rating scale to draw.
    """
    # Perceived source on a numeric axis (0 = judged human, 1 = judged AI), the two true sources
    # nudged apart so that their intervals do not overlap and the lines still join the means.
    data = by_source[by_source["scale"] == scale].assign(
        perceived_label=lambda f: f["perceived"].map({"human": "judged human", "ai": "judged AI"}),
        position=lambda f: f["perceived"].eq("ai").astype(float) + np.where(f["source"].eq("ai"), 0.04, -0.04),
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
    y_title = SCALE_TITLES.get(scale, scale)
    colour = alt.Color("source:N", scale=SOURCE_SCALE, legend=SOURCE_LEGEND)
    base = alt.Chart(data).encode(x=x, color=colour)
    lines = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("mean:Q", title=y_title, scale=alt.Scale(zero=False)), detail="source:N", order="position:Q"
    )
    errors = base.mark_errorbar(ticks=True).encode(y=alt.Y("ci_low:Q", title=y_title), y2="ci_high:Q", tooltip=tooltip)
    points = base.mark_point(filled=True, size=90).encode(y=alt.Y("mean:Q", title=y_title), tooltip=tooltip)
    n_participants = int(data["n_participants"].max()) if len(data) else 0
    return _layer(lines, errors, points).properties(
        autosize=PAD,
        width=320,
        height=260,
        title=_title(
            f"{scale.capitalize()}: true source × perceived source",
            "Means of participants' cell means; bars: 95% t intervals over participants",
            f"up to {n_participants} participants per cell, {int(data['n_ratings'].sum())} ratings",
        ),
    )


def clip_judged_ai_chart(clips: pd.DataFrame, n_participants: int) -> alt.LayerChart:
    """Every clip's proportion of "AI" judgements with its Wilson 95 % interval, coloured by true source.

    Parameters
    ----------
    clips : pandas.DataFrame
        :func:`results.lens.clip_summary` output.
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
    return _layer(half, errors, points).properties(
        autosize=PAD,
        width=WIDTH + 80,
        height=260,
        title=_title(
            "How often was each clip judged AI?",
            "Points: clips; lines: 95% Wilson intervals; if listeners could tell, purple would sit high and green low",
            f"{len(clips)} clips, {n_trials} trials, {n_participants} participants",
        ),
    )


def lens_chart(
    associations: pd.DataFrame, n_participants: int, n_trials: int, max_features: int = 15
) -> alt.LayerChart:
    """Each feature's correlation with the true source and with listeners' judgements, side by side.

    Parameters
    ----------
    associations : pandas.DataFrame
        :func:`results.lens.feature_associations` output.
    n_participants, n_trials : int
        Participants and main trials whose judgements the clip proportions rest on.
    max_features : int
        Only the features with the strongest association (either side) are drawn.
    """
    ranked = associations.assign(strength=associations[["source_r", "judgement_r"]].abs().max(axis=1))
    ranked = ranked.dropna(subset=["strength"]).sort_values("strength", ascending=False).head(max_features)
    order = list(ranked["feature"].str.removeprefix("feat_"))
    rows = []
    for row in ranked.itertuples():
        name = row.feature.removeprefix("feat_")
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
    data = pd.DataFrame(rows, columns=["feature", "relation", "r", "ci_low", "ci_high", "q", "n_clips"])
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
    return _layer(zero, errors, points).properties(
        autosize=PAD,
        width=WIDTH,
        height=max(120, 34 * len(order)),
        title=_title(
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
        :func:`results.lens.clip_summary` output joined with the clips' ``feat_*`` columns.
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
    name = feature.removeprefix("feat_")
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
    return _layer(errors, points).properties(
        autosize=PAD,
        width=WIDTH,
        height=300,
        title=_title(
            f"{name} vs how often clips were judged AI",
            "Points: clips; lines: 95% Wilson intervals",
            f"{len(data)} clips, {int(data['n_ratings'].sum())} trials, {n_participants} participants",
        ),
    )


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with vl-convert (offline; no browser needed)."""
    import vl_convert

    version = "v" + alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0].replace(".", "_")
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=version)
