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
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from statsmodels.tools.numdiff import approx_hess3
from threadpoolctl import threadpool_limits

_LOG_2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class RandomFactor:
    """The random terms of one grouping factor.

    Attributes
    ----------
    group : str
        Name of the grouping factor (e.g. "participant").
    codes : ndarray of int, shape (n,)
        Level of each observation, 0 .. n_levels - 1.
    values : ndarray of float, shape (n, m)
        Value of each random term per observation (a column of ones for a random intercept,
        the predictor for a random slope).
    terms : tuple of str, length m
        Names of the terms, e.g. ("(Intercept)", "is_ai").
    """

    group: str
    codes: np.ndarray
    values: np.ndarray
    terms: tuple[str, ...]

    @property
    def n_levels(self) -> int:
        return int(self.codes.max()) + 1 if self.codes.size else 0

    @property
    def n_columns(self) -> int:
        return self.n_levels * len(self.terms)


@dataclass
class MixedFit:
    """A fitted mixed model.

    Attributes
    ----------
    fixed_names : list of str
    fixed : ndarray, shape (p,)
        Fixed-effect estimates.
    fixed_cov : ndarray, shape (p, p)
        Their covariance, conditional on the estimated variance components (as lme4 reports).
    random_sd : list of dict
        ``group, term, sd`` per random term in the order the factors were given, on the scale
        of the linear predictor (for the Gaussian family followed by ``residual``).
    n_obs : int
    n_levels : dict of str to int
    deviance : float
        ML deviance (-2 log-likelihood; Laplace approximation for the binomial family) or the
        REML criterion.
    converged : bool
    message : str
        The optimiser's message.
    """

    fixed_names: list[str]
    fixed: np.ndarray
    fixed_cov: np.ndarray
    random_sd: list[dict]
    n_obs: int
    n_levels: dict[str, int]
    deviance: float
    converged: bool
    message: str = ""

    @property
    def fixed_se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.fixed_cov))


