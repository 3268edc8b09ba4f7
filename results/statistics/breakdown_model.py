"""Detection by group from the GLMM: d' per level of a clip or participant attribute, and a test of the difference.

Averaging participants' own d' over the 1-4 trials they heard in a level is biased toward 0 (the
log-linear correction dominates with so few trials: vocal 0.69 vs instrumental 0.94 when the truth
is 1.0 everywhere, issue 10). Here the attribute enters the probit GLMM of
:func:`results.statistics.models.detection_mixed_model` as a fixed effect:

``guessed_ai ~ is_ai * level + (1 + is_ai || participant) + (1 | clip)``

so d' of level k is the ``is_ai`` coefficient plus its interaction with level k, with a Wald
interval, and "does d' differ between levels?" is the likelihood-ratio test of the interactions
(``LR / (k - 1)`` referred to ``F(k - 1, df)``, ``df`` the clips minus the clip-level fixed effects
for a clip attribute and clips minus 2 for a participant attribute: the between-within df of
:mod:`results.mixed.inference`). An attribute that only AI clips have (the AI system) enters as ``is_ai:level``
only: every level's d' is then measured against all human clips.

The tests of equal d' over several attributes are one family: :func:`holm_over_breakdowns` adjusts them
by Holm's method, the p-value to read when one attribute is picked out of several (issue 22).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from results.data.codebook import TRIAL_COLUMNS
from results.mixed.model import BinomialGLMM
from results.mixed.terms import ModelFitError
from results.statistics.breakdown import MISSING_LEVEL
from results.statistics.detection import REQUIRED_COLUMNS, main_trials
from results.statistics.intervals import holm
from results.statistics.models import check_model_data, detection_design

LEVEL_COLUMNS = ("level", "n_trials", "d_prime", "se", "ci_low", "ci_high")
FAMILY_COLUMNS = ("by", "lr_statistic", "df_numerator", "df_denominator", "p_value", "p_holm")
_FREQUENCY_WORDS = {
    "none": 0,
    "never": 0,
    "no": 0,
    "rarely": 1,
    "one or two pieces": 1,
    "sometimes": 2,
    "some": 2,
    "often": 3,
    "a lot": 3,
    "always": 4,
}
"""Ranks of the answer words of frequency questions (levels without a number)."""


@dataclass(frozen=True)
class BreakdownModel:
    """d' per level from the GLMM (:func:`breakdown_model`).

    Attributes
    ----------
    by : str
    levels : pandas.DataFrame
        Columns :data:`LEVEL_COLUMNS`, levels in their natural order.
    lr_statistic, df_numerator, df_denominator, p_value : float
        Likelihood-ratio test that d' is the same in every level.
    fit_status : str
    method : str
    """

    by: str
    levels: pd.DataFrame
    lr_statistic: float
    df_numerator: float
    df_denominator: float
    p_value: float
    fit_status: str
    method: str


@dataclass(frozen=True)
class BreakdownFamily:
    """The tests of equal d' over several attributes, Holm-adjusted together (:func:`holm_over_breakdowns`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fitted attribute, columns :data:`FAMILY_COLUMNS`, in the order given.
    family : str
        What ``p_holm`` adjusts over, in words (the attributes, and those left out because not fitted).
    """

    table: pd.DataFrame
    family: str

    def p_holm(self, by: str) -> float:
        """The Holm-adjusted p-value of ``by``'s test (NaN when ``by`` is not in the family)."""
        row = self.table.loc[self.table["by"] == by, "p_holm"]
        return float(row.iloc[0]) if len(row) else float("nan")


def holm_over_breakdowns(
    models: Mapping[str, BreakdownModel], not_fitted: tuple[str, ...] = (), labels: Mapping[str, str] | None = None
) -> BreakdownFamily:
    """Holm's adjustment over the tests of equal d' of the attributes in ``models`` (one family).

    Parameters
    ----------
    models : mapping of attribute to BreakdownModel
        The fitted breakdowns, in the order to report them.
    not_fitted : tuple of str
        Attributes of the family without a test (their model failed); named, not counted.
    labels : mapping of attribute to str, optional
        Names for people, used in ``family``.
    """
    name = (labels or {}).get
    rows = [
        {
            "by": by,
            "lr_statistic": m.lr_statistic,
            "df_numerator": m.df_numerator,
            "df_denominator": m.df_denominator,
            "p_value": m.p_value,
        }
        for by, m in models.items()
    ]
    table = pd.DataFrame(rows, columns=[c for c in FAMILY_COLUMNS if c != "p_holm"])
    table["p_holm"] = holm(table["p_value"])[1] if rows else []
    family = f"Holm over the {len(rows)} breakdown test{'s' if len(rows) != 1 else ''} of equal d′"
    family += f" ({'; '.join(name(by, by) for by in models)})" if rows else ""
    if not_fitted:
        family += f"; not fitted, so not counted: {'; '.join(name(by, by) for by in not_fitted)}"
    return BreakdownFamily(table=table, family=family)


