"""The report's emotion analysis: the ordinal mixed model per scale, the linear model beside it as a sensitivity check.

The table reads :attr:`results.analysis.Analysis.emotion_analysis` (one row per scale); the per-scale model
details read :meth:`results.analysis.Analysis.emotion_ordinal_model`. The Overview shows the same columns
with the labels of :data:`EMOTION_ANALYSIS_LABELS`.
"""

from __future__ import annotations

import pandas as pd

from results.rendering.formatting import format_number, format_p
from results.rendering.report_html import esc, format_interval, html_table
from results.statistics.emotion_ordinal import GENERALISES, SENSITIVITY_LABEL, OrdinalEmotionModel

EMOTION_ANALYSIS_LABELS = {
    "scale": "Scale",
    "n_ratings": "Ratings (n)",
    "effect_logit": "AI − human (log-odds)",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "rating_points": "In rating points",
    "rating_points_ci_low": "Points: 95 % CI low",
    "rating_points_ci_high": "Points: 95 % CI high",
    "probability_higher": "P(AI rated higher)",
    "probability_higher_ci_low": "P(higher): 95 % CI low",
    "probability_higher_ci_high": "P(higher): 95 % CI high",
    "t": "t",
    "df": "df (clips − 2)",
    "p_value": "p",
    "p_holm": "p (Holm, across scales)",
    "linear_points": f"{SENSITIVITY_LABEL.capitalize()}: AI − human (points)",
    "linear_ci_low": "Linear: 95 % CI low",
    "linear_ci_high": "Linear: 95 % CI high",
    "failure": "Not fitted because",
}
"""Column labels of :func:`results.statistics.emotion_ordinal.emotion_analysis_table` for people."""

EMOTION_ANALYSIS_CAPTION = (
    "The emotion analysis: a cumulative link (ordinal) mixed model per scale, rating ~ is_ai + (1 | participant) + "
    "(1 | clip). The effect is the shift of the latent log-odds scale from human to AI clips (positive: AI rated "
    f"higher); its interval and test generalise over {GENERALISES}. In rating points and P(AI rated higher) (ties "
    "half) restate it for a typical listener on a typical clip. One p-value per scale, Holm-adjusted across "
    f"scales. The {SENSITIVITY_LABEL} treats the ratings as interval data; it has no p-value of its own here."
)


def _interval(row, prefix: str) -> str:
    """``estimate [low, high]`` of the columns ``prefix``, ``prefix_ci_low``, ``prefix_ci_high``."""
    low, high = getattr(row, prefix + "_ci_low"), getattr(row, prefix + "_ci_high")
    return f"{format_number(getattr(row, prefix))} {format_interval(low, high)}"


def _p_words(p: float) -> str:
    """ "p = 0.030" or "p < .001"."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def emotion_analysis_html(table: pd.DataFrame) -> str:
    """The report's table of the ordinal model's true-source effect per scale, the linear model beside it."""
    rows = []
    for row in table.itertuples():
        if row.failure and pd.isna(row.p_value):
            rows.append([row.scale, "", row.failure, "", "", "", "", ""])
            continue
        rows.append(
            [
                row.scale,
                str(int(row.n_ratings)),
                f"{format_number(row.effect_logit)} {format_interval(row.ci_low, row.ci_high)}",
                _interval(row, "rating_points"),
                _interval(row, "probability_higher"),
                f"t({format_number(row.df, 0)}) = {format_number(row.t)}, {_p_words(row.p_value)}",
                format_p(row.p_holm),
                f"{format_number(row.linear_points)} {format_interval(row.linear_ci_low, row.linear_ci_high)}",
            ]
        )
    return "\n".join(
        [
            "<h3>The emotion analysis: ordinal mixed model per scale</h3>",
            f'<p class="meta">{esc(EMOTION_ANALYSIS_CAPTION)}</p>',
            html_table(
                [
                    "Scale",
                    "Ratings",
                    "AI − human, log-odds [95% CI]",
                    "In rating points [95% CI]",
                    "P(AI rated higher) [95% CI]",
                    "Test",
                    "p (Holm)",
                    f"{SENSITIVITY_LABEL.capitalize()}: points [95% CI]",
                ],
                rows,
                numeric=(1, 2, 3, 4, 5, 6, 7),
            ),
        ]
    )


def ordinal_model_html(model: OrdinalEmotionModel) -> str:
    """What an ordinal model rests on, its effect, thresholds and variance components (the Mixed models section)."""
    effect = model.effect
    rows = [
        [
            r["term"],
            format_number(r["estimate"], 3),
            format_interval(r["ci_low"], r["ci_high"]),
            format_number(r["se"], 3),
        ]
        for r in [effect, *model.thresholds]
    ]
    return "\n".join(
        [
            f'<p class="meta">Rests on {model.n_ratings} ratings, {model.n_participants} participants, '
            f"{model.n_clips} clips; {esc(model.fit_status)}. is_ai: t({format_number(model.df, 0)}) = "
            f"{format_number(effect['z'])}, {_p_words(effect['p_value'])}; thresholds with Wald intervals.</p>",
            html_table(["Term", "Estimate (log-odds)", "95% CI", "SE"], rows, numeric=(1, 2, 3)),
            html_table(
                ["Random effect", "Term", "SD (log-odds)"],
                [[v["group"], v["term"], format_number(v["sd"], 3)] for v in model.variance_components],
                numeric=(2,),
            ),
        ]
    )
