"""Paired (2AFC) detection: proportion correct and d' = sqrt(2) z(pc), per participant and over participants and clips.

In a paired trial the listener hears a human and an AI clip and says which one was AI. The
trial table holds it as two rows (one per clip) with the one choice on both
(:data:`results.data.codebook_columns.PAIR_COLUMNS`); here each pair counts once (its position-1 row).

Per participant: proportion correct and d' = sqrt(2) z(pc) with the log-linear correction
(:func:`experiment.paired.dprime_2afc_from_counts`; Macmillan & Creelman 2005, ch. 7).

Headline: a probit GLMM on "chose the AI clip" with an intercept, a centred order term (AI clip
first or second: a bias towards naming one position) and crossed random intercepts for
participants, for the AI clip and for the human clip of the pair: P(correct) = Phi(mu) for a
typical participant and typical clips, so d' = sqrt(2) mu (the same yes/no d' scale as
:func:`results.statistics.models.detection_mixed_model`). Clips are the sample to generalise over:
when pairs are drawn at random from the library, two pairs that share a clip are not independent,
and a model with one random intercept per pair (tested on pairs - 1 df) called 45-49 % of null
studies "detection" at clip SD 1 (issue 22). When the pairs are fixed (every AI clip always heard
with the same human clip) the two clip effects cannot be told apart, and one random intercept per
pair is the same model.

The likelihood-ratio test against 0 (chance, pc = 0.5) and the profile-likelihood interval come
from :func:`results.mixed.inference.profile_term`, referred to ``F(1, df)`` with the clip-level
degrees of freedom: the intercept is a difference between the AI and the human clips' means, so
``df`` is the Welch-Satterthwaite df of that difference from the two estimated clip variances
(between ``min(J_ai, J_human) - 1`` and ``J_ai + J_human - 2``; the latter, clips minus 2, is what the
single-clip model uses with one clip variance), and ``pairs - 1`` for fixed pairs.
``benchmarks/paired_detection_calibration.py`` measures the calibration.

Below :data:`MIN_CLIPS_PER_SOURCE` clips of a source (fixed pairs: pairs), :data:`MIN_PAIRS` answered
pairs or :data:`MIN_PARTICIPANTS` participants, or when the answers are separated, the d' is "not
estimable" and the reason says why (with two pairs an interval of +-42 is no answer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from experiment.paired import dprime_2afc_from_counts
from results.mixed.inference import SEPARATION_PROBIT, FittedStructure, fit_with_fallback, profile_term
from results.mixed.terms import ModelFitError, RandomFactor
from results.statistics.detection import main_trials
from results.statistics.models import detection_mixed_model

SQRT2 = math.sqrt(2.0)
MIN_CLIPS_PER_SOURCE = 5
"""Fewest distinct clips of each source (fixed pairs: fewest pairs) for a d' that generalises over clips."""
MIN_PAIRS = 20
"""Fewest answered pairs for the paired d'."""
MIN_PARTICIPANTS = 3
"""Fewest participants for the paired d'."""
METHODS = (
    "Paired (2AFC) detection: each pair of one human and one AI clip counts once. d' = sqrt(2) z(proportion "
    "correct) (Macmillan & Creelman 2005); headline d' from a probit GLMM on the choice (centred order term for "
    "position bias) with crossed random intercepts for participants, the AI clip and the human clip (one "
    "intercept per pair when the pairs are fixed), likelihood-ratio test against chance and profile-likelihood "
    "95% interval on F(1, df) with df from the clips (Welch-Satterthwaite over the AI and human clip variances; "
    "fixed pairs: pairs - 1), both scaled by sqrt(2). Not estimable below "
    f"{MIN_CLIPS_PER_SOURCE} clips of each source, {MIN_PAIRS} answered pairs or {MIN_PARTICIPANTS} participants."
)


