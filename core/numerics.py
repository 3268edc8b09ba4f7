"""Identification checks for linear and generalised linear models that do not depend on the BLAS.

Why this module exists: whether a singular or nearly singular matrix makes numpy raise
``LinAlgError`` depends on the BLAS and LAPACK build and on rounding (a design matrix with a
duplicated column factorised without error under scipy-openblas 0.3.31). A model that waits for
that error returns numbers on one machine and falls back on another. These checks decide
explicitly, with stated tolerances, before and after a fit:

* :func:`collinear_columns`: rank deficiency of a design matrix by a column-pivoted QR
  decomposition (as R's ``qr()`` and lme4's ``checkRank``, with lme4's tolerance 1e-7);
* :func:`separating_columns`: (quasi-)complete separation of a binary response, the linear
  programme of Konis (2007, *Linear programming algorithms for detecting separated data in
  binary logistic regression models*, DPhil thesis, Oxford; R's ``detectseparation``);
* :func:`unusable_standard_errors`: fixed effects whose covariance gives no finite, positive
  variance.

Every function is pure (numpy and scipy only), used by the mixed models and the lens model in
``results`` and by the machine baseline in ``audio``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg, optimize

RANK_TOLERANCE = 1e-7
"""A column is a linear combination of the columns before it when its diagonal entry of R in the
pivoted QR decomposition of the norm-scaled design is below this fraction of the largest one
(lme4's ``checkRank`` and R's ``qr()`` tolerance). A near-collinear column, whose part not explained
by the others is below 1e-7 of its norm, counts as collinear; anything less collinear is left to the fit
and its standard errors."""

SEPARATION_TOLERANCE = 1e-6
"""The separation programme's optimum above this means separation. With norm-scaled columns and a
direction bounded to [-1, 1] a real separation gives at least the scaled entries of one column
(about 1 / sqrt(n), 0.01 for 10,000 trials); HiGHS's feasibility tolerance is 1e-7."""


def _norm_scaled(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X`` with every non-zero column scaled to unit Euclidean norm, and the column norms, shape (p,)."""
    X = np.asarray(X, dtype=float)
    norms = np.sqrt((X**2).sum(axis=0))
    return X / np.where(norms > 0, norms, 1.0), norms


def collinear_columns(X: np.ndarray, names: Sequence[str], *, tol: float = RANK_TOLERANCE) -> list[str]:
    """Names of the columns that are (numerically) linear combinations of the others.

    Columns are scaled to unit norm (so units do not matter) and decomposed by a column-pivoted QR
    (LAPACK ``geqp3``); the columns the pivoting leaves after the numerical rank are the ones to
    drop, as lme4 drops them. An all-zero column is always collinear.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Design matrix.
    names : sequence of str, length p
        Column names.
    tol : float
        Relative tolerance on the diagonal of R.

    Returns
    -------
    list of str
        Empty when ``X`` has full column rank; otherwise ``p - rank`` names, in column order.
    """
    scaled, norms = _norm_scaled(X)
    if scaled.shape[1] == 0:
        return []
    if not np.isfinite(scaled).all():
        raise ValueError("the design matrix has missing or infinite values")
    _, r, pivot = linalg.qr(scaled, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > tol * diagonal.max()).sum()) if diagonal.size and diagonal.max() > 0 else 0
    dropped = set(pivot[rank:].tolist()) | set(np.flatnonzero(norms == 0).tolist())
    return [names[j] for j in sorted(dropped)]


def separating_columns(y: np.ndarray, X: np.ndarray, names: Sequence[str]) -> list[str]:
    """Names of the columns along which a binary response is (quasi-)completely separated.

    The response is separated when some direction ``b`` has ``s_i x_i'b >= 0`` for every
    observation (``s_i = +1`` for a 1, ``-1`` for a 0) and ``> 0`` for at least one: the
    likelihood then grows without bound along ``b``, so the maximum-likelihood estimates of the
    columns ``b`` involves are infinite (in a GLMM too, whatever the random effects). Found by the
    linear programme maximise ``sum_i s_i x_i'b`` subject to ``s_i x_i'b >= 0`` and
    ``-1 <= b_j <= 1`` (Konis 2007), solved by HiGHS.

    Parameters
    ----------
    y : ndarray, shape (n,)
        0/1 responses.
    X : ndarray, shape (n, p)
        Fixed-effects design.
    names : sequence of str, length p

    Returns
    -------
    list of str
        Empty when the estimates are finite; otherwise the columns with a non-zero weight in the
        separating direction (e.g. a breakdown level answered all one way, or the intercept and
        the source when every answer was right).
    """
    scaled, _ = _norm_scaled(X)
    signed = (2 * np.asarray(y, dtype=float) - 1)[:, None] * scaled
    p = signed.shape[1]
    if p == 0 or signed.shape[0] == 0:
        return []
    result = optimize.linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(signed.shape[0]),
        bounds=[(-1.0, 1.0)] * p,
        method="highs",
    )
    if result.status != 0 or -result.fun <= SEPARATION_TOLERANCE:
        return []
    return [names[int(j)] for j in np.flatnonzero(np.abs(result.x) > SEPARATION_TOLERANCE)]


def unusable_standard_errors(cov: np.ndarray, names: Sequence[str]) -> list[str]:
    """Names of the estimates whose variance is not finite and positive.

    Parameters
    ----------
    cov : ndarray, shape (p, p)
        Covariance matrix of the estimates.
    names : sequence of str, length p

    Returns
    -------
    list of str
        Empty when every standard error can be used.
    """
    cov = np.asarray(cov, dtype=float)
    variances = np.diag(cov) if cov.ndim == 2 else np.full(len(names), np.nan)
    bad = ~np.isfinite(variances) | (variances <= 0)
    if not np.isfinite(cov).all():
        rows = ~np.isfinite(cov).all(axis=1)
        bad |= rows
    return [names[int(j)] for j in np.flatnonzero(bad)]
