"""Mixed models of the study: detection (probit GLMM) and emotion (LMM), participants and clips crossed.

Clips are a sample of music as participants are a sample of people, so a headline claim must
generalise over both: these models give every participant and every clip its own random
effect (fitted by :mod:`results.mixed`, which reproduces lme4). A model that cannot be fitted
to the data raises :class:`results.mixed.terms.ModelFitError` with a message for the researcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from results.mixed.fit import MixedFit
from results.mixed.gaussian import fit_gaussian
from results.mixed.inference import ProfiledTerm
from results.mixed.model import BinomialGLMM
from results.mixed.satterthwaite import satterthwaite_df
from results.mixed.terms import ModelFitError, RandomFactor, VarianceComponent
from results.statistics.detection import main_trials
from results.statistics.emotion import rated_trials
from results.statistics.intervals import FixedEffect, wald_table

EMOTION_TERMS = ("(Intercept)", "is_ai")


@dataclass(frozen=True)
class Estimate:
    """A derived model quantity with its Wald 95 % interval and two-sided p-value."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class DetectionModel:
    """The probit GLMM of the source judgements (:func:`detection_mixed_model`).

    Attributes
    ----------
    link : str
        "probit".
    n_trials, n_participants, n_clips : int
        What the fit rests on.
    fixed_effects : list of FixedEffect
        ``(Intercept)`` and ``is_ai`` with Wald 95 % intervals and z-tests.
    d_prime, criterion : ProfiledTerm
        d' (the ``is_ai`` coefficient) and c (minus the intercept): likelihood-ratio test against
        0 and profile-likelihood 95 % interval (:func:`results.mixed.inference.profile_term`).
    variance_components : list of VarianceComponent
        Random-effect SDs in probit units.
    deviance : float
        Laplace deviance.
    converged : bool
        Whether the optimiser reported convergence.
    method : str
        A sentence for the report.
    fit_status : str
        Convergence, restarts, fallbacks and singular fit, in words.
    singular : bool
        A random SD was estimated at 0.
    random_structure : str
        The random terms fitted, in lme4 notation.
    """

    link: str
    n_trials: int
    n_participants: int
    n_clips: int
    fixed_effects: list[FixedEffect]
    d_prime: ProfiledTerm
    criterion: ProfiledTerm
    variance_components: list[VarianceComponent]
    deviance: float
    converged: bool
    method: str
    fit_status: str = ""
    singular: bool = False
    random_structure: str = ""


@dataclass(frozen=True)
class EmotionModel:
    """The LMM of one rating scale (:func:`emotion_mixed_model`).

    Attributes
    ----------
    scale : str
        The rating column.
    n_ratings, n_participants, n_clips : int
        What the fit rests on.
    fixed_effects : list of FixedEffect
        :data:`EMOTION_TERMS`: the mean and the true-source effect (AI minus human clips, scale
        points), 95 % intervals and t-tests with Satterthwaite df (``z`` holds the t statistic).
    variance_components : list of VarianceComponent
        participant intercept and ``is_ai`` slope, clip and residual SDs in scale points.
    reml_criterion : float
    converged : bool
    method : str
        A sentence for the report.
    """

    scale: str
    n_ratings: int
    n_participants: int
    n_clips: int
    fixed_effects: list[FixedEffect]
    variance_components: list[VarianceComponent]
    reml_criterion: float
    converged: bool
    method: str


def rests_on(model: DetectionModel | EmotionModel) -> dict[str, int]:
    """What a fitted model rests on, in reading order: e.g. ``{"trials": 480, "participants": 24, "clips": 40}``."""
    first = ("trials", model.n_trials) if isinstance(model, DetectionModel) else ("ratings", model.n_ratings)
    return dict([first, ("participants", model.n_participants), ("clips", model.n_clips)])


def check_model_data(trials: pd.DataFrame, participants: np.ndarray, clips: np.ndarray, binary: Sequence[str]) -> None:
    """Raise :class:`ModelFitError` saying why a mixed model cannot be fitted to ``trials``.

    Parameters
    ----------
    trials : pandas.DataFrame
        The rows to be modelled.
    participants, clips : ndarray of int
        Factorised participant and clip codes of those rows.
    binary : sequence of str
        Columns that must take both values (e.g. ``is_ai``).
    """
    if len(trials) < 10:
        raise ModelFitError(f"too few trials ({len(trials)}) for a mixed model")
    if participants.max() < 1 or clips.max() < 1:
        raise ModelFitError("a mixed model needs at least two participants and two clips")
    for column in binary:
        if trials[column].nunique() < 2:
            raise ModelFitError(f"'{column}' takes only one value in the selected data")


