"""Mixed models with crossed random effects for participants and clips, fitted as lme4 does.

Why this module exists: every trial belongs to a participant *and* a clip, and both are
samples from larger populations, so their random effects are crossed. statsmodels offers
crossed effects only through ``MixedLM`` with a single group (minutes for 1,000 participants,
dense matrices) and ``BinomialBayesMixedGLM`` (logit only; its variational fit understates the
fixed effects' uncertainty about threefold in our simulations, and its Laplace fit collapses
the variance components to zero). So the two fits are written out here following Bates,
Mächler, Bolker & Walker (2015, J. Stat. Softw. 67(1), "Fitting linear mixed-effects models
using lme4"), sections 3-4, and checked against lme4's published results (the ``Penicillin``
crossed LMM and the ``cbpp`` binomial GLMM, see ``tests/results/test_mixed.py``):

* Gaussian: the profiled (RE)ML deviance as a function of the relative standard deviations
  ``theta``; penalised least squares for the fixed and spherical random effects.
* Binomial (probit or logit link): the Laplace approximation of the deviance as a function of
  ``theta`` and the fixed effects ``beta`` (lme4's ``nAGQ = 1``), with the random effects at
  their conditional mode found by penalised iteratively reweighted least squares.

Random effects are independent (diagonal covariance, lme4's ``||``). The factor with the most
columns (participants) is eliminated block by block, so the cost grows linearly with the
number of participants; the remaining random columns (clips) and the fixed effects form a small
dense system.

The Gaussian fit is :func:`results.mixed.gaussian.fit_gaussian`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize
from statsmodels.tools.numdiff import approx_hess3

from core.numerics import separating_columns, unusable_standard_errors
from results.mixed.algebra import FAILED_DEVIANCE, ConditionalModes, Design, Factorisation, Link
from results.mixed.fit import SINGULAR_SD, THETA_MAX, MixedFit, check_standard_errors, single_threaded_blas
from results.mixed.terms import ModelFitError, RandomFactor, check_identified


def _separated_variances_infinite(cov: np.ndarray, fixed_names: list[str], separated: tuple[str, ...]) -> np.ndarray:
    """``cov`` with an infinite variance (and no covariances) for each separated estimate it gives no usable one.

    Along a separating direction the likelihood is flat at infinity, so whatever the curvature
    says there (a tiny, zero or negative variance, depending on rounding) means an unbounded estimate.
    """
    unusable = set(unusable_standard_errors(cov, fixed_names)) & set(separated)
    if not unusable:
        return cov
    cov = np.array(cov, dtype=float)
    for j in (fixed_names.index(name) for name in unusable):
        cov[j, :] = cov[:, j] = 0.0
        cov[j, j] = np.inf
    return cov


# Binomial -----------------------------------------------------------------------------------


def _hessian_fixed_cov(deviance, params: np.ndarray, n_theta: int) -> np.ndarray | None:
    """Covariance of the fixed effects from the Hessian of the deviance in (theta, beta), as lme4.

    Variance parameters at zero are held fixed (the Hessian is not defined on the boundary).
    Returns None when the Hessian is not positive definite.
    """
    theta = params[:n_theta]
    interior = (theta > SINGULAR_SD) & (theta < THETA_MAX - 1e-3)
    free = np.concatenate([interior, np.ones(params.size - n_theta, dtype=bool)])

    def restricted(x):
        full = params.copy()
        full[free] = x
        return deviance(full)

    hessian = approx_hess3(params[free], restricted)
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    n_fixed = params.size - n_theta
    return np.linalg.inv(hessian / 2)[-n_fixed:, -n_fixed:]


@single_threaded_blas
def _minimise_laplace(
    modes: ConditionalModes,
    laplace_deviance: Callable[[np.ndarray], float],
    profiled_deviance: Callable[[np.ndarray], float],
    n_theta: int,
    start: np.ndarray | None,
) -> tuple[optimize.OptimizeResult, int]:
    """Minimise the Laplace deviance in (theta, beta) with L-BFGS-B, restarting until it converges.

    Without ``start`` (and on every restart) the variance parameters are first fitted alone with
    beta profiled out, from 1, 0.5 or 0.1. Returns the best optimiser result and the number of
    extra starts it needed.

    Raises
    ------
    ModelFitError
        When no start gives a finite deviance.
    """
    p = modes.design.p
    options = {"ftol": 1e-14, "gtol": 1e-7, "eps": 1e-7, "maxiter": 500}
    bounds = [(0, THETA_MAX)] * n_theta + [(None, None)] * p
    best: optimize.OptimizeResult | None = None
    restarts = 0
    # None: start from a profiled fit of the variance parameters alone.
    starts: list[np.ndarray | None] = [None] if start is None else [np.asarray(start, dtype=float)]
    starts += [None, None]
    for attempt, initial in enumerate(starts):
        if initial is None:
            modes.reset()
            first = optimize.minimize(
                profiled_deviance,
                np.full(n_theta, (1.0, 0.5, 0.1)[attempt % 3]),
                method="L-BFGS-B",
                bounds=bounds[:n_theta],
                options=options,
            )
            profiled_deviance(first.x)
            initial = np.concatenate([first.x, modes.beta])
        result = optimize.minimize(laplace_deviance, initial, method="L-BFGS-B", bounds=bounds, options=options)
        if best is None or result.fun < best.fun:
            best = result
        if best.success and best.fun < FAILED_DEVIANCE:
            break
        restarts += 1
    assert best is not None  # starts is never empty
    if not best.fun < FAILED_DEVIANCE:
        raise ModelFitError("the model could not be fitted: no starting point gave a finite likelihood")
    return best, restarts


def fit_binomial(
    y: np.ndarray,
    X: np.ndarray,
    fixed_names: list[str],
    factors: list[RandomFactor],
    *,
    link: str = "probit",
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    hessian: bool = True,
    information: str = "observed",
) -> MixedFit:
    """Binary-response GLMM with independent crossed random effects (Laplace approximation).

    Fitted in lme4's two stages: first the variance parameters alone, with the fixed and
    random effects at their joint conditional mode (lme4's ``nAGQ = 0``), then the Laplace
    deviance over variance parameters and fixed effects together, starting from there.
    The variance parameters are bounded to ``[0, THETA_MAX]``; a deviance the algebra cannot
    evaluate counts as very large (the optimiser steps back), and when the optimiser does not
    converge the fit restarts from other variance parameters and keeps the lowest deviance.

    Parameters
    ----------
    y : ndarray, shape (n,)
        0/1 responses.
    X : ndarray, shape (n, p)
        Fixed-effects design (include a column of ones).
    fixed_names : list of str, length p
    factors : list of RandomFactor
    link : {"probit", "logit"}
    offset : ndarray, shape (n,), optional
        Known part of the linear predictor (used to profile a fixed effect).
    start : ndarray, shape (n_theta + p,), optional
        Starting (theta, beta), e.g. a neighbouring fit's; skips the first stage.
    hessian : bool
        Compute ``fixed_cov`` (skip for profiling, where only the deviance is needed).
    information : {"observed", "expected"}
        Weights of the Laplace determinant. "observed" (default) is the curvature of the
        integrand, the Laplace approximation proper; "expected" is the Fisher information, what
        lme4 uses (identical for the logit link; for the probit link the two deviances differ
        by a few units and the estimates slightly, see ``tests/results/test_lme4_crosscheck.py``).

    Returns
    -------
    MixedFit
        Random SDs on the link scale. ``fixed_cov`` comes from the numerical Hessian of the
        Laplace deviance in (variance parameters, fixed effects), as lme4's default; when that
        Hessian is not positive definite, from the penalised information conditional on the
        variance parameters. ``singular`` when a random SD is estimated at zero; ``restarts``
        counts the extra starts needed.

    Raises
    ------
    ModelFitError
        When no start gives a finite deviance.
    """
    y = np.asarray(y, dtype=float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0 or 1")
    check_identified(X, fixed_names)
    design = Design(X, factors)
    n_theta = design.n_theta
    if information not in ("observed", "expected"):
        raise ValueError(f"information must be 'observed' or 'expected', got {information!r}")
    modes = ConditionalModes(
        design,
        Link(link),
        2 * y - 1,
        np.zeros(design.n) if offset is None else np.asarray(offset, dtype=float),
        expected=information == "expected",
    )
    laplace_deviance = modes.guarded(lambda params: modes.deviance(params[:n_theta], params[n_theta:])[0])
    profiled_deviance = modes.guarded(lambda theta: modes.deviance(theta)[0])
    best, restarts = _minimise_laplace(modes, laplace_deviance, profiled_deviance, n_theta, start)
    theta, beta = best.x[:n_theta], best.x[n_theta:]
    laplace_deviance(best.x)
    cov = _hessian_fixed_cov(laplace_deviance, best.x, n_theta) if hessian else None
    if cov is None:
        cov = _conditional_fixed_cov(modes, theta, beta)
    # Full fits only: profiling refits (hessian=False) need the deviance alone.
    separated = tuple(separating_columns(y, design.X, fixed_names)) if hessian else ()
    cov = _separated_variances_infinite(cov, fixed_names, separated)
    check_standard_errors(cov, [name for name in fixed_names if name not in separated], fixed_names)
    sds = design.random_sds(theta, factors)
    return MixedFit(
        list(fixed_names),
        beta,
        cov,
        sds,
        design.n,
        {f.group: f.n_levels for f in design.factors},
        float(best.fun),
        bool(best.success),
        str(best.message),
        singular=bool((theta < SINGULAR_SD).any()),
        restarts=restarts,
        optimum=best.x.copy(),
        separated=separated,
        link=link,
    )


def _conditional_fixed_cov(modes: ConditionalModes, theta: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Covariance of the fixed effects from the penalised information given the variance parameters.

    Used where the Hessian in (theta, beta) is not positive definite.

    Raises
    ------
    ModelFitError
        When the system cannot be factorised at the optimum (no standard errors, so no fit).
    """
    design = modes.design
    _, weight = modes.deviance(theta, beta)
    try:
        factor = Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=True)
    except np.linalg.LinAlgError as error:
        # The fixed effects are not identified at the optimum (e.g. a level answered all one way):
        # the caller's fallback takes over.
        raise ModelFitError(f"the fixed effects have no finite standard errors at the optimum ({error})") from error
    return np.linalg.pinv(factor.fixed_precision(design.p))
