"""Parametric-bootstrap likelihood-ratio test of one fixed effect of a binomial GLMM (the small-sample test).

With crossed random effects and few clips the likelihood-ratio statistic is not chi-square(1): with 20
clips and clip SD 1 the chi-square reference rejected 8-9 % of null studies (issue 10). The parametric
bootstrap does not lean on an asymptotic reference: it simulates data sets from the model *without* the
term (the null fit), refits both models to each and refers the observed statistic to the simulated ones
(Halekoh & Højsgaard 2014, J. Stat. Softw. 59(9), ``pbkrtest::PBmodcomp``, whose p-value it reproduces:
``(1 + #{LR* >= LR}) / (1 + B)``). The Monte-Carlo error of that p-value is reported beside it.

Cost. Every bootstrap sample is two warm-started Laplace fits. Measured on a busy two-core machine: 0.15 s
a sample at 30 participants x 12 trials with two variance parameters, 0.4-1.1 s at 60 x 12 with the
by-participant d' (three); ``benchmarks/inference_calibration.py`` prints it per cell. :data:`DEFAULT_SAMPLES`
= 200 therefore takes half a minute to a few minutes: a computation a researcher asks for, never one a
page runs on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from results.mixed.binomial import fit_binomial
from results.mixed.fit import MixedFit
from results.mixed.inference import FittedStructure
from results.mixed.terms import ModelFitError

DEFAULT_SAMPLES = 200
"""Bootstrap samples by default: the Monte-Carlo SE of a p-value near .05 is 1.5 points (cost: see above)."""


@dataclass(frozen=True)
class BootstrapLRTest:
    """Parametric-bootstrap and chi-square likelihood-ratio tests of ``term = 0``.

    Attributes
    ----------
    term : str
    statistic : float
        Observed likelihood-ratio statistic (deviance without the term minus with it).
    p_value : float
        Parametric-bootstrap p-value ``(1 + #{LR* >= LR}) / (1 + n_samples)``: the small-sample test.
    mc_se : float
        Its Monte-Carlo standard error ``sqrt(p (1 - p) / n_samples)``.
    chi2_p_value : float
        The large-sample reference, ``P(chi2(1) > LR)``, shown beside it.
    n_samples : int
        Bootstrap samples whose two refits succeeded.
    n_failed : int
        Samples dropped because a refit failed (``pbkrtest`` drops them too).
    seed : int
    """

    term: str
    statistic: float
    p_value: float
    mc_se: float
    chi2_p_value: float
    n_samples: int
    n_failed: int
    seed: int

    @property
    def method(self) -> str:
        """A sentence for the report."""
        return (
            f"parametric-bootstrap likelihood-ratio test of {self.term} = 0 ({self.n_samples} samples simulated from "
            f"the fit without {self.term}, both models refitted; Halekoh and Højsgaard 2014), p = {self.p_value:.3f} "
            f"± {self.mc_se:.3f} (Monte-Carlo SE); chi-square(1) p = {self.chi2_p_value:.3g} (large-sample)"
        )


def parametric_bootstrap_lr(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    structure: FittedStructure,
    term: str,
    *,
    n_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> BootstrapLRTest:
    """Parametric-bootstrap likelihood-ratio test of the fixed effect ``term`` against 0.

    Parameters
    ----------
    y, X, names
        The data and fixed design of ``structure`` (as :func:`results.mixed.binomial.fit_binomial`).
    structure : FittedStructure
        The full fit (:func:`results.mixed.inference.fit_with_fallback`); the null model keeps its random
        terms and link.
    term : str
        One of ``names``.
    n_samples : int
        Bootstrap samples (>= 1).
    seed : int
        Seed of the simulation: the same seed gives the same p-value.

    Returns
    -------
    BootstrapLRTest

    Raises
    ------
    ModelFitError
        When the null model cannot be fitted, or no bootstrap sample could be refitted.
    """
    if n_samples < 1:
        raise ValueError("n_samples must be at least 1")
    full = structure.fit
    if full.optimum is None:
        raise ValueError("the bootstrap needs the optimum that fit_binomial records")
    j = names.index(term)
    keep = [k for k in range(len(names)) if k != j]
    n_theta = full.optimum.size - len(names)
    null_start = np.concatenate([full.optimum[:n_theta], full.optimum[n_theta:][keep]])
    null = _fit(y, X[:, keep], [names[k] for k in keep], structure, null_start)
    statistic = max(null.deviance - full.deviance, 0.0)
    assert null.optimum is not None  # fit_binomial records it
    full_start = np.insert(null.optimum, n_theta + j, 0.0)
    rng = np.random.default_rng(seed)
    simulated = []
    for _ in range(n_samples):
        y_star = simulate_responses(null, X[:, keep], structure, rng)
        simulated.append(_refit_statistic(y_star, X, names, keep, structure, null.optimum, full_start))
    draws = np.array([s for s in simulated if np.isfinite(s)])
    if draws.size == 0:
        raise ModelFitError("no bootstrap sample could be refitted")
    p_value = (1.0 + np.sum(draws >= statistic)) / (1.0 + draws.size)
    return BootstrapLRTest(
        term=term,
        statistic=float(statistic),
        p_value=float(p_value),
        mc_se=float(np.sqrt(p_value * (1 - p_value) / draws.size)),
        chi2_p_value=float(stats.chi2.sf(statistic, 1)),
        n_samples=int(draws.size),
        n_failed=int(n_samples - draws.size),
        seed=seed,
    )


def simulate_responses(
    fit: MixedFit, X: np.ndarray, structure: FittedStructure, rng: np.random.Generator
) -> np.ndarray:
    """0/1 responses drawn from a fitted binomial GLMM: new random effects, then a Bernoulli draw per row.

    Random effects are independent normal with the fitted SDs (``fit.random_sd`` in the order of the
    factors and their terms), as lme4's ``simulate(fit, use.u = FALSE)``.
    """
    eta = X @ fit.fixed
    sds = iter(component["sd"] for component in fit.random_sd)
    for factor in structure.factors:
        for column in range(len(factor.terms)):
            effects = rng.normal(0.0, next(sds), factor.n_levels)
            eta = eta + effects[factor.codes] * factor.values[:, column]
    probability = stats.norm.cdf(eta) if fit.link == "probit" else 1.0 / (1.0 + np.exp(-eta))
    return (rng.random(eta.size) < probability).astype(float)


def _fit(y: np.ndarray, X: np.ndarray, names: list[str], structure: FittedStructure, start: np.ndarray) -> MixedFit:
    """A deviance-only refit with the structure's random terms and link, warm-started."""
    return fit_binomial(y, X, names, structure.factors, link=structure.fit.link, start=start, hessian=False)


def _refit_statistic(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    keep: list[int],
    structure: FittedStructure,
    null_start: np.ndarray,
    full_start: np.ndarray,
) -> float:
    """Likelihood-ratio statistic of one simulated data set (NaN when a refit fails)."""
    if y.min() == y.max():
        return np.nan  # one answer only: neither model is identified
    try:
        null = _fit(y, X[:, keep], [names[k] for k in keep], structure, null_start)
        full = _fit(y, X, names, structure, full_start)
    except (ModelFitError, np.linalg.LinAlgError):
        return np.nan
    return max(null.deviance - full.deviance, 0.0)
