"""The cumulative link mixed model (CLMM) for ordered ratings, fitted as ``ordinal::clmm`` does.

Ratings on a 1-9 scale are ordered categories, not interval measurements: the step from 8 to 9 need
not equal the step from 4 to 5, and a linear model lets fitted means leave the scale. The cumulative
logit model (McCullagh 1980) puts a latent logistic variable behind the rating,

    logit P(Y <= k | x, u) = alpha_k - (x' beta + z' u),       k = 1 .. K - 1,

with flexible (unconstrained but increasing) thresholds ``alpha`` and the linear predictor shifting the
latent variable, so a positive ``beta`` means higher ratings. Participants and clips get crossed
random intercepts (spherical ``u``, relative SDs ``theta``), and the likelihood is integrated over
them by the Laplace approximation (Christensen 2019, ``ordinal`` package, ``clmm`` with its default
``nAGQ = 1``): at given (alpha, beta, theta) the conditional mode of ``u`` is found by Newton steps on
the penalised log-likelihood (the ``ConditionalModes`` of the binomial family, with the ordinal
log-likelihood in place of the binary one; the negative second derivative is positive because the
logistic cumulative model is log-concave), and

    deviance = -2 log p(y | u_hat) + |u_hat|^2 + log det(Lambda' Z' W Z Lambda + I).

The deviance is minimised over (theta, alpha, beta) together, and the covariance of (alpha, beta) is
the inverse of half the numerical Hessian of that deviance, as ``clmm`` (numDeriv) computes its
standard errors. ``tests/results/test_ordinal_clmm.py`` checks thresholds, effects, SEs and random
SDs against ``ordinal::clmm`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from statsmodels.tools.numdiff import approx_hess3

from results.mixed.algebra import FAILED_DEVIANCE, ConditionalModes, Design
from results.mixed.fit import SINGULAR_SD, THETA_MAX, check_standard_errors, single_threaded_blas
from results.mixed.terms import ModelFitError, RandomFactor, VarianceComponent, check_identified

HESSIAN_STEP = 1e-3
"""Finite-difference step of the Hessian, in the units of each parameter (numDeriv's ``d = 1e-4`` is relative)."""


class CumulativeLogit:
    """The log-likelihood of ordered categories under the cumulative logit link, per observation.

    Plays the part of :class:`results.mixed.algebra.Link` for :class:`results.mixed.algebra.ConditionalModes`:
    ``evaluate(codes, eta)`` with the category codes where the binary link reads ``2y - 1``. The
    thresholds are set before each evaluation (they are parameters of the outer optimisation).

    Parameters
    ----------
    n_categories : int
        K, the number of categories (codes 0 .. K - 1).
    """

    name = "logit"

    def __init__(self, n_categories: int):
        self.n_categories = n_categories
        self.thresholds = np.zeros(n_categories - 1)

    def _bounds(self, codes: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Upper and lower cut points of each observation's category on the latent scale, minus eta."""
        cuts = np.concatenate([[-np.inf], self.thresholds, [np.inf]])
        return cuts[codes + 1] - eta, cuts[codes] - eta

    def probabilities(self, codes: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """P(Y = code | eta), shape (n,), computed on the side of the distribution that keeps precision."""
        upper, lower = self._bounds(codes, eta)
        right = lower > 0  # both cut points in the upper tail: difference of survival functions
        return np.where(
            right, special.expit(-lower) - special.expit(-upper), special.expit(upper) - special.expit(lower)
        )

    def evaluate(self, codes: np.ndarray, eta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, its derivative in eta per observation, and minus its second derivative (>= 0)."""
        upper, lower = self._bounds(codes, eta)
        probability = self.probabilities(codes, eta)
        if not (probability > 0).all():
            raise FloatingPointError("a category probability underflowed")
        f_upper, f_lower = _logistic_density(upper), _logistic_density(lower)
        slope_upper = f_upper * (1 - 2 * special.expit(upper))  # f'(x) = f(x) (1 - 2 F(x))
        slope_lower = f_lower * (1 - 2 * special.expit(lower))
        first = -(f_upper - f_lower) / probability  # d log P / d eta
        second = (slope_upper - slope_lower) / probability - first**2
        return float(np.log(probability).sum()), first, -second


def _logistic_density(x: np.ndarray) -> np.ndarray:
    """Logistic density, 0 at +-inf."""
    with np.errstate(over="ignore", invalid="ignore"):
        density = special.expit(x) * special.expit(-x)
    return np.where(np.isfinite(x), density, 0.0)


@dataclass
class OrdinalFit:
    """A fitted cumulative link mixed model.

    Attributes
    ----------
    categories : list
        The observed rating values, in order (category k of the model is ``categories[k]``).
    thresholds : ndarray, shape (K - 1,)
        alpha_k, latent (logit) scale; labelled ``"1|2"`` etc. in ``threshold_names``.
    threshold_names : list of str
    fixed_names : list of str
    fixed : ndarray, shape (p,)
        Effects on the latent (logit) scale; positive means higher ratings.
    cov : ndarray, shape (K - 1 + p, K - 1 + p)
        Covariance of (thresholds, fixed effects) from the Hessian of the Laplace deviance.
    random_sd : list of VarianceComponent
        Random-intercept SDs on the latent scale, in the order the factors were given.
    n_obs : int
    n_levels : dict of str to int
    deviance : float
        Laplace deviance, -2 log-likelihood (``clmm``'s ``-2 * logLik``).
    converged : bool
    message : str
    optimum : ndarray
        (theta in elimination order, thresholds, fixed effects): a warm start for neighbouring fits.
    """

    categories: list
    thresholds: np.ndarray
    threshold_names: list[str]
    fixed_names: list[str]
    fixed: np.ndarray
    cov: np.ndarray
    random_sd: list[VarianceComponent]
    n_obs: int
    n_levels: dict[str, int]
    deviance: float
    converged: bool
    message: str
    optimum: np.ndarray

    @property
    def threshold_se(self) -> np.ndarray:
        k = self.thresholds.size
        return np.sqrt(np.diag(self.cov)[:k])

    @property
    def fixed_se(self) -> np.ndarray:
        k = self.thresholds.size
        return np.sqrt(np.diag(self.cov)[k:])

    @property
    def singular(self) -> bool:
        return any(entry["sd"] < SINGULAR_SD for entry in self.random_sd)

    def category_probabilities(self, eta: float) -> np.ndarray:
        """P(Y = k) for k = 0 .. K - 1 at linear predictor ``eta`` (random effects at 0), shape (K,)."""
        cumulative = np.concatenate([[0.0], special.expit(self.thresholds - eta), [1.0]])
        return np.diff(cumulative)


def _thresholds_from(increments: np.ndarray) -> np.ndarray:
    """Increasing thresholds from (first threshold, log gaps): the unconstrained optimisation parameters."""
    return np.cumsum(np.concatenate([increments[:1], np.exp(increments[1:])]))


def _start_thresholds(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Logits of the observed cumulative proportions (``clmm``'s start), kept strictly increasing."""
    counts = np.bincount(codes, minlength=n_categories).astype(float)
    cumulative = np.cumsum(counts)[:-1] / counts.sum()
    return special.logit(np.clip(cumulative, 1e-4, 1 - 1e-4)) + np.arange(n_categories - 1) * 1e-6


class _LaplaceDeviance:
    """The Laplace deviance of a CLMM as a function of (theta, thresholds, beta), warm-started."""

    def __init__(self, codes: np.ndarray, X: np.ndarray, factors: list[RandomFactor], n_categories: int):
        self.design = Design(X, factors)
        self.link = CumulativeLogit(n_categories)
        self.modes = ConditionalModes(self.design, self.link, codes, np.zeros(self.design.n))  # type: ignore[arg-type]
        self.n_theta, self.n_thresholds = self.design.n_theta, n_categories - 1

    def __call__(self, params: np.ndarray) -> float:
        """Deviance at (theta, thresholds, beta); FAILED_DEVIANCE where thresholds are not increasing or it fails."""
        theta = params[: self.n_theta]
        thresholds = params[self.n_theta : self.n_theta + self.n_thresholds]
        if (np.diff(thresholds) <= 0).any():
            return FAILED_DEVIANCE
        self.link.thresholds = thresholds
        return self.modes.guarded(lambda beta: self.modes.deviance(theta, beta)[0])(
            params[self.n_theta + self.n_thresholds :]
        )

    def unconstrained(self, params: np.ndarray) -> float:
        """The deviance with the thresholds given as (first, log gaps), the optimiser's parameters."""
        k = self.n_theta
        natural = np.concatenate(
            [params[:k], _thresholds_from(params[k : k + self.n_thresholds]), params[k + self.n_thresholds :]]
        )
        return self(natural)


def _unconstrained_start(thresholds: np.ndarray) -> np.ndarray:
    return np.concatenate([thresholds[:1], np.log(np.diff(thresholds))])


def _minimise(deviance: _LaplaceDeviance, start: np.ndarray) -> optimize.OptimizeResult:
    """L-BFGS-B on the unconstrained parameters from ``start`` (natural parameters); the result's x is natural."""
    k, m = deviance.n_theta, deviance.n_thresholds
    bounds = [(0, THETA_MAX)] * k + [(None, None)] * (start.size - k)
    initial = np.concatenate([start[:k], _unconstrained_start(start[k : k + m]), start[k + m :]])
    options = {"ftol": 1e-14, "gtol": 1e-7, "eps": 1e-7, "maxiter": 1000}
    result = optimize.minimize(deviance.unconstrained, initial, method="L-BFGS-B", bounds=bounds, options=options)
    result.x = np.concatenate([result.x[:k], _thresholds_from(result.x[k : k + m]), result.x[k + m :]])
    return result


def _covariance(deviance: _LaplaceDeviance, optimum: np.ndarray) -> np.ndarray:
    """Covariance of (thresholds, beta): inverse of half the Hessian of the deviance, variance parameters free.

    Variance parameters at zero are held fixed (the Hessian is not defined on the boundary), as in
    :mod:`results.mixed.binomial`.

    Raises
    ------
    ModelFitError
        When the Hessian is not positive definite.
    """
    k = deviance.n_theta
    theta = optimum[:k]
    free = np.concatenate([(theta > SINGULAR_SD) & (theta < THETA_MAX - 1e-3), np.ones(optimum.size - k, dtype=bool)])

    def restricted(x: np.ndarray) -> float:
        full = optimum.copy()
        full[free] = x
        return deviance(full)

    # An absolute step: statsmodels' default step is relative to each parameter, which near 0 (a threshold in
    # the middle of the scale) is so small that rounding in the deviance shifted threshold SEs by 2 %.
    hessian = approx_hess3(optimum[free], restricted, epsilon=HESSIAN_STEP)
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError as error:
        raise ModelFitError("the likelihood is not curved at its optimum: no standard errors") from error
    n_structural = optimum.size - k
    return np.linalg.inv(hessian / 2)[-n_structural:, -n_structural:]


@single_threaded_blas
def fit_cumulative_logit(
    ratings: np.ndarray,
    X: np.ndarray,
    fixed_names: list[str],
    factors: list[RandomFactor],
    *,
    start: np.ndarray | None = None,
    hessian: bool = True,
) -> OrdinalFit:
    """Cumulative logit mixed model with flexible thresholds and independent crossed random effects.

    ``ordinal::clmm(rating ~ x + (1 | participant) + (1 | clip))`` with its defaults (logit link,
    flexible thresholds, Laplace approximation).

    Parameters
    ----------
    ratings : ndarray, shape (n,)
        Ordered ratings (any sortable values; each observed value is a category, as R's ``factor``).
    X : ndarray, shape (n, p)
        Fixed effects *without* an intercept column (the thresholds take its place).
    fixed_names : list of str, length p
    factors : list of RandomFactor
        Random terms (intercepts, or slopes with independent SDs).
    start : ndarray, optional
        (theta in elimination order, thresholds, beta), e.g. a neighbouring fit's ``optimum``.
    hessian : bool
        Compute the covariance (skip for likelihood-ratio refits, which need the deviance alone).

    Returns
    -------
    OrdinalFit

    Raises
    ------
    ModelFitError
        Fewer than two categories, an unidentified design, no finite likelihood, or no curvature.
    """
    ratings = np.asarray(ratings)
    X = np.asarray(X, dtype=float).reshape(len(ratings), -1)
    categories, codes = np.unique(ratings, return_inverse=True)
    if categories.size < 2:
        raise ModelFitError("every rating is the same: an ordinal model needs at least two categories")
    if X.shape[1]:
        check_identified(np.column_stack([np.ones(len(ratings)), X]), ["(thresholds)", *fixed_names])
    deviance = _LaplaceDeviance(codes, X, factors, categories.size)
    k = deviance.n_theta
    if start is None:
        start = np.concatenate([np.full(k, 0.5), _start_thresholds(codes, categories.size), np.zeros(X.shape[1])])
    result = _minimise(deviance, np.asarray(start, dtype=float))
    if not result.fun < FAILED_DEVIANCE:
        raise ModelFitError("the ordinal model could not be fitted: no finite likelihood from the starting values")
    optimum = result.x
    value = deviance(optimum)
    n_thresholds = categories.size - 1
    cov = _covariance(deviance, optimum) if hessian else np.full((optimum.size - k,) * 2, np.nan)
    if hessian:
        check_standard_errors(cov, [*_threshold_names(categories), *fixed_names])
    return OrdinalFit(
        categories=categories.tolist(),
        thresholds=optimum[k : k + n_thresholds],
        threshold_names=_threshold_names(categories),
        fixed_names=list(fixed_names),
        fixed=optimum[k + n_thresholds :],
        cov=cov,
        random_sd=deviance.design.random_sds(optimum[:k], factors),
        n_obs=int(len(ratings)),
        n_levels={f.group: f.n_levels for f in factors},
        deviance=float(value),
        converged=bool(result.success),
        message=str(result.message),
        optimum=optimum,
    )


def _threshold_names(categories: np.ndarray) -> list[str]:
    """``clmm``'s threshold labels, e.g. "1|2", from the observed categories."""
    labels = [_label(c) for c in categories]
    return [f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:])]


def _label(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(value)
