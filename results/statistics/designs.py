"""What the design conditions answer: the causal effect of the AI label, and the effect of being asked to guess.

The blind condition cannot say whether *believing* a clip is AI changes how it feels: the guess
follows from the feeling (:mod:`results.statistics.emotion`). The labelled condition can, because the label
is assigned by the design: each clip is announced as made by a person or by AI, truly, reversed or
at random in set proportions, independently of its true source (:mod:`experiment.conditions`).

Label effect (labelled participants, main trials)
    ``rating ~ label_ai * is_ai + (1 + label_ai || participant) + (1 | clip)``, a Gaussian linear
    mixed model (REML, :func:`results.mixed.gaussian.fit_gaussian`) with both predictors coded
    -0.5 / +0.5, so that ``label_ai`` is the AI-minus-person label difference averaged over the true
    sources (the causal effect of the label), ``is_ai`` the true-source difference averaged over
    labels, and ``label_ai:is_ai`` how the label effect differs between AI and human clips. The
    label varies within participants, with a random label slope per participant (Barr et al.
    2013); the label and interaction terms are tested on t(participants - 1), the clip-level
    ``is_ai`` on t(clips - 2). Holm's correction runs over the scales for the label term.
Effect of being asked to guess (blind vs rate-only participants, main trials)
    ``rating ~ asked * is_ai + (1 + is_ai || participant) + (1 | clip)`` with ``asked`` (+0.5 blind,
    -0.5 rate-only) between participants: does the source question itself change the ratings?
    ``asked`` and ``asked:is_ai`` are tested on t(participants - 2). Rows without a condition
    (studies before conditions existed) count as blind.

Rate-only and labelled answers carry no source judgement, so the detection statistics and the
emotion analyses of :mod:`results.statistics.emotion` (which need a guess) rest on blind participants only.

Calibration: ``tests/results/test_designs.py`` recovers a planted label effect and
``benchmarks/label_effect_calibration.py`` measures the false-positive rate without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.vocabulary import SCALES, Condition, Source, TrialKind
from results.mixed.gaussian import fit_gaussian
from results.mixed.terms import ModelFitError, RandomFactor
from results.statistics.intervals import holm, wald_table
from results.statistics.models import check_model_data

EFFECT_COLUMNS = ("scale", "term", "estimate", "se", "ci_low", "ci_high", "df", "t", "p_value", "p_holm")
"""Columns of :attr:`DesignEffects.table`; ``p_holm`` is set for the design's own term (label or asked)."""

LABEL_TERMS = ("(Intercept)", "label_ai", "is_ai", "label_ai:is_ai")
ASKED_TERMS = ("(Intercept)", "asked", "is_ai", "asked:is_ai")


@dataclass(frozen=True)
class DesignEffects:
    """One design's model on every scale.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`EFFECT_COLUMNS`, one row per scale and term (intercept left out), in
        scale points: estimates are differences on the rating scale.
    n_participants, n_clips, n_ratings : int
        What the fits rest on (the largest over scales).
    method : str
    """

    table: pd.DataFrame
    n_participants: int
    n_clips: int
    n_ratings: int
    method: str


def _main_rows(df: pd.DataFrame, conditions: Sequence[str]) -> pd.DataFrame:
    """Main trials of participants in ``conditions`` (a missing condition counts as blind)."""
    if df.empty or "condition" not in df.columns:
        return df.iloc[0:0]
    condition = df["condition"].astype("object").where(df["condition"].notna(), Condition.BLIND)
    keep = (df["kind"] == TrialKind.MAIN) & condition.isin(list(conditions))
    out = df.loc[keep].copy()
    out["condition"] = condition[keep]
    return out


def has_label_data(df: pd.DataFrame) -> bool:
    """Whether the table holds rated main trials of labelled participants."""
    rows = _main_rows(df, (Condition.LABELLED,))
    return bool(len(rows) and rows["label_shown"].notna().any())


def has_guess_question_data(df: pd.DataFrame) -> bool:
    """Whether the table holds main trials of both blind and rate-only participants."""
    rows = _main_rows(df, (Condition.BLIND, Condition.RATE_ONLY))
    return bool(len(rows)) and rows["condition"].nunique() == 2


def _fit(
    rated: pd.DataFrame, scale: str, predictor: str, terms: tuple[str, ...], slope: str, dfs: dict[str, float]
) -> list[dict]:
    """Fit ``scale ~ predictor * is_ai + (1 + slope || participant) + (1 | clip)``; rows per term but the intercept."""
    participants = pd.factorize(rated["participant_id"])[0]
    clips = pd.factorize(rated["clip_id"])[0]
    check_model_data(rated, participants, clips, (predictor, "is_ai"))
    x = rated[predictor].to_numpy(dtype=float) - 0.5
    is_ai = rated["is_ai"].to_numpy(dtype=float) - 0.5
    ones = np.ones(len(rated))
    slope_values = x if slope == predictor else is_ai
    fit = fit_gaussian(
        rated[scale].to_numpy(dtype=float),
        np.column_stack([ones, x, is_ai, x * is_ai]),
        list(terms),
        [
            RandomFactor("participant", participants, np.column_stack([ones, slope_values]), ("(Intercept)", slope)),
            RandomFactor("clip", clips, ones[:, None], ("(Intercept)",)),
        ],
    )
    rows = []
    for j, term in enumerate(terms[1:], start=1):
        (row,) = wald_table([term], [fit.fixed[j]], [fit.fixed_se[j]], df=dfs[term])
        rows.append({"scale": scale, **row, "t": row["z"], "df": dfs[term]})
    return rows


