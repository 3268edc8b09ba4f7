"""The sparse linear algebra behind both families of the mixed-model library: cross-products, factorisation.

Bates et al. (2015, J. Stat. Softw. 67(1)), section 3: the penalised precision matrix of the
spherical random effects (and, when asked, the fixed effects) for given relative standard
deviations ``theta`` and observation weights. The factor with the most columns (participants)
is eliminated block by block, so the cost grows linearly with the number of participants.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.linalg import solve_triangular

from results.mixed.terms import RandomFactor, VarianceComponent

_LOG_2PI = np.log(2 * np.pi)
FAILED_DEVIANCE = 1e15
"""Deviance returned where the algebra fails, so the optimiser backs off instead of aborting."""


class Design:
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
        self.theta_labels = [(big.group, t) for t in big.terms] + [(f.group, t) for f in factors[1:] for t in f.terms]

    def random_sds(self, sds: np.ndarray, factors: list[RandomFactor]) -> list[VarianceComponent]:
        """``group, term, sd`` per random term, in the order of ``factors`` as the caller gave them."""
        rank = {factor.group: i for i, factor in enumerate(factors)}
        entries: list[VarianceComponent] = [
            {"group": g, "term": t, "sd": float(sd)} for (g, t), sd in zip(self.theta_labels, sds)
        ]
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
        small = (
            self._small_sum(self.small_values * v[:, None]) * theta[self.small_theta_index] if self.qs else np.zeros(0)
        )
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
            for k2 in range(k_small):
                ss += np.bincount(
                    self.small_columns[:, k] * qs + self.small_columns[:, k2],
                    ws[:, k] * self.small_values[:, k2],
                    qs * qs,
                )
        out["bs"] = bs.reshape(G, m, qs)
        out["ss"] = ss.reshape(qs, qs)
        out["sx"] = (
            np.stack([self._small_sum(ws * self.X[:, [k]]) for k in range(p)], axis=1) if qs else np.zeros((0, p))
        )
        return out


class Factorisation:
    """Penalised precision of (u_big, u_small[, beta]) for given theta and weights, factorised.

    The matrix is [[D, C], [C', E]] with D block diagonal (G blocks of m x m); ``S = E - C' D^-1 C``
    is the dense Schur complement. With ``with_fixed`` the fixed effects are part of E.
    """

    def __init__(self, design: Design, blocks: dict, theta: np.ndarray, with_fixed: bool):
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
        x_rest = chol_solve(self.S_chol, rest) if rest.size else rest
        x_big = D_inv_r - self.D_inv_C @ x_rest
        return x_big, x_rest

    def fixed_precision(self, p: int) -> np.ndarray:
        """Schur complement of the fixed effects given all random effects (lme4's R_X' R_X)."""
        S = self.S
        sxx, sxs, sss = S[-p:, -p:], S[-p:, :-p], S[:-p, :-p]
        return sxx - sxs @ np.linalg.solve(sss, sxs.T) if sss.size else sxx


def chol_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``L L' x = b`` for lower-triangular ``L``."""
    return solve_triangular(L.T, solve_triangular(L, b, lower=True), lower=False)


class Link:
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

    def expected_information(self, eta: np.ndarray) -> np.ndarray:
        """Fisher information per observation, ``f(eta)^2 / (F(eta) (1 - F(eta)))`` (lme4's PIRLS weights)."""
        if self.name == "logit":
            p = special.expit(eta)
            return p * (1 - p)
        log_density = -0.5 * eta * eta - 0.5 * _LOG_2PI
        return np.exp(2 * log_density - special.log_ndtr(eta) - special.log_ndtr(-eta))


class ConditionalModes:
    """Penalised iteratively reweighted least squares (PIRLS) for the binomial GLMM, warm-started.

    Each run begins at the previous conditional mode, which makes the thousands of runs of an
    optimisation cheap.
    """

    def __init__(self, design: Design, link: Link, sign: np.ndarray, offset: np.ndarray, expected: bool = False):
        self.design, self.link, self.sign, self.offset = design, link, sign, offset
        self.expected = expected
        self.reset()

    def reset(self) -> None:
        """Start the next run from zero random and fixed effects."""
        self.u_big = np.zeros((self.design.G, self.design.m))
        self.u_small = np.zeros(self.design.qs)
        self.beta = np.zeros(self.design.p)

    def guarded(self, deviance):
        """``deviance`` that returns a very large value (and forgets its warm start) where the algebra fails."""

        def safe(params):
            try:
                with np.errstate(all="ignore"):
                    value = deviance(params)
            except (np.linalg.LinAlgError, FloatingPointError, ValueError):
                value = np.inf
            if not np.isfinite(value):
                self.reset()
                return FAILED_DEVIANCE
            return value

        return safe

    def _objective(self, theta, u_big, u_small, beta):
        eta = self.offset + self.design.X @ beta + self.design.random_part(theta, u_big, u_small)
        loglik, score, weight = self.link.evaluate(self.sign, eta)
        return loglik - 0.5 * ((u_big**2).sum() + (u_small**2).sum()), score, weight

    def deviance(self, theta: np.ndarray, beta: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Laplace deviance at the conditional mode of the random effects (and of beta when None).

        Returns the deviance and the final weights, shape (n,).
        """
        design = self.design
        joint = beta is None
        if beta is None:
            beta = self.beta.copy()
        u_big, u_small = self.u_big.copy(), self.u_small.copy()
        objective, score, weight = self._objective(theta, u_big, u_small, beta)
        for _ in range(100):
            factor = Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=joint)
            g_big, g_small = design.random_transpose(theta, score)
            rest = np.concatenate([g_small - u_small, design.X.T @ score]) if joint else g_small - u_small
            step_big, step_rest = factor.solve(g_big - u_big, rest)
            step_small, step_beta = step_rest[: design.qs], step_rest[design.qs :]
            size = 1.0
            while True:
                candidate = (
                    u_big + size * step_big,
                    u_small + size * step_small,
                    beta + size * step_beta if joint else beta,
                )
                new = self._objective(theta, *candidate)
                if new[0] >= objective or size < 1e-10:
                    break
                size /= 2
            u_big, u_small, beta = candidate
            objective, score, weight = new
            largest = max(np.abs(step_big).max(initial=0), np.abs(step_rest).max(initial=0)) * size
            if largest < 1e-9:
                break
        self.u_big, self.u_small, self.beta = u_big, u_small, beta
        if self.expected:  # lme4's Laplace determinant: Fisher weights at the mode
            weight = self.link.expected_information(
                self.offset + design.X @ beta + design.random_part(theta, u_big, u_small)
            )
        factor = Factorisation(design, design.weighted_blocks(weight), theta, with_fixed=False)
        return -2 * objective + factor.logdet_random(), weight
