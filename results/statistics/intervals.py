"""Confidence intervals and effect sizes shared by the statistics modules.

Everything here is vectorised over numpy arrays (one value per group) and leans on scipy and
statsmodels for the distributions; only the effect-size intervals that no maintained library
offers as a function (Cohen's d from the noncentral t) are written out, following
Cumming & Finch (2001) and Steiger (2004).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

Z_95 = stats.norm.ppf(0.975)


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (statsmodels ``proportion_confint``).

    Parameters
    ----------
    successes, n : int or array of int
        Successes and trials; where ``n`` is 0 the interval is NaN.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    (low, high) : float or arrays shaped like the broadcast inputs
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    low, high = proportion_confint(np.where(n > 0, successes, 0.0), safe_n, alpha=1 - confidence, method="wilson")
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return (low.item(), high.item()) if low.ndim == 0 else (low, high)


def t_interval(mean, sd, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean from its sample mean, SD and size (NaN where n < 2)."""
    mean, sd, n = (np.asarray(v, dtype=float) for v in (mean, sd, n))
    valid = n >= 2
    df = np.where(valid, n - 1, 1.0)
    half = stats.t.ppf(0.5 + confidence / 2, df) * sd / np.sqrt(np.where(valid, n, 1.0))
    low = np.where(valid, mean - half, np.nan)
    high = np.where(valid, mean + half, np.nan)
    return (low.item(), high.item()) if low.ndim == 0 else (low, high)


@dataclass(frozen=True)
class MeanTest:
    """A mean with its t interval and a two-sided one-sample t-test.

    Attributes
    ----------
    mean, sd : float
        Mean and SD (ddof 1) of the values.
    n : int
        Number of values.
    ci_low, ci_high : float
        Student-t interval of the mean.
    t, df, p_value : float
        The t-test against the reference mean.
    """

    mean: float
    sd: float
    n: int
    ci_low: float
    ci_high: float
    t: float
    df: float
    p_value: float


def one_sample_t(values, popmean: float = 0.0, confidence: float = 0.95) -> MeanTest:
    """Mean with t interval and a two-sided one-sample t-test (scipy ``ttest_1samp``).

    NaN values are dropped. Fields are NaN where there are fewer than two values, or (t and p)
    where all values are equal so t is undefined.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = values.size
    nan = float("nan")
    mean = float(values.mean()) if n else nan
    sd = float(values.std(ddof=1)) if n > 1 else nan
    if n < 2:
        return MeanTest(mean, sd, int(n), nan, nan, nan, nan, nan)
    low, high = t_interval(mean, sd, n, confidence)
    t, p_value = nan, nan
    if sd > 0:
        result = stats.ttest_1samp(values, popmean)
        t, p_value = float(result.statistic), float(result.pvalue)
    return MeanTest(mean, sd, int(n), float(low), float(high), t, float(n - 1), p_value)


def fisher_z_interval(r, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a Pearson correlation via Fisher's z (NaN where n <= 3)."""
    r = np.clip(np.asarray(r, dtype=float), -1 + 1e-15, 1 - 1e-15)
    n = np.asarray(n, dtype=float)
    se = 1.0 / np.sqrt(np.where(n > 3, n - 3, np.nan))
    z = np.arctanh(r)
    crit = stats.norm.ppf(0.5 + confidence / 2)
    low, high = np.tanh(z - crit * se), np.tanh(z + crit * se)
    return (low.item(), high.item()) if low.ndim == 0 else (low, high)