def pair_choices(df: pd.DataFrame) -> pd.DataFrame:
    """One row per answered pair: participant, pair trial, clips, order and whether the AI clip was named.

    Columns ``participant_id``, ``pair_trial``, ``human``, ``ai``, ``stimulus``, ``ai_first``,
    ``correct`` (and ``pairing``, "similar" or "random", when the table has it). ``human`` and ``ai``
    are the clip ids, ``stimulus`` the pair of clips heard together ("human clip
    id-AI clip id"); empty frame when the table holds no paired trials.
    """
    columns = ["participant_id", "pair_trial", "human", "ai", "stimulus", "ai_first", "correct"]
    if "pair_trial" not in df.columns or not df["pair_trial"].notna().any():
        return pd.DataFrame(columns=columns)
    rows = df[df["pair_trial"].notna() & df["pair_correct"].notna()]
    keys = ["participant_id", "pair_trial"]
    human = rows[rows["source"] != "ai"].set_index(keys)["clip_id"].rename("human")
    ai_rows = rows[rows["source"] == "ai"].set_index(keys)
    ai = ai_rows["clip_id"].rename("ai")
    ai_first = ai_rows["pair_position"].eq(1).rename("ai_first")
    first = rows[rows["pair_position"] == 1].set_index(keys)["pair_correct"].rename("correct")
    parts = [human, ai, ai_first, first]
    if "pairing" in rows.columns:  # similar or random pairs (a design factor, issue 26)
        parts.append(rows[rows["pair_position"] == 1].set_index(keys)["pairing"])
        columns = [*columns, "pairing"]
    pairs = pd.concat(parts, axis=1, join="inner").reset_index()
    pairs["stimulus"] = pairs["human"].astype(str) + "-" + pairs["ai"].astype(str)
    pairs["correct"] = pairs["correct"].astype(bool)
    return pairs[columns]


def per_participant_paired(df: pd.DataFrame) -> pd.DataFrame:
    """Per participant: ``n_pairs``, ``n_correct``, ``pc`` (0..1) and ``dprime`` (2AFC, log-linear corrected)."""
    pairs = pair_choices(df)
    if pairs.empty:
        return pd.DataFrame(columns=["participant_id", "n_pairs", "n_correct", "pc", "dprime"])
    grouped = pairs.groupby("participant_id")["correct"].agg(n_pairs="size", n_correct="sum").reset_index()
    grouped["pc"] = grouped["n_correct"] / grouped["n_pairs"]
    grouped["dprime"] = [
        dprime_2afc_from_counts(int(k), int(n)) for k, n in zip(grouped["n_correct"], grouped["n_pairs"], strict=True)
    ]
    return grouped


@dataclass(frozen=True)
class PairedDetection:
    """Headline paired detection (:func:`paired_detection`).

    Attributes
    ----------
    n_participants, n_pairs, n_stimuli : int
        Participants, answered pairs and distinct pairs of clips heard together.
    n_ai_clips, n_human_clips : int
        Distinct AI and human clips in the answered pairs.
    pc : float
        Pooled proportion of pairs answered correctly.
    dprime, ci_low, ci_high : float
        GLMM d' (sqrt(2) times the probit intercept) and its 95 % profile interval (nan when not estimable).
    p_value : float
        Likelihood-ratio test of d' = 0 on ``F(1, df)`` (nan when not estimable).
    df : float
        Denominator degrees of freedom from the clips (module docstring; nan when not estimable).
    fixed_pairs : bool
        Whether every AI clip was always heard with the same human clip (then one intercept per pair).
    fit_status : str
        The random-effects structure fitted and how, or why no model could be fitted.
    not_estimable : str
        Empty when d' was estimated; otherwise why not, for the researcher.
    methods : str
    """

    n_participants: int
    n_pairs: int
    n_stimuli: int
    n_ai_clips: int
    n_human_clips: int
    pc: float
    dprime: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    df: float = math.nan
    fixed_pairs: bool = False
    fit_status: str = ""
    not_estimable: str = ""
    methods: str = METHODS


def has_fixed_pairs(pairs: pd.DataFrame) -> bool:
    """Whether each AI clip is always heard with the same human clip and vice versa (a matched design)."""
    n_stimuli = pairs["stimulus"].nunique()
    return bool(n_stimuli == pairs["ai"].nunique() == pairs["human"].nunique())


