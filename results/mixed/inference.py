"""Binomial GLMM fits a researcher can rely on: a stated fallback, likelihood-ratio tests, profile intervals.

:func:`fit_with_fallback` fits the richest random-effects structure that the data support and says
what it did (lme4 users do the same by hand: drop a random slope when the fit fails and report it).
:func:`profile_term` tests one fixed effect by the likelihood ratio and gives its profile-likelihood
interval (Venzon & Moolgavkar 1988; lme4's ``confint(method = "profile")``).

Small-sample reference. With crossed random effects and few clips the likelihood-ratio statistic
is not chi-square(1) (with 20 clips and clip SD 1 that reference rejected 8-9 % of null studies,
issue 10). :func:`profile_term` refers it to ``F(1, df)`` and the interval uses the same critical
value ``t(df)**2``, with ``df`` the "between-within" denominator degrees of freedom of a term that
varies between clips: clips minus the clip-level fixed effects (SAS PROC GLIMMIX ``DDFM=BETWITHIN``;
Schluchter & Elashoff 1990); ``df = inf`` gives lme4's chi-square(1) test and profile interval. The
founded small-sample test is the parametric bootstrap of :mod:`results.mixed.bootstrap` (it needs
hundreds of refits, so it is computed on request); ``benchmarks/inference_calibration.py`` measures
both. With many clips all references agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from results.mixed.binomial import fit_binomial
from results.mixed.fit import MixedFit
from results.mixed.terms import ModelFitError, RandomFactor

SEPARATION_PROBIT = 8.0
"""A fixed effect beyond this many probit units means (quasi-)separation: P = Phi(8) is 1 - 6e-16."""


@dataclass(frozen=True)
class FittedStructure:
    """A GLMM fit together with the random-effects structure that was fitted and how it was reached.

    Attributes
    ----------
    fit : MixedFit
    factors : list of RandomFactor
        The random terms that were fitted.
    label : str
        That structure in lme4 notation, e.g. ``(1 + is_ai || participant) + (1 | clip)``.
    status : str
        A sentence for the researcher: converged or not, restarts, fallbacks taken, singular fit.
    fell_back : bool
        Whether a simpler structure than the first one was fitted.
    """

    fit: MixedFit
    factors: list[RandomFactor]
    label: str
    status: str
    fell_back: bool


def fit_with_fallback(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    structures: Sequence[tuple[str, list[RandomFactor]]],
    *,
    link: str = "probit",
) -> FittedStructure:
    """Fit the first random-effects structure that can be fitted, in the order given.

    Parameters
    ----------
    y, X, names
        As :func:`results.mixed.binomial.fit_binomial`.
    structures : sequence of (label, factors)
        Richest first, e.g. with and then without random slopes.
    link : {"probit", "logit"}

    Returns
    -------
    FittedStructure

    Raises
    ------
    ModelFitError
        When no structure can be fitted (the message lists why each failed).
    """
    failures = []
    for position, (label, factors) in enumerate(structures):
        try:
            fit = fit_binomial(y, X, names, factors, link=link)
        except ModelFitError as error:
            failures.append(f"{label}: {error}")
            continue
        return FittedStructure(fit, factors, label, _status(fit, failures), position > 0)
    raise ModelFitError("no random-effects structure could be fitted (" + "; ".join(failures) + ")")


def _status(fit: MixedFit, failures: list[str]) -> str:
    """The fit status sentence of :class:`FittedStructure`."""
    parts = ["converged" if fit.converged else "the optimiser did not report convergence (estimates shown as found)"]
    if fit.restarts:
        parts.append(f"after {fit.restarts} restart(s) from other starting values")
    if failures:
        parts.append("fallback taken because the richer model failed (" + "; ".join(failures) + ")")
    if fit.separated:
        parts.append(
            "the answers are perfectly separated along " + ", ".join(fit.separated) + ": the maximum-likelihood "
            "estimate is infinite, so that estimate and its interval only say 'very large'"
        )
    elif np.any(np.abs(fit.fixed) > SEPARATION_PROBIT):
        parts.append(
            f"a fixed effect exceeds {SEPARATION_PROBIT:g} probit units: the answers are nearly perfectly "
            "separated, so that estimate and its interval only say 'very large'"
        )
    if fit.zero_components:
        parts.append(
            "singular fit: "
            + ", ".join(fit.zero_components)
            + " SD estimated at 0 (equivalent to leaving that term out; the other estimates stand)"
        )
    return "; ".join(parts)


@dataclass(frozen=True)
class ProfiledTerm:
    """One fixed effect with its likelihood-ratio test against 0 and its profile-likelihood interval.

    Attributes
    ----------
    estimate, se : float
        Maximum-likelihood estimate and its Wald standard error.
    ci_low, ci_high : float
        Profile-likelihood 95 % interval (critical value ``t(df)**2``).
    lr_statistic : float
        Deviance of the model with the term fixed at 0 minus that of the full model.
    p_value : float
        ``P(F(1, df) > lr_statistic)`` (chi-square(1) when ``df`` is infinite).
    df : float
        Denominator degrees of freedom of the reference distribution.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    lr_statistic: float
    p_value: float
    df: float


