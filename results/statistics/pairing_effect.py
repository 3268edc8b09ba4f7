"""Similar versus random pairs: paired (2AFC) detection per pairing type and the difference (issue 26).

A paired study can randomise how its pairs are made (:mod:`experiment.pairing_design`): "similar"
pairs join an AI clip to the human clip nearest to it in the served clips' features
(:mod:`audio.pairing`), "random" pairs join them at random. Figueiredo et al. (2025) found listeners
near chance with random pairs and well above it with similar ones; this module reports:

* per pairing type: :func:`results.statistics.paired_detection.paired_detection` on that type's
  pairs alone (d' with its interval over participants and clips);
* the difference: a probit GLMM on "chose the AI clip" over all pairs with an intercept, the centred
  order term, a centred pairing term (+0.5 similar, -0.5 random) and the crossed random intercepts
  of the paired model (participant, AI clip, human clip), so the difference in d'
  (similar - random) is ``sqrt(2)`` times the pairing coefficient. Its likelihood-ratio test and
  profile interval are referred to ``F(1, df)`` with ``df`` the smaller of the clip df of the paired
  model (Welch-Satterthwaite over the two clip variances) and participants - 2 (between
  participants, the participants are the units the difference is measured on).

The interval generalises over participants and clips in the sense of the paired model: both enter
as random intercepts; a pairing effect that itself varies between participants or clips (random
slopes) is not modelled. ``benchmarks/pairing_effect_calibration.py`` measures false positives and
coverage of the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from results.mixed.inference import SEPARATION_PROBIT, fit_with_fallback, profile_term
from results.mixed.terms import ModelFitError
from results.statistics.paired_detection import (
    SQRT2,
    PairedDetection,
    clip_df,
    pair_choices,
    paired_design,
    paired_detection,
    why_not_estimable,
)

PAIRING_TYPES = ("similar", "random")
"""The pairing types, in the order reports show them."""

METHODS = (
    "Similar versus random pairs: paired d' per pairing type (the paired model on that type's pairs), and the "
    "difference (similar - random) as sqrt(2) times the pairing coefficient of one probit GLMM over all pairs "
    "(centred order and pairing terms; crossed random intercepts for participants, the AI clip and the human "
    "clip); likelihood-ratio test and profile-likelihood 95% interval on F(1, df), df the smaller of the "
    "clips' Welch-Satterthwaite df and participants - 2."
)


@dataclass(frozen=True)
class PairingEffect:
    """Detection by pairing type and the difference (:func:`pairing_effect`).

    Attributes
    ----------
    by_type : dict
        Pairing type ("similar", "random") -> its :class:`PairedDetection`.
    difference, ci_low, ci_high : float
        d'(similar) - d'(random) and its 95 % profile interval (nan when not estimable).
    p_value : float
        Likelihood-ratio test of no difference on ``F(1, df)``.
    df : float
    n_participants, n_pairs : int
    fit_status, not_estimable : str
        How the model was fitted; why the difference was not estimated ("" when it was).
    """

    by_type: dict[str, PairedDetection] = field(default_factory=dict)
    difference: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    df: float = math.nan
    n_participants: int = 0
    n_pairs: int = 0
    fit_status: str = ""
    not_estimable: str = ""
    methods: str = METHODS


def _rows_of_type(df: pd.DataFrame, pairing: str) -> pd.DataFrame:
    return df[df["pairing"] == pairing]


def pairing_effect(df: pd.DataFrame) -> PairingEffect | None:
    """Detection per pairing type and the difference; None unless the table holds both types of pair."""
    if "pairing" not in df.columns:
        return None
    pairs = pair_choices(df)
    if pairs.empty or "pairing" not in pairs.columns or set(pairs["pairing"].dropna()) != set(PAIRING_TYPES):
        return None
    by_type = {kind: paired_detection(_rows_of_type(df, kind)) for kind in PAIRING_TYPES}
    base = PairingEffect(
        by_type={k: v for k, v in by_type.items() if v is not None},
        n_participants=int(pairs["participant_id"].nunique()),
        n_pairs=len(pairs),
    )
    return pairing_difference(pairs, base)


def pairing_difference(pairs: pd.DataFrame, base: PairingEffect | None = None) -> PairingEffect:
    """The difference d'(similar) - d'(random) alone: the joint model's pairing coefficient (module docstring).

    ``pairs`` is :func:`~results.statistics.paired_detection.pair_choices` output with its
    ``pairing`` column; ``base`` carries the per-type results to keep (:func:`pairing_effect`).
    """
    if base is None:
        base = PairingEffect(n_participants=int(pairs["participant_id"].nunique()), n_pairs=len(pairs))
    reason = why_not_estimable(pairs)
    if reason:
        return replace(base, fit_status="not fitted", not_estimable=reason)
    y, X, names, structures = paired_design(pairs)
    similar = (pairs["pairing"] == "similar").to_numpy(dtype=float)[:, None] - 0.5
    X, names = np.column_stack([X, similar]), [*names, "pairing_similar"]
    try:
        structure = fit_with_fallback(y, X, names, structures)
    except ModelFitError as error:
        return replace(base, fit_status=str(error), not_estimable=f"the model could not be fitted: {error}")
    df = float(min(clip_df(structure, pairs), max(base.n_participants - 2, 1)))
    term = profile_term(y, X, names, structure, "pairing_similar", df=df)
    status = f"{structure.label}: {structure.status}"
    ends = np.array([term.estimate, term.ci_low, term.ci_high])
    if structure.fit.separated or not np.all(np.isfinite(ends)) or abs(term.estimate) > SEPARATION_PROBIT:
        return replace(base, fit_status=status, not_estimable="the answers are (nearly) separated")
    return replace(
        base,
        difference=SQRT2 * term.estimate,
        ci_low=SQRT2 * term.ci_low,
        ci_high=SQRT2 * term.ci_high,
        p_value=term.p_value,
        df=df,
        fit_status=status,
    )


def pairing_table(effect: PairingEffect) -> pd.DataFrame:
    """One row per pairing type and one for the difference: pairs, proportion correct, d', interval, p."""
    rows = []
    for kind, result in effect.by_type.items():
        rows.append(
            {
                "pairing": kind,
                "pairs": result.n_pairs,
                "proportion_correct": result.pc,
                "dprime": result.dprime,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "p_value": result.p_value,
                "not_estimable": result.not_estimable,
            }
        )
    rows.append(
        {
            "pairing": "similar - random",
            "pairs": effect.n_pairs,
            "proportion_correct": math.nan,
            "dprime": effect.difference,
            "ci_low": effect.ci_low,
            "ci_high": effect.ci_high,
            "p_value": effect.p_value,
            "not_estimable": effect.not_estimable,
        }
    )
    return pd.DataFrame(rows)