def paired_design(
    pairs: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, list[str], list[tuple[str, list[RandomFactor]]]]:
    """Response, fixed design (intercept, centred order) and the random structures to try, richest first.

    Random pairing: ``(1 | participant) + (1 | ai_clip) + (1 | human_clip)``; fixed pairs:
    ``(1 | participant) + (1 | pair)`` (the two clip effects are aliased). Either falls back to
    the clip terms alone; a model without the clips is never fitted, since it would not generalise over them.
    """
    y = pairs["correct"].to_numpy(dtype=float)
    ones = np.ones((len(pairs), 1))
    # The order term (+-0.5, AI first or second) absorbs a bias towards naming the first (or the
    # second) clip; centred, it leaves the intercept the order-averaged sensitivity.
    order = pairs["ai_first"].to_numpy(dtype=float)[:, None] - 0.5
    X, names = np.column_stack([ones, order]), ["(Intercept)", "ai_first"]

    def factor(group: str, column: str) -> RandomFactor:
        return RandomFactor(group, pd.factorize(pairs[column])[0], ones, ("(Intercept)",))

    participant = factor("participant", "participant_id")
    if has_fixed_pairs(pairs):
        clips, label = [factor("pair", "stimulus")], "(1 | pair)"
    else:
        clips, label = [factor("ai_clip", "ai"), factor("human_clip", "human")], "(1 | ai_clip) + (1 | human_clip)"
    return y, X, names, [(f"(1 | participant) + {label}", [participant, *clips]), (label, clips)]


def clip_df(structure: FittedStructure, pairs: pd.DataFrame) -> float:
    """Denominator df of the intercept from the clips (module docstring), at least 1.

    Welch-Satterthwaite over the AI and human clip variances: each source's clip means contribute
    ``sd**2 / J`` to the intercept's variance with ``J - 1`` df; with both SDs at 0 the pooled
    ``J_ai + J_human - 2``. Fixed pairs: ``pairs - 1``.
    """
    sd = {c["group"]: c["sd"] for c in structure.fit.random_sd}
    if "pair" in sd:
        return float(max(pairs["stimulus"].nunique() - 1, 1))
    n_ai, n_human = pairs["ai"].nunique(), pairs["human"].nunique()
    parts = [(sd.get("ai_clip", 0.0) ** 2 / n_ai, n_ai - 1), (sd.get("human_clip", 0.0) ** 2 / n_human, n_human - 1)]
    total = sum(v for v, _ in parts)
    if total <= 0:
        return float(max(n_ai + n_human - 2, 1))
    return float(max(total**2 / sum(v**2 / d for v, d in parts if d > 0), 1.0))


def why_not_estimable(pairs: pd.DataFrame) -> str:
    """Why the paired d' cannot be estimated from ``pairs`` before any fit ("" when it can be tried)."""
    n_ai, n_human, n_pairs = pairs["ai"].nunique(), pairs["human"].nunique(), len(pairs)
    n_participants = pairs["participant_id"].nunique()
    if has_fixed_pairs(pairs) and pairs["stimulus"].nunique() < MIN_CLIPS_PER_SOURCE:
        return (
            f"only {pairs['stimulus'].nunique()} fixed pairs of clips; a d' that generalises over clips "
            f"needs at least {MIN_CLIPS_PER_SOURCE}"
        )
    if min(n_ai, n_human) < MIN_CLIPS_PER_SOURCE:
        return (
            f"only {n_ai} AI and {n_human} human clips in the answered pairs; a d' that generalises over clips "
            f"needs at least {MIN_CLIPS_PER_SOURCE} of each"
        )
    if n_pairs < MIN_PAIRS:
        return f"only {n_pairs} answered pairs; the paired d' needs at least {MIN_PAIRS}"
    if n_participants < MIN_PARTICIPANTS:
        return f"only {n_participants} participant(s); the paired d' needs at least {MIN_PARTICIPANTS}"
    if pairs["correct"].nunique() < 2:
        every = "correctly" if bool(pairs["correct"].iloc[0]) else "wrongly"
        return f"every pair was answered {every}: the estimate would be infinite"
    return ""


