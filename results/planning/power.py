"""Plan a study: power of the headline detection test, and of the equivalence test, by simulation.

For a design (participants x clips x trials per participant, expected d', how much d' varies
between participants, how much clips differ in "AI-soundingness", alpha, the d' equivalence margin)
many worlds are simulated (:mod:`results.planning.crn`: a clip library and a pool of listeners), the
study of each sample size N is a world's first N listeners (common random numbers: the curve rises
with N up to Monte Carlo error), and each study is analysed as the headline analysis would. Power is
the share of simulated studies that reach the decision; :mod:`results.planning.sample_size` reads the
smallest N reaching a target off the curve, with its Monte Carlo interval.

Generating model: participant ``p`` has ``d'_p ~ N(d', participant_sd)`` and criterion
``c_p ~ N(0, criterion_sd)``; clip ``j`` shifts the evidence by ``clip_sd * z_j`` whatever its
source (``cue_weight`` of the simulator). These are exactly the random effects of the headline
GLMM ``guessed_ai ~ is_ai + (1 + is_ai || participant) + (1 | clip)``, whose ``is_ai``
coefficient is the d' planned for.

Two analyses
------------
"full"  the headline analysis itself (:func:`results.statistics.headline.headline_detection`): the GLMM with
        its fallbacks, likelihood-ratio test and profile intervals of d' on F(1, clips - 2), and the
        two-way cluster-robust accuracy test. About 1 s per study, so 1,000 studies take some
        minutes on two cores.
"fast"  (default, for planning) no model fit: the pooled probit d' with a two-way (participant x
        clip) cluster-robust standard error on t(clips - 2), the inference the headline accuracy
        uses, and the same accuracy test; milliseconds per study. The GLMM cannot be used here:
        one fit costs 0.2-0.8 s on this machine, so 10 sizes x 100 studies would take 2-7 minutes
        on two cores (``benchmarks/plan_speed.py`` prints both timings and the two methods' power
        side by side). With no random variation the fast d' test is the normal test of
        ``z(H) - z(F)`` whose power :func:`analytic_dprime_power` computes; ``tests/results/test_power.py``
        checks the planner against it. A whole curve (10 sizes x 100 worlds) takes a few seconds in
        one process, less than starting worker processes would. With estimated variance components the GLMM's d' test is
        somewhat more conservative than the fast one, so treat the fast power as an upper guide
        and check the chosen size with ``method="full"``.

Verdicts (at ``alpha``, :func:`results.statistics.equivalence.verdict`): detection when the d' test
rejects chance with d' > 0, reversed detection with d' < 0, otherwise equivalent to chance when the
TOST puts d' within ``+- d_prime_margin``, else inconclusive. The accuracy test's power is reported
beside, for information.

Equivalence needs clips
-----------------------
Plan for equivalence as well as for detection: a study that cannot reach "equivalent" can only ever say
"inconclusive" when listeners cannot tell. The clip sample's spread stays in the standard error of d'
however many people listen (``2 * clip_sd / sqrt(clips)`` on the GLMM's scale), so below
:func:`equivalence_floor` no number of participants reaches the margin, and :func:`clips_for_equivalence`
says how many clips would; :func:`smallest_size` reads the N that reaches a power off a curve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from core.processes import spawn_pool
from results.mixed.terms import ModelFitError
from results.planning.crn import draw_world
from results.planning.simulate import simulate_study
from results.statistics.cluster_variance import ClusteredEstimate, two_way_variance
from results.statistics.detection import main_trials
from results.statistics.equivalence import (
    DEFAULT_D_PRIME_MARGIN,
    DETECTION,
    EQUIVALENT,
    REVERSED,
    detection_decision,
    marginal_scale,
    margins_at,
    tost,
    verdict,
)

METHODS = ("fast", "full")
DEFAULT_SIZES: tuple[int, ...] = (20, 40, 60, 80, 100, 120, 140, 160, 180, 200)


@dataclass(frozen=True)
class PlanDesign:
    """A study design and the effect to plan for.

    Attributes
    ----------
    n_clips : int
        Clips in the library (half human, half AI).
    n_trials : int
        Main trials per participant (even; distinct clips, half of each source).
    d_prime : float
        Expected d' of a typical participant on a typical clip (the GLMM's ``is_ai`` coefficient).
    participant_sd : float
        SD of d' between participants (probit units).
    clip_sd : float
        SD of the clips' "AI-soundingness", a shift of the evidence whatever the source (probit units).
    criterion_sd : float
        SD of the criterion c between participants (probit units).
    alpha : float
        Significance level of the detection and equivalence tests.
    d_prime_margin : float
        Equivalence margin: |d'| below it counts as chance level (its accuracy and AUC equivalents at the
        design's SDs: ``margins_at(d_prime_margin, marginal_scale(clip_sd, criterion_sd, participant_sd))``).
    """

    n_clips: int = 40
    n_trials: int = 12
    d_prime: float = 0.5
    participant_sd: float = 0.3
    clip_sd: float = 0.5
    criterion_sd: float = 0.3
    alpha: float = 0.05
    d_prime_margin: float = DEFAULT_D_PRIME_MARGIN

    def problems(self) -> list[str]:
        """Every reason this design cannot be simulated (empty when it can)."""
        out = []
        if self.n_trials < 2 or self.n_trials % 2:
            out.append(f"trials per participant must be even and at least 2, got {self.n_trials}")
        if self.n_clips < max(self.n_trials, 4):
            out.append(f"clips ({self.n_clips}) must be at least 4 and at least the trials per participant")
        if min(self.participant_sd, self.clip_sd, self.criterion_sd) < 0:
            out.append("standard deviations must not be negative")
        if not 0 < self.alpha < 0.5:
            out.append(f"alpha must be between 0 and 0.5, got {self.alpha}")
        if self.d_prime_margin <= 0:
            out.append("the equivalence margin must be positive")
        return out


def simulate_design(design: PlanDesign, n_participants: int, seed: int) -> pd.DataFrame:
    """One simulated study of ``design`` with ``n_participants`` (the tidy trial table)."""
    rng = np.random.default_rng(seed)
    d_prime = design.d_prime + design.participant_sd * rng.standard_normal(n_participants)
    criterion = design.criterion_sd * rng.standard_normal(n_participants)
    return simulate_study(
        n_participants,
        design.n_trials,
        d_prime=d_prime,
        criterion=criterion,
        n_clips=design.n_clips,
        cue_weight=design.clip_sd,
        label_effects={},
        seed=int(rng.integers(2**31)),
    )


def _dprime_fast(
    participant: np.ndarray, clip: np.ndarray, clip_is_ai: np.ndarray, said_ai: np.ndarray, design: PlanDesign
) -> tuple[float, float, float, float]:
    """d' (GLMM scale), its two-way cluster-robust SE, df and two-sided p-value, without a model fit.

    ``participant`` and ``clip`` are codes 0..G-1 per trial (every code present), ``clip_is_ai`` the
    source per clip code, ``said_ai`` the 0/1 answers. The pooled probit d' ``z(H) - z(F)``
    (log-linear corrected rates) is the marginal d'; its standard error comes from the delta-method
    influence values, clustered over participants and clips like the headline accuracy. The test of
    d' = 0 does not depend on the scale; for the equivalence test the estimate is put on the GLMM's
    conditional scale with the design's own random-effect SDs,
    ``d'_cond = d'_marg * marginal_scale(clip_sd, criterion_sd, participant_sd)``.
    """
    is_ai = clip_is_ai[clip]
    n_ai, n_human = int(is_ai.sum()), int((~is_ai).sum())
    hit = (said_ai[is_ai].sum() + 0.5) / (n_ai + 1)
    false_alarm = (said_ai[~is_ai].sum() + 0.5) / (n_human + 1)
    z_hit, z_fa = stats.norm.ppf(hit), stats.norm.ppf(false_alarm)
    psi = np.where(
        is_ai, (said_ai - hit) / n_ai / stats.norm.pdf(z_hit), -(said_ai - false_alarm) / n_human / stats.norm.pdf(z_fa)
    )
    scale = marginal_scale(design.clip_sd, design.criterion_sd, design.participant_sd)
    estimate = float(z_hit - z_fa) * scale
    se = float(np.sqrt(two_way_variance(psi, participant, clip, clip_is_ai))) * scale
    df = float(max(clip_is_ai.size - 2, 1))  # clip_df: clips minus the two clip-level effects
    p_value = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else float("nan")
    return estimate, se, df, p_value


def _accuracy_detected(
    participant: np.ndarray, clip: np.ndarray, clip_is_ai: np.ndarray, said_ai: np.ndarray, alpha: float
) -> bool:
    """The headline accuracy test (:func:`two_way_clustered`) rejects chance with accuracy above 0.5."""
    correct = (clip_is_ai[clip] == said_ai.astype(bool)).astype(float)
    estimate = float(correct.mean())
    se = float(np.sqrt(two_way_variance((correct - estimate) / correct.size, participant, clip, clip_is_ai)))
    df = float(clip_is_ai.size - 2)
    return se > 0 and estimate > 0.5 and float(2 * stats.t.sf((estimate - 0.5) / se, df)) < alpha


def _fast_outcomes(
    participant: np.ndarray, clip: np.ndarray, clip_is_ai: np.ndarray, said_ai: np.ndarray, design: PlanDesign
) -> dict[str, float]:
    """:func:`analyse_study`'s outcomes by the fast method, from codes (see :func:`_dprime_fast`)."""
    estimate, se, df, p_value = _dprime_fast(participant, clip, clip_is_ai, said_ai, design)
    outcome = verdict(p_value, estimate, tost(estimate, se, df, 0.0, design.d_prime_margin), design.alpha)
    return {
        "d_prime": estimate,
        "detected": float(outcome == DETECTION),
        "reversed": float(outcome == REVERSED),
        "equivalent": float(outcome == EQUIVALENT),
        "detect_accuracy": float(_accuracy_detected(participant, clip, clip_is_ai, said_ai, design.alpha)),
        "failed": 0.0,
    }


