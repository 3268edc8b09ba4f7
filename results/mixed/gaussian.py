"""The Gaussian linear mixed model with crossed random effects, fitted as lme4 does.

The profiled (RE)ML deviance as a function of the relative standard deviations ``theta``, with
penalised least squares for the fixed and spherical random effects (Bates et al. 2015, section 3).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from results.mixed.algebra import Design, Factorisation
from results.mixed.fit import MixedFit, check_standard_errors, single_threaded_blas
from results.mixed.terms import RandomFactor, check_identified

_LOG_2PI = np.log(2 * np.pi)


@single_threaded_blas
def fit_gaussian(
    y: np.ndarray, X: np.ndarray, fixed_names: list[str], factors: list[RandomFactor], *, reml: bool = True
) -> MixedFit:
    """Linear mixed model with independent crossed random effects (profiled REML or ML).

    Parameters
    ----------
    y : ndarray, shape (n,)
    X : ndarray, shape (n, p)
        Fixed-effects design (include a column of ones for the intercept).
    fixed_names : list of str, length p
    factors : list of RandomFactor
    reml : bool
        Restricted maximum likelihood (default, as lme4 and statsmodels) or maximum likelihood.

    Returns
    -------
    MixedFit
        Random SDs in the units of ``y``; the last ``random_sd`` entry is the residual.
    """
    check_identified(X, fixed_names)
    pls = PenalisedLeastSquares(np.asarray(y, dtype=float), X, factors)
    design, solve = pls.design, pls.solve
    n, p = design.n, design.p

    def deviance(theta):
        factor, _, prss = solve(theta)
        logdet_l = factor.logdet_random()
        if reml:
            logdet_rx = np.linalg.slogdet(factor.fixed_precision(p))[1]
            return logdet_l + logdet_rx + (n - p) * (1 + _LOG_2PI + np.log(prss / (n - p)))
        return logdet_l + n * (1 + _LOG_2PI + np.log(prss / n))

    result = optimize.minimize(
        deviance, np.ones(design.n_theta), method="L-BFGS-B", bounds=[(0, None)] * design.n_theta
    )
    theta = result.x
    factor, beta, prss = solve(theta)
    sigma2 = prss / (n - p if reml else n)
    cov = sigma2 * np.linalg.inv(factor.fixed_precision(p))
    check_standard_errors(cov, fixed_names)
    sds = design.random_sds(theta * np.sqrt(sigma2), factors)
    sds.append({"group": "residual", "term": "", "sd": float(np.sqrt(sigma2))})
    return MixedFit(
        list(fixed_names),
        beta,
        cov,
        sds,
        n,
        {f.group: f.n_levels for f in design.factors},
        float(result.fun),
        bool(result.success),
        str(result.message),
        optimum=np.concatenate([theta, beta]),
    )


class PenalisedLeastSquares:
    """The penalised least-squares solution of a Gaussian LMM at given relative SDs ``theta`` (Bates et al. 2015, 3.2).

    Shared by :func:`fit_gaussian` and the Satterthwaite degrees of freedom
    (:mod:`results.mixed.satterthwaite`), which differentiate the same quantities.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, factors: list[RandomFactor]):
        self.y = y
        self.design = Design(X, factors)
        self.blocks = self.design.weighted_blocks(np.ones(self.design.n))
        self.zty_big, self.zty_small = self.design.random_transpose(np.ones(self.design.n_theta), y)
        self.xty = self.design.X.T @ y

    def solve(self, theta: np.ndarray) -> tuple[Factorisation, np.ndarray, float]:
        """(factorisation, fixed effects, penalised residual sum of squares) at ``theta``."""
        design = self.design
        factor = Factorisation(design, self.blocks, theta, with_fixed=True)
        rhs_rest = np.concatenate([self.zty_small * theta[design.small_theta_index], self.xty])
        u_big, rest = factor.solve(self.zty_big * theta[: design.m], rhs_rest)
        u_small, beta = rest[: design.qs], rest[design.qs :]
        fitted = design.X @ beta + design.random_part(theta, u_big, u_small)
        penalised_rss = float(((self.y - fitted) ** 2).sum() + (u_big**2).sum() + (u_small**2).sum())
        return factor, beta, penalised_rss
