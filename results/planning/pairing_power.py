"""Plan a similar-versus-random paired study: power to show a planted difference in d' (issue 26).

A paired study that randomises the pairing type (:mod:`experiment.pairing_design`, within or between
participants) asks whether listeners tell AI from human clips better in similar pairs than in random
ones. The analysis (:func:`results.statistics.pairing_effect.pairing_difference`) is a probit GLMM
whose difference d'(similar) - d'(random) generalises over participants and clips.

Generating model: :func:`results.planning.paired_simulate.simulate_paired_study`: a library of
``n_clips`` clips (half AI) with "AI-soundingness" N(0, ``clip_sd``); participant ``p`` has its
own d' ~ N(``d_prime``, ``participant_sd``) and a position bias N(0, ``participant_sd``); similar
pairs are answered with ``d' + pairing_effect / 2``, random ones with ``d' - pairing_effect / 2``.
Each simulated world draws its largest study once; a smaller study is its first N participants
(common random numbers: the curve rises with N up to Monte Carlo error; between participants the
simulator alternates the types, so every prefix is balanced).

Two analyses, as in :mod:`results.planning.power`
-------------------------------------------------
"fast"  (default) no model fit: the pooled probit difference ``sqrt(2) (z(pc_similar) - z(pc_random))``
        with a multiway cluster-robust standard error over participants, AI clips and human clips
        (Cameron, Gelbach & Miller 2011: ``V_participant + V_ai + V_human - V_clip pair - V_pair``,
        each pair being one participant's answer) on ``t(df)``, ``df`` the smallest of participants,
        AI clips and human clips, minus 2. Milliseconds per study.
"full"  the report's GLMM itself: 1-4 s per study on this machine (load 9), so a curve of 5 sizes x
        100 worlds takes many minutes; use it to check a size chosen with "fast".

Power is the share of simulated studies whose test rejects no difference (two-sided, ``alpha``) with
the planted sign.

Measured (fast, 200 worlds a cell, seed 3, 40 clips, 8 pairs, clip SD 0.5, mean d' 0.5; load 10):

    design   difference   n=20    n=40    n=80      (share shown with the planted sign, MC SE ~3.5 %)
    within   0            3.0 %   3.0 %   3.5 %     (one side of a two-sided 5 % test: 2.5 % expected)
    between  0            3.5 %   3.0 %   3.5 %
    within   0.6          37.5 %  59.5 %  87.5 %    (the GLMM at n=40: 69.0 ± 3.3 %, benchmark)
    between  0.6          38.5 %  67.0 %  89.5 %

So the fast power is a somewhat conservative guide to the report's GLMM.
``benchmarks/pairing_effect_calibration.py`` measures the GLMM's false positives and coverage;
``tests/results/test_pairing_power.py`` checks the fast test's false-positive rate and that its power
is near the GLMM's measured power.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from results.planning.paired_simulate import simulate_paired_study
from results.statistics.paired_detection import pair_choices
from results.statistics.pairing_effect import pairing_difference

PAIRING_PLAN_DESIGNS: tuple[str, ...] = ("within", "between")
DEFAULT_PAIRING_SIZES: tuple[int, ...] = (20, 40, 60, 80, 120, 160)


@dataclass(frozen=True)
class PairingPlan:
    """A similar-versus-random paired design and the difference to plan for.

    Attributes
    ----------
    n_clips : int
        Clips in the library (half human, half AI; each AI clip has one similar human clip).
    n_pairs : int
        Pairs per participant (main trials / 2).
    pairing_effect : float
        Planted d'(similar) - d'(random), the GLMM's difference.
    design : {"within", "between"}
        Pairing type within participants (half of each one's pairs) or between (each one all of a type).
    d_prime, participant_sd, clip_sd : float
        Mean d' between the two types; SD of participants' d' (and position bias); clip SD (probit).
    alpha : float
    """

    n_clips: int = 40
    n_pairs: int = 8
    pairing_effect: float = 0.6
    design: str = "within"
    d_prime: float = 0.5
    participant_sd: float = 0.3
    clip_sd: float = 0.5
    alpha: float = 0.05

    def problems(self) -> list[str]:
        """Every reason this plan cannot be simulated (empty when it can)."""
        out = []
        if self.design not in PAIRING_PLAN_DESIGNS:
            out.append(f"the pairing design must be one of {list(PAIRING_PLAN_DESIGNS)}, got {self.design!r}")
        if self.design == "within" and self.n_pairs < 4:
            out.append("similar and random pairs within participants need at least 4 pairs per participant")
        if self.n_pairs < 2 or 2 * self.n_pairs > self.n_clips:
            out.append(f"pairs per participant ({self.n_pairs}) must be at least 2 and at most half the clips")
        if min(self.participant_sd, self.clip_sd) < 0:
            out.append("standard deviations must not be negative")
        if not 0 < self.alpha < 0.5:
            out.append(f"alpha must be between 0 and 0.5, got {self.alpha}")
        return out


def _cluster_ss(psi: np.ndarray, codes: np.ndarray) -> float:
    """``G / (G - 1)`` times the sum over clusters of the squared cluster sums of ``psi``."""
    _, index = np.unique(codes, return_inverse=True)
    sums = np.bincount(index, weights=psi)
    groups = sums.size
    return groups / max(groups - 1, 1) * float((sums**2).sum())


def fast_pairing_test(pairs: pd.DataFrame) -> tuple[float, float, float]:
    """The fast difference d'(similar) - d'(random), its two-sided p and df (module docstring).

    ``pairs`` is :func:`~results.statistics.paired_detection.pair_choices` output with ``pairing``.
    Proportions correct are log-linear corrected ((k + 0.5) / (n + 1)) so that z stays finite.
    """
    similar = pairs["pairing"].eq("similar").to_numpy()
    correct = pairs["correct"].to_numpy(dtype=float)
    n_s, n_r = int(similar.sum()), int((~similar).sum())
    if min(n_s, n_r) == 0:
        return math.nan, math.nan, math.nan
    pc_s = (correct[similar].sum() + 0.5) / (n_s + 1)
    pc_r = (correct[~similar].sum() + 0.5) / (n_r + 1)
    z_s, z_r = stats.norm.ppf(pc_s), stats.norm.ppf(pc_r)
    estimate = math.sqrt(2) * (z_s - z_r)
    psi = math.sqrt(2) * np.where(
        similar, (correct - pc_s) / (stats.norm.pdf(z_s) * n_s), -(correct - pc_r) / (stats.norm.pdf(z_r) * n_r)
    )
    one = np.arange(psi.size)
    variance = (
        _cluster_ss(psi, pairs["participant_id"].to_numpy())
        + _cluster_ss(psi, pairs["ai"].to_numpy())
        + _cluster_ss(psi, pairs["human"].to_numpy())
        - _cluster_ss(psi, pairs["stimulus"].to_numpy())
        - _cluster_ss(psi, one)
    )
    if variance <= 0:  # the multiway estimator is not guaranteed positive: the largest one-way variance
        variance = max(_cluster_ss(psi, pairs[c].to_numpy()) for c in ("participant_id", "ai", "human"))
    units = min(pairs["participant_id"].nunique(), pairs["ai"].nunique(), pairs["human"].nunique())
    df = float(max(units - 2, 1))
    p_value = float(2 * stats.t.sf(abs(estimate) / math.sqrt(variance), df))
    return float(estimate), p_value, df


def _study_outcome(pairs: pd.DataFrame, plan: PairingPlan, method: str) -> dict[str, float]:
    """One simulated study's estimate and whether it showed the planted difference (its sign)."""
    if method == "full":
        result = pairing_difference(pairs)
        estimate, p_value = result.difference, result.p_value
    else:
        estimate, p_value, _ = fast_pairing_test(pairs)
    if not math.isfinite(p_value):
        return {"estimate": math.nan, "shown": 0.0, "failed": 1.0}
    sign = 1.0 if plan.pairing_effect >= 0 else -1.0
    return {"estimate": estimate, "shown": float(p_value < plan.alpha and sign * estimate > 0), "failed": 0.0}


def pairing_power_curve(
    plan: PairingPlan,
    sizes: Sequence[int] = DEFAULT_PAIRING_SIZES,
    n_worlds: int = 200,
    *,
    method: str = "fast",
    seed: int = 1,
    progress: Callable[[int, int], object] | None = None,
) -> pd.DataFrame:
    """Power to show ``plan.pairing_effect`` at each sample size (participants), by simulation.

    Returns
    -------
    pandas.DataFrame
        One row per size: ``n_participants``, ``power`` (share of worlds showing the difference with
        its planted sign), ``mc_se`` (its Monte Carlo SE), ``mean_estimate`` (of the difference; the
        fast one is the pooled, marginal difference, smaller than the GLMM's conditional one),
        ``failed`` (studies without an estimate) and ``n_worlds``.
    """
    if plan.problems():
        raise ValueError("; ".join(plan.problems()))
    rng = np.random.default_rng(seed)
    largest, rows = max(sizes), []
    for world in range(n_worlds):
        table = simulate_paired_study(
            largest,
            plan.n_pairs,
            d_prime=plan.d_prime,
            clip_sd=plan.clip_sd,
            n_clips=plan.n_clips,
            pairing=plan.design,
            participant_sd=plan.participant_sd,
            seed=rng,
            pairing_effect=plan.pairing_effect,
        )
        pairs = pair_choices(table)
        for size in sizes:
            outcome = _study_outcome(pairs[pairs["participant_id"] < size], plan, method)
            rows.append({"n_participants": size, **outcome})
        if progress is not None:
            progress(world + 1, n_worlds)
    outcomes = pd.DataFrame(rows)
    curve = outcomes.groupby("n_participants").agg(
        power=("shown", "mean"), mean_estimate=("estimate", "mean"), failed=("failed", "sum")
    )
    curve["mc_se"] = np.sqrt(curve["power"] * (1 - curve["power"]) / n_worlds)
    curve["n_worlds"] = n_worlds
    return curve.reset_index()[["n_participants", "power", "mc_se", "mean_estimate", "failed", "n_worlds"]]


def pairing_plan_sentence(plan: PairingPlan, curve: pd.DataFrame, target: float = 0.8) -> str:
    """The smallest simulated size reaching ``target`` power, in words (or that none did)."""
    reached = curve[curve["power"] >= target]
    what = (
        f"a d′ difference (similar − random) of {plan.pairing_effect:g}, pairing {plan.design} participants, "
        f"{plan.n_pairs} pairs each from {plan.n_clips} clips"
    )
    if reached.empty:
        best = curve.iloc[-1]
        return (
            f"None of the simulated sizes reaches {100 * target:.0f} % power to show {what}: "
            f"{100 * best['power']:.0f} % at {int(best['n_participants'])} participants. Plan more participants, "
            "more pairs each, or (between participants) pair within participants."
        )
    row = reached.iloc[0]
    return (
        f"{int(row['n_participants'])} participants give {100 * row['power']:.0f} % power "
        f"(± {100 * row['mc_se']:.0f} % Monte Carlo SE) to show {what}, generalising over participants and clips."
    )