def natural_order(values, column: str) -> list[str]:
    """Levels in the codebook's order when it lists them, else by their leading number, else alphabetically."""
    listed = next((c.allowed for c in TRIAL_COLUMNS if c.name == column), "")
    codebook = [v.strip() for v in listed.split(",")] if "," in listed else []
    present = {str(v) for v in values} - {MISSING_LEVEL}
    if present and present <= set(codebook):
        ordered = sorted(present, key=codebook.index)
    else:

        def key(value: str):
            number = re.match(r"\s*(\d+(?:\.\d+)?)", value)
            word = _FREQUENCY_WORDS.get(value.lower())
            return (float(number.group(1)) if number else word if word is not None else np.inf, value)

        ordered = sorted(present, key=key)
    return ordered + ([MISSING_LEVEL] if MISSING_LEVEL in {str(v) for v in values} else [])


def _design(trials: pd.DataFrame, levels: list[str], ai_only: bool, with_interactions: bool):
    """Fixed design and names: intercept, is_ai, then per non-first level its main effect and interaction."""
    y, X, names, structures = detection_design(trials)
    is_ai = X[:, 1]
    columns, out_names = [X[:, 0], is_ai], names[:2]
    for level in levels[1:]:
        indicator = (trials["level"].to_numpy() == level).astype(float)
        if ai_only:
            if with_interactions:
                columns.append(indicator * (is_ai > 0))
                out_names.append(f"is_ai:{level}")
            continue
        columns.append(indicator)
        out_names.append(level)
        if with_interactions:
            columns.append(indicator * is_ai)
            out_names.append(f"is_ai:{level}")
    return y, np.column_stack(columns), out_names, structures


def breakdown_model(df: pd.DataFrame, by: str) -> BreakdownModel:
    """d' per level of ``by`` from the GLMM with ``by`` as a fixed effect, and the test of equal d'.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    by : str
        A clip column (``genre``, ``vocals``, ``ai_system``) or participant column
        (``training_years``, ``ai_exposure``, ...); missing values form :data:`MISSING_LEVEL`.

    Raises
    ------
    ModelFitError
        On degenerate data, fewer than two levels, or when the model cannot be fitted.
    """
    trials = main_trials(df, REQUIRED_COLUMNS + (by,))
    level = trials[by].astype("object").where(trials[by].notna(), MISSING_LEVEL).astype(str)
    ai_only = bool(trials.loc[~trials["is_ai"], by].isna().all())
    trials = trials.assign(level=np.where(trials["is_ai"] | (not ai_only), level, ""))
    levels = [v for v in natural_order(trials.loc[trials["is_ai"] | (not ai_only), "level"], by) if v]
    if len(levels) < 2:
        raise ModelFitError("fewer than two groups in the selected data")  # the caller's heading names the grouping
    check_model_data(
        trials, pd.factorize(trials["participant_id"])[0], pd.factorize(trials["clip_id"])[0], ("is_ai", "guessed_ai")
    )
    y, X, names, structures = _design(trials, levels, ai_only, with_interactions=True)
    fitted = BinomialGLMM(y, X, names, structures).fit()
    full = fitted.structure
    separated_levels = [name for name in full.fit.separated if name not in ("(Intercept)", "is_ai")]
    if separated_levels:
        # A level answered all one way has an infinite d' or criterion: no per-level estimate or test.
        raise ModelFitError(
            f"the answers are perfectly separated within {', '.join(separated_levels)} of '{by}' "
            "(every answer there the same, or every one right): that level's estimate would be infinite"
        )
    _, X0, names0, _ = _design(trials, levels, ai_only, with_interactions=False)
    null = fitted.nested(X0, names0)
    k = len(levels) - 1
    # Between-within df: a clip attribute spends clip-level degrees of freedom, a participant attribute does not.
    clip_attribute = bool((trials.groupby("clip_id")["level"].nunique() <= 1).all())
    clip_effects = 2 + ((k if ai_only else 2 * k) if clip_attribute else 0)
    df_denominator = float(max(trials["clip_id"].nunique() - clip_effects, 1))
    lr = max(null.deviance - full.fit.deviance, 0.0)
    rows = _level_rows(full.fit, names, levels, trials, df_denominator)
    return BreakdownModel(
        by=by,
        levels=rows,
        lr_statistic=float(lr),
        df_numerator=float(k),
        df_denominator=df_denominator,
        p_value=float(stats.f.sf(lr / k, k, df_denominator)),
        fit_status=full.status,
        method=(
            f"d' per level of {by}: probit GLMM guessed_ai ~ is_ai * {by} + {full.label} "
            + ("(AI-only attribute: is_ai:level terms, every level against all human clips)" if ai_only else "")
            + f"; Wald 95% intervals on t({df_denominator:.0f}); equal d' across levels tested by likelihood "
            f"ratio, LR/{k} on F({k}, {df_denominator:.0f})."
        ),
    )


def _level_rows(fit, names: list[str], levels: list[str], trials: pd.DataFrame, df: float) -> pd.DataFrame:
    """d' of each level as a contrast of the fixed effects, with its Wald interval on t(df)."""
    quantile = stats.t.ppf(0.975, df)
    rows = []
    for level in levels:
        contrast = np.zeros(len(names))
        contrast[names.index("is_ai")] = 1.0
        if f"is_ai:{level}" in names:
            contrast[names.index(f"is_ai:{level}")] = 1.0
        estimate = float(contrast @ fit.fixed)
        se = float(np.sqrt(contrast @ fit.fixed_cov @ contrast))
        rows.append(
            {
                "level": level,
                "n_trials": int((trials["level"] == level).sum()),
                "d_prime": estimate,
                "se": se,
                "ci_low": estimate - quantile * se,
                "ci_high": estimate + quantile * se,
            }
        )
    return pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))