def _codes(trials: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Participant and clip codes 0..n-1, checked for a fit with ``is_ai`` and ``guessed_ai``."""
    participants = pd.factorize(trials["participant_id"])[0]
    clips = pd.factorize(trials["clip_id"])[0]
    check_model_data(trials, participants, clips, ("is_ai", "guessed_ai"))
    return participants, clips


def _scored_trials(df: pd.DataFrame) -> pd.DataFrame:
    try:
        trials = main_trials(df)
    except ValueError as error:
        raise ModelFitError(str(error)) from error
    if trials.empty:
        raise ModelFitError("no scored trials in the selected data")
    return trials


def detection_design(
    trials: pd.DataFrame, covariates: Sequence[str] = ()
) -> tuple[np.ndarray, np.ndarray, list[str], list[tuple[str, list[RandomFactor]]]]:
    """Response, fixed design and the random structures to try (richest first) of the detection GLMM.

    ``is_ai`` is coded -0.5 / +0.5; each covariate ``x`` (a numeric column, centred by the
    caller) enters as ``x`` (its effect on -c) and ``x:is_ai`` (its effect on d').
    """
    participants, clips = _codes(trials)
    is_ai = trials["is_ai"].to_numpy() - 0.5
    intercept = np.ones_like(is_ai)
    columns, names = [intercept, is_ai], ["(Intercept)", "is_ai"]
    for covariate in covariates:
        value = trials[covariate].to_numpy(dtype=float)
        columns += [value, value * is_ai]
        names += [covariate, f"{covariate}:is_ai"]
    clip = RandomFactor("clip", clips, intercept[:, None], ("(Intercept)",))
    slopes = RandomFactor("participant", participants, np.column_stack([intercept, is_ai]), ("(Intercept)", "is_ai"))
    criteria = RandomFactor("participant", participants, intercept[:, None], ("(Intercept)",))
    structures = [
        ("(1 + is_ai || participant) + (1 | clip)", [slopes, clip]),
        ("(1 | participant) + (1 | clip)", [criteria, clip]),
        ("(1 | clip)", [clip]),
    ]
    return trials["guessed_ai"].to_numpy().astype(float), np.column_stack(columns), names, structures


def clip_df(trials: pd.DataFrame, n_clip_level_effects: int = 2) -> float:
    """Between-within denominator df of a clip-level term: clips minus clip-level fixed effects (>= 1)."""
    return float(max(trials["clip_id"].nunique() - n_clip_level_effects, 1))


def detection_mixed_model(df: pd.DataFrame, *, participant_slopes: bool = True) -> DetectionModel:
    """Probit mixed model of the source judgements: d' and c with crossed random effects.

    ``guessed_ai ~ is_ai + (1 + is_ai || participant) + (1 | clip)`` on the probit link,
    with ``is_ai`` coded -0.5 (human) / +0.5 (AI). Under equal-variance signal detection
    theory the ``is_ai`` coefficient is d' and minus the intercept is the criterion c
    (DeCarlo 1998; Rouder & Lu 2005), for a typical participant on a typical clip. Random
    intercepts let participants' criteria and clips' "AI-soundingness" vary; the random
    ``is_ai`` slope lets participants' d' vary. Fitted by Laplace approximation
    (:func:`results.mixed.binomial.fit_binomial`, lme4's algorithm). When that structure cannot be
    fitted the participant slopes, then the participant intercepts are dropped
    (:func:`results.mixed.inference.fit_with_fallback`); ``fit_status`` says so. d' and c are tested by
    likelihood ratio against 0 and get profile-likelihood intervals, both referred to
    ``F(1, clips - 2)`` (between-within df, :mod:`results.mixed.inference`). The founded small-sample test
    of d' is the parametric bootstrap (:func:`results.statistics.headline.bootstrap_detection_test`), run
    on request because it refits the model hundreds of times.

    Because the clip effects are modelled, d' here is relative to the trial-to-trial noise
    within a clip; per-participant d' (:func:`results.statistics.detection.per_participant_sdt`) also
    counts clip differences as noise and is smaller by about ``sqrt(1 + clip_sd**2)``.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    participant_slopes : bool
        Start from the structure with by-participant random d' (recommended).

    Raises
    ------
    ModelFitError
        On degenerate data (too few trials, participants or clips, only one source, or only
        one answer), or when not even ``(1 | clip)`` can be fitted.
    """
    trials = _scored_trials(df)
    y, X, names, structures = detection_design(trials)
    fitted = BinomialGLMM(y, X, names, structures if participant_slopes else structures[1:]).fit()
    structure = fitted.structure
    df_clips = clip_df(trials)
    d_prime = fitted.profile("is_ai", df=df_clips)
    intercept = fitted.profile("(Intercept)", df=df_clips)
    criterion = replace(intercept, estimate=-intercept.estimate, ci_low=-intercept.ci_high, ci_high=-intercept.ci_low)
    fit = structure.fit
    fixed = wald_table(fit.fixed_names, fit.fixed, fit.fixed_se)
    return DetectionModel(
        link="probit",
        n_trials=int(fit.n_obs),
        n_participants=int(trials["participant_id"].nunique()),
        n_clips=int(fit.n_levels["clip"]),
        fixed_effects=fixed,
        d_prime=d_prime,
        criterion=criterion,
        variance_components=fit.random_sd,
        deviance=fit.deviance,
        converged=fit.converged,
        fit_status=structure.status,
        singular=fit.singular,
        random_structure=structure.label,
        method=(
            f"Probit GLMM guessed_ai ~ is_ai + {structure.label}, is_ai coded -0.5/+0.5, Laplace "
            "approximation (lme4's algorithm, Bates et al. 2015), independent random effects, variance "
            "parameters bounded and the fit restarted when the optimiser fails; fallback to simpler random "
            "structures stated in the fit status. d' = is_ai coefficient, c = -intercept (equal-variance "
            "SDT as a probit model, DeCarlo 1998). d' and c: likelihood-ratio tests against 0 and "
            f"profile-likelihood 95% intervals, referred to F(1, {df_clips:.0f}) (clips minus 2, "
            "between-within df, SAS GLIMMIX DDFM=BETWITHIN), so that the test generalises over clips as well as "
            "participants; the coefficient table's Wald z-tests are shown for reference only. The small-sample "
            "test of d' is the parametric-bootstrap likelihood-ratio test (Halekoh and Højsgaard 2014) when run."
        ),
    )


def _satterthwaite_table(
    y: np.ndarray, X: np.ndarray, factors: list[RandomFactor], fit: MixedFit, fallback_df: float
) -> list[FixedEffect]:
    """Wald rows of a REML fit, each tested on t with its Satterthwaite df (``fallback_df`` where not computable)."""
    rows = []
    for j, name in enumerate(fit.fixed_names):
        df = satterthwaite_df(y, X, factors, fit, name)
        rows += wald_table([name], fit.fixed[j : j + 1], fit.fixed_se[j : j + 1], df=df if df > 0 else fallback_df)
    return rows


def emotion_mixed_model(df: pd.DataFrame, scale: str) -> EmotionModel:
    """Linear mixed model of one scale: the effect of the true source, without the listener's guess.

    ``rating ~ is_ai + (1 + is_ai || participant) + (1 | clip)``, REML (fitted by
    :func:`results.mixed.gaussian.fit_gaussian`, which reproduces lme4), ``is_ai`` coded -0.5 / +0.5 so
    the intercept is the grand mean and the ``is_ai`` coefficient the AI-minus-human difference
    for a typical listener, generalising over clips and listeners (random clip intercepts,
    random source effect per listener).

    The guess is deliberately left out. It is caused by the listening experience, which also
    drives the rating, so holding it fixed would open a path between the true source and the
    rating through that experience (the guess is a collider) and bias the true-source effect;
    the old "label effect" coefficient was not a causal effect of the label either. Ratings by
    guessed source are reported as an association (:func:`results.statistics.emotion.emotion_tests`).
    Ratings are ordinal (1..9), so this model is the sensitivity check; the reported analysis is the
    cumulative link mixed model (:func:`results.statistics.emotion_ordinal.emotion_ordinal_model`).

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    scale : str
        A rating column, e.g. "moved".

    Raises
    ------
    ModelFitError
        On degenerate data (too few participants, clips or ratings, only one source) or when
        the fit fails.
    """
    try:
        trials, present = rated_trials(df, (scale,))
    except ValueError as error:
        raise ModelFitError(str(error)) from error
    if scale not in present:
        raise ModelFitError(f"no {scale} ratings in the selected data")
    rated = trials[trials[scale].notna()]
    participants = pd.factorize(rated["participant_id"])[0]
    clips = pd.factorize(rated["clip_id"])[0]
    check_model_data(rated, participants, clips, ("is_ai",))
    is_ai = rated["is_ai"].to_numpy() - 0.5
    ones = np.ones(len(rated))
    y, X = rated[scale].to_numpy(), np.column_stack([ones, is_ai])
    factors = [
        RandomFactor("participant", participants, np.column_stack([ones, is_ai]), ("(Intercept)", "is_ai")),
        RandomFactor("clip", clips, ones[:, None], ("(Intercept)",)),
    ]
    fit = fit_gaussian(y, X, list(EMOTION_TERMS), factors)
    df_clips = clip_df(rated)
    return EmotionModel(
        scale=scale,
        n_ratings=int(fit.n_obs),
        n_participants=int(fit.n_levels["participant"]),
        n_clips=int(fit.n_levels["clip"]),
        fixed_effects=_satterthwaite_table(y, X, factors, fit, df_clips),
        variance_components=fit.random_sd,
        reml_criterion=fit.deviance,
        converged=fit.converged,
        method=(
            f"True-source effect on {scale}: linear mixed model {scale} ~ is_ai + (1 + is_ai || participant) "
            "+ (1 | clip), REML (lme4's algorithm, Bates et al. 2015), is_ai coded -0.5/+0.5; 95% "
            "intervals and t-tests with Satterthwaite df (lmerTest's method, Kuznetsova et al. 2017; "
            f"t({df_clips:.0f}), clips minus 2, where not computable). The listener's guess is not in the "
            "model: it is caused by the listening experience, so adjusting for it would bias the "
            "true-source effect (collider). Ratings by guessed source are an association, not an effect "
            "of the label. This linear model is the sensitivity check of the reported emotion analysis, the "
            "ordinal (cumulative link) mixed model."
        ),
    )