def _noncentrality_interval(t_observed: float, df: float, confidence: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put ``t_observed`` at the two tail quantiles.

    The roots lie within a few standard errors of ``t_observed``; the bracket is kept that
    tight because scipy's noncentral t loses accuracy far in its tails. Should the root search
    still fail, the large-sample normal approximation of the noncentrality is returned.
    """
    upper_tail = 0.5 - confidence / 2
    spread = np.sqrt(1 + t_observed**2 / (2 * df))
    low_end, high_end = t_observed - 6 * spread - 0.5, t_observed + 6 * spread + 0.5

    def quantile_gap(ncp, target):
        return stats.nct.cdf(t_observed, df, ncp) - target

    try:
        low = optimize.brentq(quantile_gap, low_end, high_end, args=(1 - upper_tail,))
        high = optimize.brentq(quantile_gap, low_end, high_end, args=(upper_tail,))
    except ValueError:
        half = stats.norm.ppf(1 - upper_tail) * spread
        return t_observed - half, t_observed + half
    return low, high


def cohen_dz(differences, confidence: float = 0.95) -> dict:
    """Cohen's d_z of paired differences (mean / SD) with an exact noncentral-t interval.

    Returns ``dz, ci_low, ci_high`` (NaN with fewer than two differences or zero SD).
    """
    differences = np.asarray(differences, dtype=float)
    differences = differences[~np.isnan(differences)]
    n = differences.size
    sd = differences.std(ddof=1) if n > 1 else 0.0
    if n < 2 or sd == 0:
        return {"dz": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    dz = differences.mean() / sd
    low, high = _noncentrality_interval(dz * np.sqrt(n), n - 1, confidence)
    return {"dz": float(dz), "ci_low": float(low / np.sqrt(n)), "ci_high": float(high / np.sqrt(n))}


def cohen_d_two_groups(first, second, confidence: float = 0.95) -> dict:
    """Cohen's d (pooled SD) of ``first - second`` with an exact noncentral-t interval.

    Returns ``d, ci_low, ci_high, n_first, n_second`` (NaN when a group has fewer than two
    values or the pooled SD is zero).
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    first, second = first[~np.isnan(first)], second[~np.isnan(second)]
    n1, n2 = first.size, second.size
    out = {"d": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n_first": n1, "n_second": n2}
    if n1 < 2 or n2 < 2:
        return out
    pooled = np.sqrt(((n1 - 1) * first.var(ddof=1) + (n2 - 1) * second.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return out
    d = (first.mean() - second.mean()) / pooled
    scale = np.sqrt(n1 * n2 / (n1 + n2))
    low, high = _noncentrality_interval(d * scale, n1 + n2 - 2, confidence)
    out.update(d=float(d), ci_low=float(low / scale), ci_high=float(high / scale))
    return out


class FixedEffect(TypedDict):
    """One model coefficient with its Wald interval and z-test (a row of a coefficient table)."""

    term: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def wald_table(names, estimates, standard_errors, confidence: float = 0.95, df: float = np.inf) -> list[FixedEffect]:
    """Wald intervals and two-sided tests of model coefficients, one row per coefficient.

    With finite ``df`` the reference is Student's t (``z`` then holds the t statistic), else normal.
    """
    reference = stats.t(df) if np.isfinite(df) else stats.norm()
    crit = reference.ppf(0.5 + confidence / 2)
    rows: list[FixedEffect] = []
    for name, estimate, se in zip(names, estimates, standard_errors):
        z = estimate / se if se > 0 else np.nan
        rows.append(
            {
                "term": name,
                "estimate": float(estimate),
                "se": float(se),
                "ci_low": float(estimate - crit * se),
                "ci_high": float(estimate + crit * se),
                "z": float(z),
                "p_value": float(2 * reference.sf(abs(z))) if np.isfinite(z) else np.nan,
            }
        )
    return rows


def holm(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down adjustment: (reject at ``alpha``, adjusted p-values), in input order.

    The same numbers as statsmodels' ``multipletests(method="holm")`` (the tests check it),
    written out because that branch of statsmodels runs ``gc.collect()`` on every call, which
    costs a tenth of a second once a large trial table is in memory.
    """
    p_values = np.asarray(p_values, dtype=float)
    order = np.argsort(p_values)
    multipliers = p_values.size - np.arange(p_values.size)
    adjusted_sorted = np.minimum(np.maximum.accumulate(p_values[order] * multipliers), 1.0)
    adjusted = np.empty_like(adjusted_sorted)
    adjusted[order] = adjusted_sorted
    return adjusted <= alpha, adjusted