def profile_term(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    structure: FittedStructure,
    term: str,
    *,
    df: float,
    confidence: float = 0.95,
) -> ProfiledTerm:
    """Likelihood-ratio test and profile interval of the fixed effect ``term`` of a fitted GLMM.

    The model is refitted with ``term`` held at a value (as an offset), every other parameter
    re-estimated from the full fit's optimum. The signed root of the deviance difference is
    nearly linear in the value, so each interval end is found by two refits and a secant step.

    Parameters
    ----------
    y, X, names
        The data and fixed design of ``structure``.
    structure : FittedStructure
        The full fit (:func:`fit_with_fallback`).
    term : str
        One of ``names``.
    df : float
        Denominator degrees of freedom (module docstring); ``inf`` gives chi-square(1).
    confidence : float

    Returns
    -------
    ProfiledTerm
        Refitted with the link the full fit recorded (``structure.fit.link``), so a logit fit is
        profiled as a logit fit.

    Raises
    ------
    ValueError
        When the fit has no recorded optimum (only :func:`results.mixed.binomial.fit_binomial` records one).
    """
    fit = structure.fit
    if fit.optimum is None:
        raise ValueError("profiling needs the optimum that fit_binomial records")
    j = names.index(term)
    estimate, se = float(fit.fixed[j]), float(fit.fixed_se[j])

    def excess(value: float) -> float:
        """Deviance with the term held at ``value`` minus the minimum (>= 0)."""
        return deviance_excess(y, X, names, structure, term, value)

    quantile = np.sqrt(critical_value(df, confidence))
    lr = excess(0.0)
    ends = [_interval_end(excess, estimate, side * se * quantile, quantile) for side in (-1, 1)]
    return ProfiledTerm(estimate, se, ends[0], ends[1], float(lr), lr_p_value(lr, df), float(df))


def critical_value(df: float, confidence: float = 0.95) -> float:
    """Critical value of the likelihood-ratio statistic: ``t(df)**2``, chi-square(1) if df = inf."""
    quantile = stats.t.ppf(0.5 + confidence / 2, df) if np.isfinite(df) else stats.norm.ppf(0.5 + confidence / 2)
    return float(quantile**2)


def lr_p_value(lr: float, df: float) -> float:
    """``P(F(1, df) > lr)`` (chi-square(1) when ``df`` is infinite); see the module docstring."""
    return float(stats.f.sf(lr, 1, df)) if np.isfinite(df) else float(stats.chi2.sf(lr, 1))


def deviance_excess(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    structure: FittedStructure,
    term: str,
    value: float,
) -> float:
    """Deviance of the model with ``term`` held at ``value`` minus that of ``structure`` (>= 0; NaN if it fails).

    The likelihood-ratio statistic of "term = value". The held model is refitted with the term
    as an offset, every other parameter started at the full fit's optimum.
    """
    fit = structure.fit
    if fit.optimum is None:
        raise ValueError("likelihood ratios need the optimum that fit_binomial records")
    j = names.index(term)
    keep = [k for k in range(len(names)) if k != j]
    n_theta = fit.optimum.size - len(names)
    start = np.concatenate([fit.optimum[:n_theta], fit.optimum[n_theta:][keep]])
    try:
        held = fit_binomial(
            y,
            X[:, keep],
            [names[k] for k in keep],
            structure.factors,
            link=fit.link,
            offset=value * X[:, j],
            start=start,
            hessian=False,
        )
    except (ModelFitError, np.linalg.LinAlgError):
        # Far out on a nearly separated profile the held model's system can be singular: that
        # value is simply not reachable, which the callers read as a failed profile point.
        return np.nan
    return max(held.deviance - fit.deviance, 0.0)


def _interval_end(excess, estimate: float, step: float, quantile: float) -> float:
    """Where the signed root ``sqrt(excess)`` reaches ``quantile`` on the side of ``step`` (secant)."""
    points = [(0.0, 0.0)]
    offset = step
    for _ in range(2):
        root = np.sqrt(excess(estimate + offset))
        if not np.isfinite(root) or root <= 0:
            return float(estimate + step)  # a flat or failed profile: fall back to the Wald end
        points.append((offset, root))
        (x0, r0), (x1, r1) = points[-2], points[-1]
        offset = x1 + (quantile - r1) * (x1 - x0) / (r1 - r0) if r1 != r0 else x1
    return float(estimate + offset)