def _verdict_full(table: pd.DataFrame, design: PlanDesign) -> tuple[float, str, ClusteredEstimate | None]:
    """d' and the app's own verdict (:func:`results.statistics.equivalence.detection_decision`) on the GLMM."""
    from results.statistics.headline import headline_detection

    headline = headline_detection(table)
    if headline.model is None:
        raise ModelFitError(headline.model_error)
    decision = detection_decision(headline, design.d_prime_margin, design.alpha)
    return headline.model.d_prime.estimate, decision.verdict, headline.accuracy


def analyse_study(table: pd.DataFrame, design: PlanDesign, method: str = "fast") -> dict[str, float]:
    """The verdicts for one simulated study: 1.0/0.0 per outcome, NaN when the model could not be fitted.

    Returns
    -------
    dict
        ``d_prime`` (estimate), ``detected`` (the d' test, d' > 0), ``reversed`` (d' < 0), ``equivalent``
        (the TOST within the margin, no detection), ``detect_accuracy`` (for information), ``failed``.
    """
    trials = main_trials(table, optional=("confidence",))
    if method != "full":
        participant = pd.factorize(trials["participant_id"])[0]
        clip, levels = pd.factorize(trials["clip_id"])
        clip_is_ai = np.zeros(len(levels), dtype=bool)
        clip_is_ai[clip] = trials["is_ai"].to_numpy().astype(bool)
        return _fast_outcomes(participant, clip, clip_is_ai, trials["guessed_ai"].to_numpy().astype(float), design)
    try:
        estimate, outcome, accuracy = _verdict_full(table, design)
    except ModelFitError:
        return dict.fromkeys(("d_prime", "detected", "reversed", "equivalent", "detect_accuracy"), np.nan) | {
            "failed": 1.0
        }
    detect_acc = accuracy is not None and accuracy.p_value < design.alpha and accuracy.estimate > 0.5
    return {
        "d_prime": estimate,
        "detected": float(outcome == DETECTION),
        "reversed": float(outcome == REVERSED),
        "equivalent": float(outcome == EQUIVALENT),
        "detect_accuracy": float(detect_acc),
        "failed": 0.0,
    }