class _Design:
    """Fixed and random design with the cross-products needed by both fits.

    The first factor (the one with most columns) is the "big" block: its random columns
    only meet within a level, so its part of the penalised precision matrix is block
    diagonal with ``m x m`` blocks and is eliminated level by level (a Schur complement). The
    other factors' columns ("small") and the fixed effects form a small dense system. Every
    observation touches one column per random term, so all products are ``np.bincount`` sums
    over observations (linear in n).
    """

    def __init__(self, X: np.ndarray, factors: list[RandomFactor]):
        if not factors:
            raise ValueError("at least one random factor is needed")
        factors = sorted(factors, key=lambda f: f.n_columns, reverse=True)
        self.factors = factors
        self.X = np.asarray(X, dtype=float)
        self.n, self.p = self.X.shape
        big = factors[0]
        self.big_codes = np.asarray(big.codes, dtype=np.int64)
        self.big_values = np.asarray(big.values, dtype=float).reshape(self.n, -1)
        self.m = self.big_values.shape[1]
        self.G = big.n_levels

        columns, values, theta_index = [], [], []
        offset, next_theta = 0, self.m
        for factor in factors[1:]:
            factor_values = np.asarray(factor.values, dtype=float).reshape(self.n, -1)
            for j in range(factor_values.shape[1]):
                columns.append(offset + np.asarray(factor.codes, dtype=np.int64))
                values.append(factor_values[:, j])
                theta_index.append(np.full(factor.n_levels, next_theta))
                offset += factor.n_levels
                next_theta += 1
        self.small_columns = np.column_stack(columns) if columns else np.zeros((self.n, 0), dtype=np.int64)
        self.small_values = np.column_stack(values) if values else np.zeros((self.n, 0))
        self.small_theta_index = np.concatenate(theta_index) if theta_index else np.zeros(0, dtype=np.int64)
        self.qs = offset
        self.n_theta = next_theta
        self.theta_labels = [(big.group, t) for t in big.terms] + [
            (f.group, t) for f in factors[1:] for t in f.terms]

    def random_sds(self, sds: np.ndarray, factors: list[RandomFactor]) -> list[dict]:
        """``group, term, sd`` per random term, in the order of ``factors`` as the caller gave them."""
        rank = {factor.group: i for i, factor in enumerate(factors)}
        entries = [{"group": g, "term": t, "sd": float(sd)} for (g, t), sd in zip(self.theta_labels, sds)]
        return sorted(entries, key=lambda entry: rank[entry["group"]])

    def random_part(self, theta: np.ndarray, u_big: np.ndarray, u_small: np.ndarray) -> np.ndarray:
        """Z Lambda u, shape (n,)."""
        out = (self.big_values * (theta[: self.m] * u_big[self.big_codes])).sum(axis=1)
        if self.qs:
            scaled = theta[self.small_theta_index] * u_small
            out += (self.small_values * scaled[self.small_columns]).sum(axis=1)
        return out

    def _big_sum(self, weights: np.ndarray) -> np.ndarray:
        """Sum of ``weights`` (n, m) per big level -> (G, m)."""
        index = self.big_codes[:, None] * self.m + np.arange(self.m)[None, :]
        return np.bincount(index.ravel(), weights.ravel(), self.G * self.m).reshape(self.G, self.m)

    def _small_sum(self, weights: np.ndarray) -> np.ndarray:
        """Sum of ``weights`` (n, k) into the small columns -> (qs,)."""
        return np.bincount(self.small_columns.ravel(), weights.ravel(), self.qs)

    def random_transpose(self, theta: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lambda' Z' v as (big part (G, m), small part (qs,))."""
        big = self._big_sum(self.big_values * v[:, None]) * theta[: self.m]
        small = self._small_sum(self.small_values * v[:, None]) * theta[self.small_theta_index] if self.qs \
            else np.zeros(0)
        return big, small

    def weighted_blocks(self, w: np.ndarray) -> dict:
        """Weighted cross-products Z'WZ, Z'WX and X'WX, split into big (b), small (s) and fixed (x)."""
        G, m, qs, p = self.G, self.m, self.qs, self.p
        wb = self.big_values * w[:, None]
        bb = np.empty((G, m, m))
        for i in range(m):
            for j in range(i, m):
                bb[:, i, j] = bb[:, j, i] = np.bincount(self.big_codes, wb[:, i] * self.big_values[:, j], G)
        bx = np.stack([self._big_sum(wb * self.X[:, [k]]) for k in range(p)], axis=2)
        out = {"bb": bb, "bx": bx, "xx": self.X.T @ (self.X * w[:, None])}
        ws = self.small_values * w[:, None]
        k_small = self.small_columns.shape[1]
        bs = np.zeros(G * m * qs)
        ss = np.zeros(qs * qs)
        for k in range(k_small):
            for j in range(m):
                index = (self.big_codes * m + j) * qs + self.small_columns[:, k]
                bs += np.bincount(index, ws[:, k] * self.big_values[:, j], G * m * qs)
            for l in range(k_small):
                ss += np.bincount(self.small_columns[:, k] * qs + self.small_columns[:, l],
                                  ws[:, k] * self.small_values[:, l], qs * qs)
        out["bs"] = bs.reshape(G, m, qs)
        out["ss"] = ss.reshape(qs, qs)
        out["sx"] = np.stack([self._small_sum(ws * self.X[:, [k]]) for k in range(p)], axis=1) if qs \
            else np.zeros((0, p))
        return out


class _Factorisation:
    """Penalised precision of (u_big, u_small[, beta]) for given theta and weights, factorised.

    The matrix is [[D, C], [C', E]] with D block diagonal (G blocks of m x m); ``S = E - C' D^-1 C``
    is the dense Schur complement. With ``with_fixed`` the fixed effects are part of E.
    """

    def __init__(self, design: _Design, blocks: dict, theta: np.ndarray, with_fixed: bool):
        lam_b = theta[: design.m]
        lam_s = theta[design.small_theta_index]
        m = design.m
        self.D = blocks["bb"] * lam_b[None, :, None] * lam_b[None, None, :] + np.eye(m)[None]
        self.D_inv = np.linalg.inv(self.D)
        self.logdet_D = float(np.linalg.slogdet(self.D)[1].sum())
        C = blocks["bs"] * lam_b[None, :, None] * lam_s[None, None, :]
        E = blocks["ss"] * lam_s[:, None] * lam_s[None, :] + np.eye(design.qs)
        if with_fixed:
            C = np.concatenate([C, blocks["bx"] * lam_b[None, :, None]], axis=2)
            sx = blocks["sx"] * lam_s[:, None]
            E = np.block([[E, sx], [sx.T, blocks["xx"]]])
        self.C = C
        self.D_inv_C = self.D_inv @ C
        width = C.shape[2]
        rows = C.shape[0] * C.shape[1]
        # An explicit transposed copy: BLAS is many times slower on the transposed view here.
        self.S = E - np.ascontiguousarray(C.reshape(rows, width).T) @ self.D_inv_C.reshape(rows, width)
        self.qs = design.qs
        self.S_chol = np.linalg.cholesky(self.S) if self.S.size else self.S

    def logdet_random(self) -> float:
        """log det of the random-effects block (lme4's log |L_theta|^2)."""
        ss = self.S[: self.qs, : self.qs]
        return self.logdet_D + (2 * np.log(np.diag(np.linalg.cholesky(ss))).sum() if self.qs else 0.0)

    def solve(self, r_big: np.ndarray, r_rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve the system for right-hand side (big part (G, m), rest (qs [+ p],))."""
        D_inv_r = (self.D_inv @ r_big[:, :, None])[:, :, 0]
        width = self.C.shape[2]
        rest = r_rest - D_inv_r.ravel() @ self.C.reshape(D_inv_r.size, width)
        x_rest = _chol_solve(self.S_chol, rest) if rest.size else rest
        x_big = D_inv_r - self.D_inv_C @ x_rest
        return x_big, x_rest

    def fixed_precision(self, p: int) -> np.ndarray:
        """Schur complement of the fixed effects given all random effects (lme4's R_X' R_X)."""
        S = self.S
        sxx, sxs, sss = S[-p:, -p:], S[-p:, :-p], S[:-p, :-p]
        return sxx - sxs @ np.linalg.solve(sss, sxs.T) if sss.size else sxx


def _chol_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.linalg import solve_triangular
    return solve_triangular(L.T, solve_triangular(L, b, lower=True), lower=False)


# Gaussian ---------------------------------------------------------------------------------

def _single_threaded_blas(fit):
    """Run ``fit`` with one BLAS thread.

    The matrices here are small (tens to a few hundred rows) and multiplied thousands of
    times; OpenBLAS's thread hand-offs then cost far more than the arithmetic, up to a hundred
    times more when the machine is busy.
    """
    @functools.wraps(fit)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fit(*args, **kwargs)

    return wrapper


@_single_threaded_blas
def fit_gaussian(y: np.ndarray, X: np.ndarray, fixed_names: list[str], factors: list[RandomFactor],
                 *, reml: bool = True) -> MixedFit:
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
    y = np.asarray(y, dtype=float)
    design = _Design(X, factors)
    n, p = design.n, design.p
    blocks = design.weighted_blocks(np.ones(n))
    ones = np.ones(design.n_theta)
    zty_big, zty_small = design.random_transpose(ones, y)
    xty = design.X.T @ y

    def solve(theta):
        factor = _Factorisation(design, blocks, theta, with_fixed=True)
        rhs_rest = np.concatenate([zty_small * theta[design.small_theta_index], xty])
        u_big, rest = factor.solve(zty_big * theta[: design.m], rhs_rest)
        u_small, beta = rest[: design.qs], rest[design.qs:]
        fitted = design.X @ beta + design.random_part(theta, u_big, u_small)
        penalised_rss = float(((y - fitted) ** 2).sum() + (u_big ** 2).sum() + (u_small ** 2).sum())
        return factor, beta, penalised_rss

    def deviance(theta):
        factor, _, prss = solve(theta)
        logdet_l = factor.logdet_random()
        if reml:
            logdet_rx = np.linalg.slogdet(factor.fixed_precision(p))[1]
            return logdet_l + logdet_rx + (n - p) * (1 + _LOG_2PI + np.log(prss / (n - p)))
        return logdet_l + n * (1 + _LOG_2PI + np.log(prss / n))

    result = optimize.minimize(deviance, np.ones(design.n_theta), method="L-BFGS-B",
                               bounds=[(0, None)] * design.n_theta)
    theta = result.x
    factor, beta, prss = solve(theta)
    sigma2 = prss / (n - p if reml else n)
    cov = sigma2 * np.linalg.inv(factor.fixed_precision(p))
    sds = design.random_sds(theta * np.sqrt(sigma2), factors)
    sds.append({"group": "residual", "term": "", "sd": float(np.sqrt(sigma2))})
    return MixedFit(list(fixed_names), beta, cov, sds, n, {f.group: f.n_levels for f in design.factors},
                    float(result.fun), bool(result.success), str(result.message))


# Binomial -----------------------------------------------------------------------------------

class _Link:
    """Log-likelihood pieces of a binary response for the probit or logit link.

    With ``z = (2y - 1) * eta`` both links give ``log P(y) = log F(z)``; the weights are the
    observed information ``-d2 log F(z) / d eta2`` (for the logit link this equals the Fisher
    information lme4 uses; for the probit link it makes each Newton step exact, so the
    conditional modes converge quadratically, and the Laplace approximation uses the true
    curvature of the integrand).
    """

    def __init__(self, name: str):
        if name not in ("probit", "logit"):
            raise ValueError(f"link must be 'probit' or 'logit', got {name!r}")
        self.name = name

    def evaluate(self, sign: np.ndarray, eta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, its derivative in eta per observation, and the weights (sign = 2y - 1)."""
        z = sign * eta
        if self.name == "probit":
            log_cdf = special.log_ndtr(z)
            mills = np.exp(-0.5 * z * z - 0.5 * _LOG_2PI - log_cdf)
            return float(log_cdf.sum()), sign * mills, mills * (mills + z)
        log_cdf = -np.logaddexp(0, -z)
        other = special.expit(-z)
        return float(log_cdf.sum()), sign * other, other * (1 - other)


def _hessian_fixed_cov(deviance, params: np.ndarray, n_theta: int) -> np.ndarray | None:
    """Covariance of the fixed effects from the Hessian of the deviance in (theta, beta), as lme4.

    Variance parameters at zero are held fixed (the Hessian is not defined on the boundary).
    Returns None when the Hessian is not positive definite.
    """
    free = np.concatenate([params[:n_theta] > 1e-4, np.ones(params.size - n_theta, dtype=bool)])

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


@_single_threaded_blas
def fit_binomial(y: np.ndarray, X: np.ndarray, fixed_names: list[str], factors: list[RandomFactor],
                 *, link: str = "probit") -> MixedFit:
    """Binary-response GLMM with independent crossed random effects (Laplace approximation).

    Fitted in lme4's two stages: first the variance parameters alone, with the fixed and
    random effects at their joint conditional mode (lme4's ``nAGQ = 0``), then the Laplace
    deviance over variance parameters and fixed effects together, starting from there.

    Parameters
    ----------
    y : ndarray, shape (n,)
        0/1 responses.
    X : ndarray, shape (n, p)
        Fixed-effects design (include a column of ones).
    fixed_names : list of str, length p
    factors : list of RandomFactor
    link : {"probit", "logit"}

    Returns
    -------
    MixedFit
        Random SDs on the link scale. ``fixed_cov`` comes from the numerical Hessian of the
        Laplace deviance in (variance parameters, fixed effects), as lme4's default; when that
        Hessian is not positive definite, from the penalised information conditional on the
        variance parameters.
    """
    y = np.asarray(y, dtype=float)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0 or 1")
    link_fn = _Link(link)
    sign = 2 * y - 1
    design = _Design(X, factors)
    p, n_theta = design.p, design.n_theta
    # Warm start: each PIRLS run begins at the previous conditional mode.
    state = {"u_big": np.zeros((design.G, design.m)), "u_small": np.zeros(design.qs), "beta": np.zeros(p)}

    def pirls(theta, beta=None):
        """Conditional mode of the random effects (and of beta when ``beta`` is None).

        Returns the Laplace deviance and the final weights.
        """
        joint = beta is None
        beta = state["beta"].copy() if joint else beta
        u_big, u_small = state["u_big"].copy(), state["u_small"].copy()

        def evaluate(u_big, u_small, beta):
            eta = design.X @ beta + design.random_part(theta, u_big, u_small)
            loglik, score, weight = link_fn.evaluate(sign, eta)
            return loglik - 0.5 * ((u_big ** 2).sum() + (u_small ** 2).sum()), score, weight

        objective, score, weight = evaluate(u_big, u_small, beta)
        for _ in range(100):
            factor = _Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=joint)
            g_big, g_small = design.random_transpose(theta, score)
            rest = np.concatenate([g_small - u_small, design.X.T @ score]) if joint else g_small - u_small
            step_big, step_rest = factor.solve(g_big - u_big, rest)
            step_small, step_beta = step_rest[: design.qs], step_rest[design.qs:]
            size = 1.0
            while True:
                candidate = (u_big + size * step_big, u_small + size * step_small,
                             beta + size * step_beta if joint else beta)
                new_objective, new_score, new_weight = evaluate(*candidate)
                if new_objective >= objective or size < 1e-10:
                    break
                size /= 2
            u_big, u_small, beta = candidate
            objective, score, weight = new_objective, new_score, new_weight
            largest = max(np.abs(step_big).max(initial=0), np.abs(step_rest).max(initial=0)) * size
            if largest < 1e-9:
                break
        state.update(u_big=u_big, u_small=u_small, beta=beta)
        factor = _Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=False)
        return -2 * objective + factor.logdet_random(), weight

    def stage_one(theta):
        return pirls(theta)[0]

    def laplace_deviance(params):
        return pirls(params[:n_theta], params[n_theta:])[0]

    options = {"ftol": 1e-14, "gtol": 1e-7, "eps": 1e-7, "maxiter": 500}
    first = optimize.minimize(stage_one, np.ones(n_theta), method="L-BFGS-B", bounds=[(0, None)] * n_theta,
                              options=options)
    pirls(first.x)
    start = np.concatenate([first.x, state["beta"]])
    bounds = [(0, None)] * n_theta + [(None, None)] * p
    result = optimize.minimize(laplace_deviance, start, method="L-BFGS-B", bounds=bounds, options=options)
    theta, beta = result.x[:n_theta], result.x[n_theta:]
    cov = _hessian_fixed_cov(laplace_deviance, result.x, n_theta)
    if cov is None:
        _, weight = pirls(theta, beta)
        factor = _Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=True)
        cov = np.linalg.inv(factor.fixed_precision(p))
    sds = design.random_sds(theta, factors)
    return MixedFit(list(fixed_names), beta, cov, sds, design.n, {f.group: f.n_levels for f in design.factors},
                    float(result.fun), bool(result.success), str(result.message))