def _effects(
    rows_by_scale: dict[str, pd.DataFrame],
    predictor: str,
    terms: tuple[str, ...],
    slope: str,
    df_rule,
    method: str,
) -> DesignEffects:
    """Fit every scale that has ratings; Holm over the scales for ``predictor``."""
    rows: list[dict] = []
    sizes = [(0, 0, 0)]
    for scale, rated in rows_by_scale.items():
        n_p, n_c = rated["participant_id"].nunique(), rated["clip_id"].nunique()
        try:
            rows += _fit(rated, scale, predictor, terms, slope, df_rule(n_p, n_c))
        except ModelFitError:
            continue
        sizes.append((n_p, n_c, len(rated)))
    if not rows:
        raise ModelFitError(f"no scale could be modelled for '{predictor}' (too few participants, clips or ratings)")
    table = pd.DataFrame(rows)
    table["p_holm"] = np.nan
    own = table["term"] == predictor
    if own.any():
        table.loc[own, "p_holm"] = holm(table.loc[own, "p_value"])[1]
    n_p, n_c, n_r = (max(size[i] for size in sizes) for i in range(3))
    return DesignEffects(table[list(EFFECT_COLUMNS)], int(n_p), int(n_c), int(n_r), method)


def _rated(rows: pd.DataFrame, scales: Sequence[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for scale in scales:
        if scale in rows.columns and rows[scale].notna().any():
            rated = rows[rows[scale].notna()].copy()
            rated[scale] = rated[scale].astype("float64")
            out[str(scale)] = rated
    return out


def label_effects(df: pd.DataFrame, scales: Sequence[str] = SCALES) -> DesignEffects:
    """The causal effect of the label (AI vs person) on each scale, with the true source (module docstring).

    Raises
    ------
    ModelFitError
        No labelled data, or no scale could be fitted.
    """
    rows = _main_rows(df, (Condition.LABELLED,))
    rows = rows[rows["label_shown"].notna()].copy()
    if rows.empty:
        raise ModelFitError("no labelled participants in the selected data")
    rows["label_ai"] = rows["label_shown"].eq(Source.AI)
    rows["is_ai"] = rows["is_ai"].astype(bool)
    method = (
        "Effect of the AI label (labelled condition): linear mixed model rating ~ label_ai * is_ai + "
        "(1 + label_ai || participant) + (1 | clip), REML, label and source coded -0.5/+0.5; label_ai is the "
        "AI-minus-person label difference in scale points, a causal effect because labels were assigned "
        "independently of the clip (true, reversed or random). Wald 95% intervals on t(participants - 1) for "
        "label terms, t(clips - 2) for is_ai; Holm over scales for label_ai."
    )
    return _effects(_rated(rows, scales), "label_ai", LABEL_TERMS, "label_ai", _label_dfs, method)


def _label_dfs(n_participants: int, n_clips: int) -> dict[str, float]:
    within = float(max(n_participants - 1, 1))
    return {"label_ai": within, "is_ai": float(max(n_clips - 2, 1)), "label_ai:is_ai": within}


def guess_question_effects(df: pd.DataFrame, scales: Sequence[str] = SCALES) -> DesignEffects:
    """The effect of being asked the source (blind minus rate-only) on each scale (module docstring).

    Raises
    ------
    ModelFitError
        Not both conditions in the data, or no scale could be fitted.
    """
    rows = _main_rows(df, (Condition.BLIND, Condition.RATE_ONLY))
    if rows.empty or rows["condition"].nunique() < 2:
        raise ModelFitError("the selected data lack blind or rate-only participants")
    rows["asked"] = rows["condition"].eq(Condition.BLIND)
    rows["is_ai"] = rows["is_ai"].astype(bool)
    method = (
        "Effect of being asked the source: linear mixed model rating ~ asked * is_ai + (1 + is_ai || participant) "
        "+ (1 | clip), REML, asked = +0.5 blind / -0.5 rate-only (randomised between participants), is_ai "
        "-0.5/+0.5; 'asked' is the blind-minus-rate-only difference in scale points. Wald 95% intervals on "
        "t(participants - 2) for asked terms, t(clips - 2) for is_ai; Holm over scales for asked."
    )
    return _effects(_rated(rows, scales), "asked", ASKED_TERMS, "is_ai", _asked_dfs, method)


def _asked_dfs(n_participants: int, n_clips: int) -> dict[str, float]:
    between = float(max(n_participants - 2, 1))
    return {"asked": between, "is_ai": float(max(n_clips - 2, 1)), "asked:is_ai": between}


def condition_counts(participants: pd.DataFrame) -> pd.DataFrame:
    """Participants, completed ones, per condition (``condition``, ``n_participants``, ``n_completed``)."""
    if participants.empty or "condition" not in participants.columns:
        return pd.DataFrame(columns=["condition", "n_participants", "n_completed"])
    condition = participants["condition"].astype("object").where(participants["condition"].notna(), Condition.BLIND)
    grouped = participants.assign(condition=condition).groupby("condition")
    return pd.DataFrame(
        {"n_participants": grouped.size(), "n_completed": grouped["completed"].sum().astype("int64")}
    ).reset_index()