def _world_outcomes(task: tuple[dict, tuple[int, ...], int, str, int]) -> list[dict[str, float]]:
    """Every size's outcomes in one world (:mod:`results.planning.crn`): its first N listeners per size."""
    design_fields, sizes, seed, method, sim = task
    design = PlanDesign(**design_fields)
    world = draw_world(
        max(sizes),
        design.n_trials,
        design.n_clips,
        d_prime=design.d_prime,
        participant_sd=design.participant_sd,
        clip_sd=design.clip_sd,
        criterion_sd=design.criterion_sd,
        seed=seed,
    )
    rows = []
    for n in sizes:
        if method == "full":
            outcomes = analyse_study(world.table(n), design, "full")
        else:
            trials = world.first(n)
            seen, clip = np.unique(world.clip[trials], return_inverse=True)
            said_ai = world.guessed_ai[trials].astype(float)
            outcomes = _fast_outcomes(world.participant[trials], clip, world.clip_is_ai[seen], said_ai, design)
        rows.append({"sim": sim, "n_participants": n, **outcomes})
    return rows


def simulate_outcomes(
    design: PlanDesign,
    sizes: Sequence[int] = DEFAULT_SIZES,
    n_sims: int = 100,
    *,
    method: str = "fast",
    workers: int = 2,
    seed: int = 1,
    progress: Callable[[int, int], object] | None = None,
) -> pd.DataFrame:
    """Each simulated study's outcomes, sizes nested within worlds (common random numbers).

    Simulation ``sim`` draws one world (:func:`results.planning.crn.draw_world`: a clip library and
    ``max(sizes)`` listeners); its study of size N is the world's first N listeners. Parameters as
    :func:`power_curve`; the fast method runs in this process (a whole curve takes about a second,
    less than starting worker processes), the full one on ``workers`` processes.

    Returns
    -------
    pandas.DataFrame
        One row per world and size: ``sim``, ``n_participants`` and :func:`analyse_study`'s outcomes.
    """
    problems = design.problems()
    if problems or method not in METHODS or not sizes or n_sims < 1:
        raise ValueError("; ".join(problems) or f"method must be one of {METHODS}; sizes and n_sims must be positive")
    sizes = tuple(sorted({int(n) for n in sizes}))
    seeds = np.random.SeedSequence(seed).generate_state(n_sims)
    tasks = [(asdict(design), sizes, int(seeds[k]), method, k) for k in range(n_sims)]
    rows: list[dict[str, float]] = []
    if workers <= 1 or method == "fast":
        for done, task in enumerate(tasks, 1):
            rows.extend(_world_outcomes(task))
            if progress:
                progress(done, len(tasks))
    else:
        # A clean interpreter per worker, safe inside the threaded Streamlit server (core.processes).
        with spawn_pool(workers) as pool:
            for done, world_rows in enumerate(pool.map(_world_outcomes, tasks), 1):
                rows.extend(world_rows)
                if progress:
                    progress(done, len(tasks))
    return pd.DataFrame(rows)


