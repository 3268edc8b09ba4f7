"""Altair charts of the results, readable without explanation.

Every chart takes the output of a statistics function (:mod:`results.detection`,
:mod:`results.emotion`, :mod:`results.lens`) and draws it; nothing here computes statistics.
Each title states the participants and trials the chart rests on, and every estimate carries its
95 % interval and its n in the tooltip.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

HUMAN_COLOUR = "#1b7837"
AI_COLOUR = "#762a83"
SOURCE_SCALE = alt.Scale(domain=["human", "ai"], range=[HUMAN_COLOUR, AI_COLOUR])
SOURCE_LEGEND = alt.Legend(title="True source", labelExpr="datum.value == 'ai' ? 'AI' : 'Human'")
NEUTRAL = "#555555"
WIDTH = 420


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * value:.0f}%"


def rests_on(n_participants: int, n_trials: int) -> str:
    """The subtitle line every chart carries: how many participants and trials it rests on."""
    return f"{n_participants} participant{'s' if n_participants != 1 else ''}, {n_trials} trials"


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=list(subtitle), anchor="start")


def hit_fa_chart(summary: dict) -> alt.LayerChart:
    """Hit rate (AI clips judged AI) next to false-alarm rate (human clips judged AI), with Wilson 95 % CIs.

    Parameters
    ----------
    summary : dict
        :func:`results.detection.detection_summary` output.
    """
    rows = []
    for key, label, source in (("hit_rate", "AI clips judged AI (hits)", "ai"),
                               ("fa_rate", "Human clips judged AI (false alarms)", "human")):
        p = summary[key]
        rows.append({"label": label, "source": source, "estimate": p["estimate"], "ci_low": p["ci_low"],
                     "ci_high": p["ci_high"], "successes": p["successes"], "n": p["n"],
                     "text": f"{_pct(p['estimate'])} [{_pct(p['ci_low'])}, {_pct(p['ci_high'])}]"})
    data = pd.DataFrame(rows)
    tooltip = [alt.Tooltip("label:N", title="Rate"), alt.Tooltip("estimate:Q", title="Proportion", format=".1%"),
               alt.Tooltip("ci_low:Q", title="95% CI low", format=".1%"),
               alt.Tooltip("ci_high:Q", title="95% CI high", format=".1%"),
               alt.Tooltip("successes:Q", title="Judged AI"), alt.Tooltip("n:Q", title="Trials (n)")]
    y = alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(domain=[0, 1])
    x_title = "Proportion judged AI"
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(height=28, opacity=0.85).encode(
        x=alt.X("estimate:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="%")),
        color=alt.Color("source:N", scale=SOURCE_SCALE, legend=None), tooltip=tooltip)
    errors = base.mark_errorbar(ticks=True, color="black").encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=x_title), x2="ci_high:Q", tooltip=tooltip)
    labels = base.mark_text(align="left", dx=6, dy=-18, color="black").encode(
        x=alt.X("ci_high:Q", title=x_title), text="text:N")
    chance = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    acc = summary["accuracy"]
    return alt.layer(bars, errors, labels, chance).properties(
        width=WIDTH, height=120,
        title=_title("Could listeners tell? Hits vs false alarms",
                     f"Accuracy {_pct(acc['estimate'])} [{_pct(acc['ci_low'])}, {_pct(acc['ci_high'])}]; "
                     f"bars: 95% Wilson intervals; if listeners could not tell, both bars would be equal",
                     rests_on(summary["n_participants"], summary["n_trials"])))


def dprime_distribution_chart(per_participant: pd.DataFrame, summary: dict) -> alt.LayerChart:
    """Histogram of participants' d' with the mean and its 95 % t interval; 0 = cannot tell.

    Parameters
    ----------
    per_participant : pandas.DataFrame
        :func:`results.detection.per_participant_sdt` output.
    summary : dict
        :func:`results.detection.detection_summary` output (for the mean d' and its interval).
    """
    d = summary["d_prime"]
    data = per_participant[["participant_id", "d_prime", "n_trials", "hits", "false_alarms", "accuracy"]].dropna(
        subset=["d_prime"])
    bars = alt.Chart(data).mark_bar(color=AI_COLOUR, opacity=0.7).encode(
        x=alt.X("d_prime:Q", bin=alt.Bin(maxbins=20), title="d′ per participant (0 = cannot tell human from AI)"),
        y=alt.Y("count():Q", title="Participants"),
        tooltip=[alt.Tooltip("count():Q", title="Participants")])
    mean = pd.DataFrame({"mean": [d["mean"]], "ci_low": [d["ci_low"]], "ci_high": [d["ci_high"]], "n": [d["n"]],
                         "p_value": [d["p_value"]]})
    mean_tooltip = [alt.Tooltip("mean:Q", title="Mean d′", format=".2f"),
                    alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
                    alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
                    alt.Tooltip("n:Q", title="Participants (n)"),
                    alt.Tooltip("p_value:Q", title="p (t-test vs 0)", format=".3g")]
    band = alt.Chart(mean).mark_rect(color="black", opacity=0.15).encode(x="ci_low:Q", x2="ci_high:Q",
                                                                          tooltip=mean_tooltip)
    rule = alt.Chart(mean).mark_rule(color="black", size=2).encode(x="mean:Q", tooltip=mean_tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    n_trials = int(per_participant["n_trials"].sum()) if len(per_participant) else 0
    return alt.layer(bars, band, rule, zero).properties(
        width=WIDTH, height=220,
        title=_title("How well did each listener tell them apart?",
                     f"Mean d′ = {_fmt(d['mean'])} [{_fmt(d['ci_low'])}, {_fmt(d['ci_high'])}] (black line, grey band: "
                     f"95% t interval); dashed line: chance",
                     rests_on(d["n"], n_trials)))


def roc_chart(roc, n_participants: int, n_trials: int) -> alt.LayerChart:
    """Empirical ROC from the 6-point confidence scale, with AUC and its bootstrap 95 % interval.

    Parameters
    ----------
    roc : results.detection.ROC
        :func:`results.detection.roc_from_confidence` output.
    n_participants, n_trials : int
        What the curve rests on (main trials with a confidence rating).
    """
    labels = {7: "nothing judged AI", 6: "sure AI", 5: "≥ probably AI", 4: "≥ guess AI",
              3: "≥ guess human", 2: "≥ probably human", 1: "everything judged AI"}
    points = roc.points.assign(criterion=lambda f: f["threshold"].map(labels))
    tooltip = [alt.Tooltip("criterion:N", title="Counted as 'AI' when confidence"),
               alt.Tooltip("fpr:Q", title="False-alarm rate", format=".1%"),
               alt.Tooltip("tpr:Q", title="Hit rate", format=".1%")]
    axis = alt.Axis(format="%")
    curve = alt.Chart(points).mark_line(point=alt.OverlayMarkDef(color=AI_COLOUR, size=50), color=AI_COLOUR).encode(
        x=alt.X("fpr:Q", title="False-alarm rate (human clips judged AI)", scale=alt.Scale(domain=[0, 1]), axis=axis),
        y=alt.Y("tpr:Q", title="Hit rate (AI clips judged AI)", scale=alt.Scale(domain=[0, 1]), axis=axis),
        order="fpr:Q", tooltip=tooltip)
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(
        strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q", y="y:Q")
    low, high = roc.auc_ci
    return alt.layer(diagonal, curve).properties(
        width=320, height=320,
        title=_title("ROC from confidence ratings",
                     f"AUC = {_fmt(roc.auc)} [{_fmt(low)}, {_fmt(high)}] (95% bootstrap over participants); "
                     "diagonal: chance (AUC 0.5)",
                     rests_on(n_participants, n_trials)))


def breakdown_chart(table: pd.DataFrame, by_label: str) -> alt.LayerChart:
    """Mean participant d′ per group with 95 % t intervals (one row per level of ``by``).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`results.detection.breakdown` output.
    by_label : str
        What the groups are, in words (e.g. "Years of musical training").
    """
    data = table.assign(label=table["level"].astype(str))
    tooltip = [alt.Tooltip("label:N", title=by_label),
               alt.Tooltip("mean_participant_d_prime:Q", title="Mean participant d′", format=".2f"),
               alt.Tooltip("mean_participant_d_prime_ci_low:Q", title="95% CI low", format=".2f"),
               alt.Tooltip("mean_participant_d_prime_ci_high:Q", title="95% CI high", format=".2f"),
               alt.Tooltip("n_participants_d_prime:Q", title="Participants (n)"),
               alt.Tooltip("n_trials:Q", title="Trials (n)"),
               alt.Tooltip("accuracy:Q", title="Accuracy", format=".1%"),
               alt.Tooltip("d_prime_basis:N", title="d′ basis")]
    y = alt.Y("label:N", title=by_label, sort=None, axis=alt.Axis(labelLimit=220))
    x_title = "Mean participant d′ (0 = cannot tell)"
    points = alt.Chart(data).mark_point(filled=True, size=80, color=AI_COLOUR).encode(
        x=alt.X("mean_participant_d_prime:Q", title=x_title), y=y, tooltip=tooltip)
    errors = alt.Chart(data).mark_errorbar(ticks=True).encode(
        x=alt.X("mean_participant_d_prime_ci_low:Q", title=x_title), x2="mean_participant_d_prime_ci_high:Q",
        y=y, tooltip=tooltip)
    counts = alt.Chart(data).mark_text(align="left", dx=8, dy=-9, fontSize=10, color=NEUTRAL).encode(
        x=alt.X("mean_participant_d_prime:Q", title=x_title), y=y,
        text=alt.Text("n_participants_d_prime:Q", format="d"))
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL).encode(x="x:Q")
    n_trials = int(table["n_trials"].sum())
    n_participants = int(table["n_participants"].max()) if len(table) else 0
    return alt.layer(zero, errors, points, counts).properties(
        width=WIDTH, height=max(80, 34 * len(data)),
        title=_title(f"Detection by {by_label.lower()}",
                     "Points: mean d′ of participants in the group; bars: 95% t intervals; small numbers: participants",
                     f"{n_trials} trials in {len(data)} groups (largest group {n_participants} participants)"))


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with vl-convert (offline; no browser needed)."""
    import vl_convert

    version = "v" + alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0].replace(".", "_")
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=version)


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]
