"""Satterthwaite denominator degrees of freedom of a fixed effect of a Gaussian LMM (REML), as ``lmerTest``.

The t statistic ``beta_j / se_j`` of a linear mixed model is not t-distributed with a known df, because
``se_j`` rests on estimated variance components. Satterthwaite's approximation matches the first two
moments of ``se_j**2``: ``df = 2 V**2 / (g' C g)`` with ``V = Var(beta_j)`` as a function of the variance
parameters ``(theta, sigma)``, ``g`` its gradient and ``C = 2 H^-1`` their asymptotic covariance from the
Hessian ``H`` of the REML deviance (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13),
``lmerTest``, section 3). Derivatives are numerical (statsmodels' ``approx_fprime``, ``approx_hess3``),
as lmerTest's (numDeriv).
"""

from __future__ import annotations

import numpy as np
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

from results.mixed.fit import MixedFit, single_threaded_blas
from results.mixed.gaussian import PenalisedLeastSquares
from results.mixed.terms import RandomFactor

_LOG_2PI = np.log(2 * np.pi)


@single_threaded_blas
def satterthwaite_df(y: np.ndarray, X: np.ndarray, factors: list[RandomFactor], fit: MixedFit, term: str) -> float:
    """Satterthwaite df of the fixed effect ``term`` of a REML fit of :func:`results.mixed.gaussian.fit_gaussian`.

    Parameters
    ----------
    y, X, factors
        The data, fixed design and random factors of ``fit``.
    fit : MixedFit
        The REML fit (it records ``theta`` in ``optimum``).
    term : str
        One of ``fit.fixed_names``.

    Returns
    -------
    float
        Denominator degrees of freedom (> 0; NaN when the variance parameters' Hessian is singular).
    """
    if fit.optimum is None:
        raise ValueError("Satterthwaite df need the optimum that fit_gaussian records")
    pls = PenalisedLeastSquares(np.asarray(y, dtype=float), np.asarray(X, dtype=float), factors)
    n, p = pls.design.n, pls.design.p
    n_theta = pls.design.n_theta
    j = fit.fixed_names.index(term)

    def deviance(varpar: np.ndarray) -> float:
        """REML deviance in (theta, sigma), not profiled over sigma."""
        theta, sigma2 = varpar[:n_theta], varpar[n_theta] ** 2
        factor, _, prss = pls.solve(theta)
        logdet_rx = np.linalg.slogdet(factor.fixed_precision(p))[1]
        return factor.logdet_random() + logdet_rx + (n - p) * (_LOG_2PI + np.log(sigma2)) + prss / sigma2

    def variance(varpar: np.ndarray) -> float:
        factor = pls.solve(varpar[:n_theta])[0]
        return float(varpar[n_theta] ** 2 * np.linalg.inv(factor.fixed_precision(p))[j, j])

    varpar = np.append(fit.optimum[:n_theta], fit.random_sd[-1]["sd"])
    try:
        covariance = 2 * np.linalg.inv(approx_hess3(varpar, deviance))
    except np.linalg.LinAlgError:
        return float("nan")
    gradient = approx_fprime(varpar, variance, centered=True)
    return float(2 * variance(varpar) ** 2 / (gradient @ covariance @ gradient))