def power_curve(
    design: PlanDesign,
    sizes: Sequence[int] = DEFAULT_SIZES,
    n_sims: int = 100,
    *,
    method: str = "fast",
    workers: int = 2,
    seed: int = 1,
    progress: Callable[[int, int], object] | None = None,
) -> pd.DataFrame:
    """Power per sample size, from ``n_sims`` simulated worlds shared by all sizes (:func:`simulate_outcomes`).

    Parameters
    ----------
    design : PlanDesign
    sizes : sequence of int
        Numbers of analysed participants.
    n_sims : int
        Simulated studies per size (the Monte Carlo SE of a power p is sqrt(p (1 - p) / n_sims); the
        difference between two sizes is far more precise, as both come from the same worlds).
    method : {"fast", "full"}
        The analysis of each study (module docstring).
    workers : int
        Processes for the full method (1 = in this process).
    seed : int
        Same seed, same result.
    progress : callable(done, total), optional
        Called after each world.

    Returns
    -------
    pandas.DataFrame
        One row per size: ``n_participants``, ``n_sims``, ``power_detection`` (the d' test; ``power_dprime``
        is the same), ``power_accuracy`` (for information), ``power_equivalence``, ``share_reversed``,
        ``mc_se`` (of the detection power), ``mean_d_prime``, ``fit_failures``. Failed fits count as no
        decision.
    """
    outcomes = simulate_outcomes(design, sizes, n_sims, method=method, workers=workers, seed=seed, progress=progress)
    return summarise(outcomes)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per-size power from per-study decisions (:func:`analyse_study` rows with ``n_participants``)."""
    grouped = results.groupby("n_participants", sort=True)
    decided = results.fillna({"detected": 0.0, "reversed": 0.0, "detect_accuracy": 0.0, "equivalent": 0.0})
    by = decided.groupby("n_participants", sort=True)
    out = pd.DataFrame(
        {
            "n_sims": grouped.size(),
            "power_detection": by["detected"].mean(),
            "power_dprime": by["detected"].mean(),
            "power_accuracy": by["detect_accuracy"].mean(),
            "power_equivalence": by["equivalent"].mean(),
            "share_reversed": by["reversed"].mean(),
            "mean_d_prime": grouped["d_prime"].mean(),
            "fit_failures": grouped["failed"].sum().astype(int),
        }
    )
    out["mc_se"] = np.sqrt(out["power_detection"] * (1 - out["power_detection"]) / out["n_sims"])
    return out.reset_index()


def analytic_dprime_power(design: PlanDesign, n_participants: int) -> float:
    """Power of the d' test when nothing varies (participant, clip and criterion SDs all 0), with c = 0.

    Then every trial is an independent probit observation, the d' estimate is
    ``z(H) - z(F)`` with ``H = Phi(d'/2)``, ``F = Phi(-d'/2)``, and its variance (delta method) is
    ``4 H (1 - H) / (N phi(d'/2)**2)`` for ``N`` trials in all. The test refers d'/SE to
    t(clips - 2), so power = P(noncentral t(clips - 2, d'/SE) > t crit) (one direction: detection).
    """
    n = n_participants * design.n_trials
    h = stats.norm.cdf(design.d_prime / 2)
    se = np.sqrt(4 * h * (1 - h) / (n * stats.norm.pdf(design.d_prime / 2) ** 2))
    df = design.n_clips - 2
    return float(stats.nct.sf(stats.t.ppf(1 - design.alpha / 2, df), df, design.d_prime / se))


def equivalence_floor(design: PlanDesign) -> float:
    """The smallest d' margin any number of participants can reach with this many clips (probit units).

    With infinitely many participants the standard error of d' is the clip sample's alone,
    ``2 * clip_sd / sqrt(clips)`` (the difference of the mean clip effects of two halves of the
    library); the TOST needs ``|d'| + t(1 - alpha, clips - 2) * SE`` below the margin, so a margin
    below ``t * SE`` is out of reach whatever N.
    """
    se = 2 * design.clip_sd / np.sqrt(design.n_clips)
    return float(stats.t.ppf(1 - design.alpha, design.n_clips - 2) * se)


def clips_for_equivalence(design: PlanDesign, power: float = 0.8, max_clips: int = 2000) -> int | None:
    """Fewest clips (even) with which a null study of unlimited participants reaches the margin with ``power``.

    At true d' = 0 and standard error ``SE = 2 * clip_sd / sqrt(J)``, the TOST succeeds when
    ``|d'_hat| < margin - t * SE``, with probability ``2 Phi(margin / SE - t) - 1``. None when even
    ``max_clips`` do not suffice; 4 when the clips do not vary.
    """
    for n_clips in range(4, max_clips + 1, 2):
        se = 2 * design.clip_sd / np.sqrt(n_clips)
        if se == 0:
            return n_clips
        t = stats.t.ppf(1 - design.alpha, n_clips - 2)
        if 2 * stats.norm.cdf(design.d_prime_margin / se - t) - 1 >= power:
            return n_clips
    return None


def smallest_size(curve: pd.DataFrame, column: str = "power_equivalence", target: float = 0.8) -> int | None:
    """The smallest simulated number of participants whose ``column`` reaches ``target`` (None: none does)."""
    enough = curve.loc[curve[column] >= target, "n_participants"]
    return int(enough.min()) if len(enough) else None


def equivalence_plan(design: PlanDesign, curve: pd.DataFrame, target: float = 0.8) -> dict:
    """What N and how many clips equivalence needs, for the planner's page and command.

    Returns
    -------
    dict
        ``margins`` (the d' margin with its accuracy and AUC equivalents at the design's SDs), ``floor``
        (:func:`equivalence_floor`), ``clips_needed`` (:func:`clips_for_equivalence`), ``n_detection`` and
        ``n_equivalence`` (:func:`smallest_size` at ``target``; None when no simulated size reaches it) and a
        ``sentence`` saying so. The equivalence power is that of the design's d'; plan it at d' = 0.
    """
    margins = margins_at(
        design.d_prime_margin, marginal_scale(design.clip_sd, design.criterion_sd, design.participant_sd)
    )
    floor, clips = equivalence_floor(design), clips_for_equivalence(design, target)
    n_detect = smallest_size(curve, "power_detection", target)
    n_equiv = smallest_size(curve, "power_equivalence", target)
    words = (
        f"Equivalence margin ±{margins.d_prime:g} d′ (≈ ±{100 * margins.accuracy:.1f} accuracy points, "
        f"AUC 0.5 ± {margins.auc:.3f} at these SDs). "
    )
    if design.d_prime_margin <= floor:
        words += (
            f"With {design.n_clips} clips no number of participants reaches it (smallest reachable margin "
            f"±{floor:.2f}); "
        )
    words += f"{target:.0%} equivalence power at true d′ = {design.d_prime:g}: " + (
        f"{n_equiv} participants." if n_equiv is not None else "none of the simulated sizes."
    )
    words += f" Clips for {target:.0%} equivalence power with unlimited participants at d′ = 0: " + (
        f"{clips}." if clips is not None else "more than 2000."
    )
    return {
        "margins": asdict(margins),
        "floor": floor,
        "clips_needed": clips,
        "n_detection": n_detect,
        "n_equivalence": n_equiv,
        "sentence": words,
    }
