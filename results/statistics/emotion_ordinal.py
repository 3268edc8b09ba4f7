"""The reported emotion analysis: the true-source effect on each rating scale from an ordinal mixed model.

Ratings (1-9) are ordered categories, so the reported model is the cumulative link mixed model
(:mod:`results.mixed.ordinal`, ``ordinal::clmm``'s defaults: logit link, flexible thresholds, Laplace
approximation) with crossed random intercepts for participants and clips::

    rating ~ is_ai + (1 | participant) + (1 | clip),   is_ai coded -0.5 / +0.5

Its ``is_ai`` coefficient is the shift of the latent (log-odds) scale from human to AI clips: a
positive value means AI clips were rated higher. It is tested on t(clips - 2), the between-within df
of a clip-level term (with few clips a z-test would treat the clip sample as larger than it is), so
the test and interval generalise over participants *and* clips; ``benchmarks/emotion_calibration.py``
measures its false positives, coverage and power. Two readable forms follow from the fitted
thresholds for a typical listener on a typical clip (random effects at 0): the difference in
expected rating (scale points) and the probability that an AI clip is rated higher than a human clip
(ties counted half); their intervals map the ends of the latent interval (both are increasing in the
coefficient; threshold uncertainty is left out).

The linear mixed model of :func:`results.statistics.models.emotion_mixed_model` stays beside it as a
sensitivity check (it treats the scale as interval and its mean as meaningful). As there, the
listener's guess is not in the model (it is a collider).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from results.mixed.ordinal import OrdinalFit, fit_cumulative_logit
from results.mixed.terms import ModelFitError, RandomFactor, VarianceComponent
from results.statistics.emotion import rated_trials
from results.statistics.intervals import FixedEffect, holm, wald_table

GENERALISES = "participants and clips (crossed random intercepts; t on clips - 2 df)"
"""What the ordinal model's interval and test generalise over, in words."""
SENSITIVITY_LABEL = "sensitivity check (linear model)"
"""How the linear mixed model of the ratings is labelled wherever it is shown beside the ordinal one."""
RANDOM_STRUCTURE = "(1 | participant) + (1 | clip)"


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95 % interval."""

    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class OrdinalEmotionModel:
    """The cumulative link mixed model of one rating scale (:func:`emotion_ordinal_model`).

    Attributes
    ----------
    scale : str
    n_ratings, n_participants, n_clips : int
    effect : FixedEffect
        The true-source effect (``is_ai``, AI minus human) on the latent logit scale, with its 95 %
        interval and t-test on ``df`` (``z`` holds the t statistic): the one p-value of the question.
    df : float
        Clips minus 2.
    rating_points : Interval
        The effect as a difference in expected rating (scale points), typical listener and clip.
    probability_higher : Interval
        P(an AI clip is rated higher than a human clip) + half the probability of a tie, typical
        listener and clip; 0.5 means no difference.
    thresholds : list of FixedEffect
        The cut points ("1|2", ...) on the latent scale with Wald intervals.
    variance_components : list of VarianceComponent
        Participant and clip intercept SDs on the latent scale.
    deviance : float
        -2 log-likelihood (Laplace).
    converged : bool
    fit_status : str
    method : str
        A sentence for the report.
    generalises : str
    """

    scale: str
    n_ratings: int
    n_participants: int
    n_clips: int
    effect: FixedEffect
    df: float
    rating_points: Interval
    probability_higher: Interval
    thresholds: list[FixedEffect]
    variance_components: list[VarianceComponent]
    deviance: float
    converged: bool
    fit_status: str
    method: str
    generalises: str = GENERALISES


def expected_rating_difference(fit: OrdinalFit, effect: float) -> float:
    """Expected rating of AI minus human clips (scale points) for a typical listener and clip, at ``effect``."""
    values = np.asarray(fit.categories, dtype=float)
    ai, human = fit.category_probabilities(effect / 2), fit.category_probabilities(-effect / 2)
    return float(values @ ai - values @ human)


def probability_higher(fit: OrdinalFit, effect: float) -> float:
    """P(rating of an AI clip > rating of a human clip) + P(tie) / 2 for a typical listener and clip, at ``effect``."""
    ai, human = fit.category_probabilities(effect / 2), fit.category_probabilities(-effect / 2)
    below = np.concatenate([[0.0], np.cumsum(human)[:-1]])  # P(human rating < k)
    return float(ai @ below + 0.5 * ai @ human)


def _ordinal_data(df: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, np.ndarray, list[RandomFactor]]:
    """The rated scored trials, their is_ai design column (-0.5/+0.5) and the crossed random intercepts."""
    try:
        trials, present = rated_trials(df, (scale,))
    except ValueError as error:
        raise ModelFitError(str(error)) from error
    if scale not in present:
        raise ModelFitError(f"no {scale} ratings in the selected data")
    rated = trials[trials[scale].notna()]
    participants = pd.factorize(rated["participant_id"])[0]
    clips = pd.factorize(rated["clip_id"])[0]
    if len(rated) < 10:
        raise ModelFitError(f"too few ratings ({len(rated)}) for a mixed model")
    if participants.max() < 1 or clips.max() < 2:
        raise ModelFitError("the ordinal mixed model needs at least two participants and three clips")
    if rated["is_ai"].nunique() < 2:
        raise ModelFitError("'is_ai' takes only one value in the selected data")
    ones = np.ones((len(rated), 1))
    factors = [
        RandomFactor("participant", participants, ones, ("(Intercept)",)),
        RandomFactor("clip", clips, ones, ("(Intercept)",)),
    ]
    return rated, rated["is_ai"].to_numpy(dtype=float)[:, None] - 0.5, factors


def emotion_ordinal_model(df: pd.DataFrame, scale: str) -> OrdinalEmotionModel:
    """Cumulative link mixed model of one scale: the true-source effect, generalising over participants and clips.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    scale : str
        A rating column, e.g. "moved".

    Raises
    ------
    ModelFitError
        On degenerate data (too few ratings, participants or clips, one source, one rating value) or when
        the fit fails.
    """
    rated, is_ai, factors = _ordinal_data(df, scale)
    fit = fit_cumulative_logit(rated[scale].to_numpy(), is_ai, ["is_ai"], factors)
    n_clips = fit.n_levels["clip"]
    df_clips = float(n_clips - 2)
    effect = wald_table(["is_ai"], fit.fixed, fit.fixed_se, df=df_clips)[0]
    ends = (effect["estimate"], effect["ci_low"], effect["ci_high"])
    status = "converged" if fit.converged else f"the optimiser did not report convergence ({fit.message})"
    if fit.singular:
        zero = [f"{c['group']} {c['term']}" for c in fit.random_sd if c["sd"] < 1e-4]
        status += "; singular fit: " + ", ".join(zero) + " SD estimated at 0 (the other estimates stand)"
    return OrdinalEmotionModel(
        scale=scale,
        n_ratings=fit.n_obs,
        n_participants=fit.n_levels["participant"],
        n_clips=n_clips,
        effect=effect,
        df=df_clips,
        rating_points=Interval(*(expected_rating_difference(fit, b) for b in ends)),
        probability_higher=Interval(*(probability_higher(fit, b) for b in ends)),
        thresholds=wald_table(fit.threshold_names, fit.thresholds, fit.threshold_se),
        variance_components=fit.random_sd,
        deviance=fit.deviance,
        converged=fit.converged,
        fit_status=status,
        method=(
            f"True-source effect on {scale}: cumulative link mixed model {scale} ~ is_ai + {RANDOM_STRUCTURE} "
            "(logit link, flexible thresholds, Laplace approximation: ordinal::clmm's defaults, Christensen "
            "2019), is_ai coded -0.5/+0.5, so the coefficient is the shift of the latent log-odds scale from "
            f"human to AI clips. 95% interval and t-test on {df_clips:.0f} df (clips minus 2), so that they "
            "generalise over clips as well as participants. In scale points: the difference in expected rating "
            "for a typical listener and clip; P(higher): the probability that an AI clip is rated above a human "
            "clip (ties half). The listener's guess is not in the model (a collider). The linear mixed model is "
            "the sensitivity check."
        ),
    )


EMOTION_ANALYSIS_COLUMNS = (
    "scale",
    "n_ratings",
    "effect_logit",
    "ci_low",
    "ci_high",
    "rating_points",
    "rating_points_ci_low",
    "rating_points_ci_high",
    "probability_higher",
    "probability_higher_ci_low",
    "probability_higher_ci_high",
    "t",
    "df",
    "p_value",
    "p_holm",
    "linear_points",
    "linear_ci_low",
    "linear_ci_high",
    "failure",
)
"""Columns of :func:`emotion_analysis_table`: the ordinal model's effect, then the linear sensitivity check."""


