"""The sparse linear algebra behind :mod:`results.mixed`: design cross-products and the factorisation.

Bates et al. (2015, J. Stat. Softw. 67(1)), section 3: the penalised precision matrix of the
spherical random effects (and, when asked, the fixed effects) for given relative standard
deviations ``theta`` and observation weights. The factor with the most columns (participants)
is eliminated block by block, so the cost grows linearly with the number of participants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import solve_triangular

if TYPE_CHECKING:
    from results.mixed import RandomFactor, VarianceComponent


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
        self.theta_labels = [(big.group, t) for t in big.terms] + [
            (f.group, t) for f in factors[1:] for t in f.terms]

    def random_sds(self, sds: np.ndarray, factors: list[RandomFactor]) -> list[VarianceComponent]:
        """``group, term, sd`` per random term, in the order of ``factors`` as the caller gave them."""
        rank = {factor.group: i for i, factor in enumerate(factors)}
        entries: list[VarianceComponent] = [{"group": g, "term": t, "sd": float(sd)}
                                            for (g, t), sd in zip(self.theta_labels, sds)]
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
