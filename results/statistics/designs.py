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
    label varies within participants and within clips, with a random label slope per participant and,
    when enough clips were rated under both labels (:func:`clip_label_support`), per clip
    ``(1 + label_ai || clip)`` (Barr et al. 2013; issue 22): a label that moves some clips and not others
    must not pass for an effect on music in general. The label and interaction terms are then tested on
    their Satterthwaite df; without the clip slope (the reason is stated) on t(participants - 1). The
    clip-level ``is_ai`` is tested on t(clips - 2). Holm's correction runs over the scales for the label term.
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
from results.mixed.satterthwaite import satterthwaite_df
from results.mixed.terms import ModelFitError, RandomFactor
from results.statistics.intervals import holm, wald_table
from results.statistics.models import check_model_data

EFFECT_COLUMNS = ("scale", "term", "estimate", "se", "ci_low", "ci_high", "df", "t", "p_value", "p_holm")
"""Columns of :attr:`DesignEffects.table`; ``p_holm`` is set for the design's own term (label or asked)."""

LABEL_TERMS = ("(Intercept)", "label_ai", "is_ai", "label_ai:is_ai")
MIN_CLIPS_BOTH_LABELS = 10
"""Clips rated at least twice under each label that a by-clip label slope needs (a variance from fewer is noise)."""
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
    structures : tuple of str
        Per scale, the random structure fitted when it differs between scales or needs a reason (the label
        model's by-clip label slope, or why not).
    """

    table: pd.DataFrame
    n_participants: int
    n_clips: int
    n_ratings: int
    method: str
    structures: tuple[str, ...] = ()


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
    rated: pd.DataFrame,
    scale: str,
    predictor: str,
    terms: tuple[str, ...],
    slope: str,
    dfs: dict[str, float],
    clip_slope: bool = False,
) -> list[dict]:
    """Fit ``scale ~ predictor * is_ai + (1 + slope || participant) + (1 | clip)``; rows per term but the intercept.

    With ``clip_slope`` the clip term is ``(1 + predictor || clip)`` and the ``predictor`` terms are tested on
    their Satterthwaite df (:mod:`results.mixed.satterthwaite`; the clips' share of their variance then counts).

    Raises
    ------
    ModelFitError
        On degenerate data, or (``clip_slope``) when the Satterthwaite df cannot be computed (a variance at 0).
    """
    participants = pd.factorize(rated["participant_id"])[0]
    clips = pd.factorize(rated["clip_id"])[0]
    check_model_data(rated, participants, clips, (predictor, "is_ai"))
    x = rated[predictor].to_numpy(dtype=float) - 0.5
    is_ai = rated["is_ai"].to_numpy(dtype=float) - 0.5
    ones = np.ones(len(rated))
    slope_values = x if slope == predictor else is_ai
    y, X = rated[scale].to_numpy(dtype=float), np.column_stack([ones, x, is_ai, x * is_ai])
    clip_columns = (
        (np.column_stack([ones, x]), ("(Intercept)", predictor)) if clip_slope else (ones[:, None], ("(Intercept)",))
    )
    factors = [
        RandomFactor("participant", participants, np.column_stack([ones, slope_values]), ("(Intercept)", slope)),
        RandomFactor("clip", clips, *clip_columns),
    ]
    fit = fit_gaussian(y, X, list(terms), factors)
    if clip_slope:
        dfs = dict(dfs)
        for term in (predictor, f"{predictor}:is_ai"):
            df = satterthwaite_df(y, X, factors, fit, term)
            if not df > 0:
                raise ModelFitError(f"no Satterthwaite df for {term} (a variance estimated at its boundary)")
            dfs[term] = df
    rows = []
    for j, term in enumerate(terms[1:], start=1):
        (row,) = wald_table([term], [fit.fixed[j]], [fit.fixed_se[j]], df=dfs[term])
        rows.append({"scale": scale, **row, "t": row["z"], "df": dfs[term]})
    return rows


def clip_label_support(rated: pd.DataFrame) -> str | None:
    """Why the data cannot carry a by-clip label slope, or None when they can.

    A clip's own label effect needs the clip rated under both labels, more than once each, and enough such
    clips for a variance: at least :data:`MIN_CLIPS_BOTH_LABELS` of them.
    """
    counts = rated.groupby(["clip_id", "label_ai"]).size().unstack(fill_value=0)
    both = int(((counts.get(True, 0) >= 2) & (counts.get(False, 0) >= 2)).sum()) if len(counts) else 0
    if both < MIN_CLIPS_BOTH_LABELS:
        return (
            f"only {both} clips were rated at least twice under each label (a by-clip label slope needs "
            f"{MIN_CLIPS_BOTH_LABELS})"
        )
    return None


def _label_fit(rated: pd.DataFrame, scale: str) -> tuple[list[dict], str]:
    """The label model of one scale with a by-clip label slope when the data support it; rows and a note.

    The note names the clip term used and, without the slope, why (too few clips under both labels, or a
    fit whose clip slope variance sits at 0 so that its Satterthwaite df do not exist).
    """
    n_p, n_c = rated["participant_id"].nunique(), rated["clip_id"].nunique()
    dfs = _label_dfs(n_p, n_c)
    reason = clip_label_support(rated)
    if reason is None:
        try:
            rows = _fit(rated, scale, "label_ai", LABEL_TERMS, "label_ai", dfs, clip_slope=True)
            return rows, f"{scale}: (1 + label_ai || clip), label terms on Satterthwaite df"
        except ModelFitError as error:
            reason = str(error)
    rows = _fit(rated, scale, "label_ai", LABEL_TERMS, "label_ai", dfs)
    return rows, f"{scale}: (1 | clip) without a by-clip label slope ({reason}), label terms on t(participants - 1)"


def _effects(rows_by_scale: dict[str, pd.DataFrame], predictor: str, fit_scale, method: str) -> DesignEffects:
    """Fit every scale that has ratings (``fit_scale(rated, scale)`` -> rows, note); Holm over the scales for
    ``predictor``."""
    rows: list[dict] = []
    notes: list[str] = []
    sizes = [(0, 0, 0)]
    for scale, rated in rows_by_scale.items():
        n_p, n_c = rated["participant_id"].nunique(), rated["clip_id"].nunique()
        try:
            scale_rows, note = fit_scale(rated, scale)
        except ModelFitError:
            continue
        rows += scale_rows
        notes += [note] if note else []
        sizes.append((n_p, n_c, len(rated)))
    if not rows:
        raise ModelFitError(f"no scale could be modelled for '{predictor}' (too few participants, clips or ratings)")
    table = pd.DataFrame(rows)
    table["p_holm"] = np.nan
    own = table["term"] == predictor
    if own.any():
        table.loc[own, "p_holm"] = holm(table.loc[own, "p_value"])[1]
    n_p, n_c, n_r = (max(size[i] for size in sizes) for i in range(3))
    return DesignEffects(table[list(EFFECT_COLUMNS)], int(n_p), int(n_c), int(n_r), method, tuple(notes))


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
        "(1 + label_ai || participant) + (1 + label_ai || clip), REML, label and source coded -0.5/+0.5; "
        "label_ai is the AI-minus-person label difference in scale points, a causal effect because labels "
        "were assigned independently of the clip (true, reversed or random), generalising over participants "
        "and clips (each clip may answer to the label differently). Wald 95% intervals on Satterthwaite df for "
        "the label terms (without the by-clip label slope, where the data do not support it: (1 | clip) and "
        "t(participants - 1), the reason per scale below), t(clips - 2) for is_ai; Holm over scales for label_ai."
    )
    return _effects(_rated(rows, scales), "label_ai", _label_fit, method)


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

    def fit_scale(rated: pd.DataFrame, scale: str) -> tuple[list[dict], str]:
        dfs = _asked_dfs(rated["participant_id"].nunique(), rated["clip_id"].nunique())
        return _fit(rated, scale, "asked", ASKED_TERMS, "is_ai", dfs), ""

    return _effects(_rated(rows, scales), "asked", fit_scale, method)


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