def emotion_analysis_table(ordinal: Mapping[str, object], linear: Mapping[str, object]) -> pd.DataFrame:
    """One row per scale: the ordinal model's true-source effect (the analysis) and the linear model's beside it.

    Parameters
    ----------
    ordinal : mapping of scale to OrdinalEmotionModel or a failure (anything with a ``reason``)
    linear : mapping of scale to :class:`results.statistics.models.EmotionModel` or a failure

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EMOTION_ANALYSIS_COLUMNS`. ``p_value`` is the ordinal model's (the one p-value per
        scale), ``p_holm`` Holm's adjustment across the scales; ``linear_*`` is the linear model's is_ai
        effect in scale points with its 95 % interval (the sensitivity check, no p-value of its own);
        ``failure`` says why a model could not be fitted (NaN in its columns).
    """
    rows = []
    for scale, model in ordinal.items():
        row: dict = {"scale": scale, "failure": ""}
        if isinstance(model, OrdinalEmotionModel):
            effect = model.effect
            row |= {
                "n_ratings": model.n_ratings,
                "effect_logit": effect["estimate"],
                "ci_low": effect["ci_low"],
                "ci_high": effect["ci_high"],
                "t": effect["z"],
                "df": model.df,
                "p_value": effect["p_value"],
            }
            for name in ("rating_points", "probability_higher"):
                interval = getattr(model, name)
                row |= {name: interval.estimate, f"{name}_ci_low": interval.ci_low, f"{name}_ci_high": interval.ci_high}
        else:
            row["failure"] = f"ordinal model: {getattr(model, 'reason', model)}"
        sensitivity = linear.get(scale)
        fixed = getattr(sensitivity, "fixed_effects", None)
        if fixed is not None:
            slope = next(r for r in fixed if r["term"] == "is_ai")
            row |= {
                "linear_points": slope["estimate"],
                "linear_ci_low": slope["ci_low"],
                "linear_ci_high": slope["ci_high"],
            }
        elif sensitivity is not None:
            row["failure"] = "; ".join(
                filter(None, [row["failure"], f"linear model: {getattr(sensitivity, 'reason', '')}"])
            )
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(EMOTION_ANALYSIS_COLUMNS))
    valid = table["p_value"].notna()
    if valid.any():
        table.loc[valid, "p_holm"] = holm(table.loc[valid, "p_value"].astype(float))[1]
    return table
