"""Simulated paired (2AFC) studies, for calibrating :mod:`results.statistics.paired_detection` (tests and benchmark).

A library of ``n_clips`` clips, half AI and half human. Each clip has an "AI-soundingness" ``a`` drawn
from N(0, ``clip_sd``) on the yes/no d' scale; participant i has its own d' ~ N(``d_prime``,
``participant_sd``) and a position bias ``b_i`` ~ N(0, ``participant_sd``) (the 2AFC counterpart of the
criterion: a lean towards naming the first clip). Under the difference rule a pair is answered right
with probability::

    Phi((d'_i + a_ai - a_human) / sqrt(2) + b_i)   (AI clip first; - b_i when second)

so the GLMM's d' (sqrt(2) times its intercept, conditional on the clips) is ``d_prime``. Order is
counterbalanced within participant. Pairings:

* ``"random"``: each participant's pairs are drawn at random from the library (no clip twice for one
  participant), so pairs share clips across participants;
* ``"matched"``: the library is ``n_clips / 2`` fixed pairs (AI clip k always with human clip k);
* ``"within"`` / ``"between"``: pairing type as a design factor (issue 26). The library is
  ``n_clips / 2`` similar pairs (AI clip k with human clip k); a participant's "random" pairs re-pair
  the humans of their drawn similar pairs among themselves (no pair left as it was), as
  :mod:`experiment.pairing_design` does. Within participants half of each participant's pairs are
  random; between participants alternate arrivals get all-similar or all-random pairs. Similar
  pairs are answered with d' ``d_prime + pairing_effect / 2``, random ones with
  ``d_prime - pairing_effect / 2``; the table gains a ``pairing`` column.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from results.data.table import pair_correct

PAIRINGS = ("random", "matched")
PAIRING_DESIGNS = ("within", "between")


def _draw_pairs(pairing: str, per_source: int, n_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One participant's (AI clip, human clip) indices 0..per_source - 1, each clip at most once."""
    ai = rng.choice(per_source, n_pairs, replace=False)
    human = ai if pairing == "matched" else rng.choice(per_source, n_pairs, replace=False)
    return ai, human


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of 0..n-1 with no fixed point (n >= 2)."""
    while True:
        order = rng.permutation(n)
        if not np.any(order == np.arange(n)):
            return order


def _draw_typed_pairs(
    design: str, participant: int, per_source: int, n_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(AI clip, human clip, is similar) per pair for the pairing-type designs (module docstring)."""
    ai = rng.choice(per_source, n_pairs, replace=False)
    human = ai.copy()
    if design == "within":
        similar = rng.permutation(np.arange(n_pairs) < n_pairs - n_pairs // 2)
    else:
        similar = np.full(n_pairs, participant % 2 == 0)
    shuffled = np.flatnonzero(~similar)
    if len(shuffled) >= 2:
        human[shuffled] = human[shuffled][_derangement(len(shuffled), rng)]
    return ai, human, similar


def simulate_paired_study(
    n_participants: int,
    n_pairs: int,
    *,
    d_prime: float = 0.0,
    clip_sd: float = 0.5,
    n_clips: int = 20,
    pairing: str = "random",
    participant_sd: float = 0.3,
    seed: int | np.random.Generator | None = None,
    pairing_effect: float = 0.0,
) -> pd.DataFrame:
    """A paired trial table: two rows per answered pair (one per clip), the pair's choice on both.

    Parameters
    ----------
    n_participants, n_pairs : int
        Participants (ids 0..n-1) and pairs each answers (at most ``n_clips / 2``).
    d_prime, clip_sd, participant_sd : float
        Mean d', clip SD and the SD of participants' d' and position bias (module docstring).
    n_clips : int
        Library size, half AI (clip ids 1000 + k) and half human (ids k).
    pairing : {"random", "matched", "within", "between"}
    seed : int, numpy Generator or None
    pairing_effect : float
        d'(similar) - d'(random) in the "within" and "between" designs.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id``, ``kind``, ``clip_id``, ``source``, ``pair_trial``, ``pair_position``,
        ``pair_choice``, ``pair_correct``.
    """
    if pairing not in PAIRINGS + PAIRING_DESIGNS:
        raise ValueError(f"pairing must be one of {PAIRINGS + PAIRING_DESIGNS}")
    rng = np.random.default_rng(seed)
    per_source = n_clips // 2
    ai_effect, human_effect = rng.normal(0.0, clip_sd, per_source), rng.normal(0.0, clip_sd, per_source)
    rows = []
    for participant in range(n_participants):
        own, bias = rng.normal(d_prime, participant_sd), rng.normal(0.0, participant_sd)
        if pairing in PAIRING_DESIGNS:
            ai, human, similar = _draw_typed_pairs(pairing, participant, per_source, n_pairs, rng)
        else:
            (ai, human), similar = _draw_pairs(pairing, per_source, n_pairs, rng), np.zeros(n_pairs, dtype=bool)
        typed = own + np.where(similar, pairing_effect / 2, -pairing_effect / 2) * (pairing in PAIRING_DESIGNS)
        ai_first = rng.permutation(np.arange(n_pairs) % 2 == 0)
        signal = (typed + ai_effect[ai] - human_effect[human]) / math.sqrt(2) + np.where(ai_first, bias, -bias)
        right = rng.random(n_pairs) < norm.cdf(signal)
        for number in range(n_pairs):
            ai_position = 1 if ai_first[number] else 2
            choice = ai_position if right[number] else 3 - ai_position
            for position in (1, 2):
                is_ai = position == ai_position
                rows.append(
                    {
                        "participant_id": participant,
                        "kind": "main",
                        "clip_id": 1000 + int(ai[number]) if is_ai else int(human[number]),
                        "source": "ai" if is_ai else "human",
                        "pair_trial": number + 1,
                        "pair_position": position,
                        "pair_choice": choice,
                        "pairing": "similar" if similar[number] else "random",
                    }
                )
    table = pd.DataFrame(rows)
    if pairing not in PAIRING_DESIGNS:
        table = table.drop(columns="pairing")
    table["pair_correct"] = pair_correct(table)
    return table