def paired_detection(df: pd.DataFrame) -> PairedDetection | None:
    """d' of the paired trials with an interval over participants and clips; None without paired data.

    Not estimable (``not_estimable`` says why, the numbers are nan) below the stated minimum of
    clips, pairs and participants (:func:`why_not_estimable`), when no model can be fitted, or when
    the answers are (nearly) separated.
    """
    pairs = pair_choices(df)
    if pairs.empty:
        return None
    fixed = has_fixed_pairs(pairs)
    counts = PairedDetection(
        n_participants=int(pairs["participant_id"].nunique()),
        n_pairs=len(pairs),
        n_stimuli=int(pairs["stimulus"].nunique()),
        n_ai_clips=int(pairs["ai"].nunique()),
        n_human_clips=int(pairs["human"].nunique()),
        pc=float(pairs["correct"].mean()),
        fixed_pairs=fixed,
    )
    reason = why_not_estimable(pairs)
    if reason:
        return replace(counts, fit_status="not fitted", not_estimable=reason)
    y, X, names, structures = paired_design(pairs)
    try:
        structure = fit_with_fallback(y, X, names, structures)
    except ModelFitError as error:
        return replace(counts, fit_status=str(error), not_estimable=f"the model could not be fitted: {error}")
    status = f"{structure.label}: {structure.status}"
    df_clips = clip_df(structure, pairs)
    term = profile_term(y, X, names, structure, "(Intercept)", df=df_clips)
    ends = np.array([term.estimate, term.ci_low, term.ci_high])
    if structure.fit.separated or not np.all(np.isfinite(ends)) or abs(term.estimate) > SEPARATION_PROBIT:
        return replace(counts, fit_status=status, not_estimable="the answers are (nearly) separated: d' is unbounded")
    return replace(
        counts,
        dprime=SQRT2 * term.estimate,
        ci_low=SQRT2 * term.ci_low,
        ci_high=SQRT2 * term.ci_high,
        p_value=term.p_value,
        df=df_clips,
        fit_status=status,
    )


SIDE_BY_SIDE_COLUMNS = (
    "design",
    "participants",
    "answers",
    "proportion_correct",
    "dprime",
    "ci_low",
    "ci_high",
    "p_value",
    "not_estimable",
)


def has_paired_data(df: pd.DataFrame) -> bool:
    """Whether the table holds answered paired trials."""
    return "pair_choice" in df.columns and bool(df["pair_choice"].notna().any())


def detection_side_by_side(df: pd.DataFrame) -> pd.DataFrame:
    """Single-clip and paired detection in one table (columns :data:`SIDE_BY_SIDE_COLUMNS`, d' on one scale).

    Single clips: the probit GLMM d' of :func:`results.statistics.models.detection_mixed_model` (yes/no
    answers of blind participants; ``answers`` = rated clips). Paired: :func:`paired_detection`
    (``answers`` = pairs). A design whose d' cannot be estimated shows nan and says why in ``not_estimable``
    ("" otherwise).
    """
    rows = []
    single = main_trials(df) if "guessed_ai" in df.columns else df.iloc[0:0]
    if len(single):
        pc = float((single["guessed_ai"] == single["is_ai"]).mean())
        base = {
            "design": "single clips (yes/no)",
            "participants": single["participant_id"].nunique(),
            "answers": len(single),
            "proportion_correct": pc,
        }
        try:
            d = detection_mixed_model(df).d_prime
            estimates = {"dprime": d.estimate, "ci_low": d.ci_low, "ci_high": d.ci_high, "p_value": d.p_value}
            rows.append({**base, **estimates, "not_estimable": ""})
        except ModelFitError as error:
            missing = dict.fromkeys(("dprime", "ci_low", "ci_high", "p_value"), math.nan)
            rows.append({**base, **missing, "not_estimable": str(error)})
    paired = paired_detection(df)
    if paired is not None:
        rows.append(
            {
                "design": "paired (2AFC)",
                "participants": paired.n_participants,
                "answers": paired.n_pairs,
                "proportion_correct": paired.pc,
                "dprime": paired.dprime,
                "ci_low": paired.ci_low,
                "ci_high": paired.ci_high,
                "p_value": paired.p_value,
                "not_estimable": paired.not_estimable,
            }
        )
    return pd.DataFrame(rows, columns=list(SIDE_BY_SIDE_COLUMNS))
