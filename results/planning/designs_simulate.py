"""Simulated studies with design conditions, for calibrating :mod:`results.statistics.designs` (tests and benchmark).

Each participant is randomised to a condition (balanced, in arrival order), hears ``n_trials`` clips
(half human, half AI, drawn from ``n_clips``), and - when labelled - each clip carries a label
planned exactly as the app plans it (:func:`experiment.conditions.plan_labels`). Ratings on a 1..9
scale::

    rating = 5 + u_p + v_j + (label_effect + w_p) * label_ai + source_effect * is_ai
             + asked_effect * asked + noise,   rounded and kept within 1..9

with ``u_p ~ N(0, 1)`` per participant, ``v_j ~ N(0, 0.7)`` per clip, ``w_p ~ N(0, label_sd)`` a
participant's own label effect, ``noise ~ N(0, 1.5)``; ``label_ai`` is 1 for an "AI" label and 0
otherwise (so ``label_effect`` is the AI-minus-person label difference), ``asked`` 1 in the blind
condition.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.vocabulary import SCALES, Condition, Source, TrialKind
from experiment.conditions import plan_labels
from experiment.settings import StudySettings


def simulate_design_study(
    n_participants: int,
    n_trials: int,
    *,
    conditions: Sequence[str] = (Condition.LABELLED,),
    n_clips: int = 40,
    label_effect: float = 0.0,
    label_sd: float = 0.3,
    clip_label_sd: float = 0.0,
    source_effect: float = 0.0,
    asked_effect: float = 0.0,
    settings: StudySettings | None = None,
    scales: Sequence[str] = SCALES,
    seed: int | None = None,
) -> pd.DataFrame:
    """A trial table (the columns :mod:`results.statistics.designs` reads) of a simulated study.

    The label shifts a rating by ``label_effect`` plus the participant's own N(0, ``label_sd``) and the
    clip's own N(0, ``clip_label_sd``) (scale points): labels may move some listeners and some clips more.

    Returns
    -------
    pandas.DataFrame
        One row per main trial: ``participant_id``, ``clip_id``, ``kind``, ``source``, ``is_ai``,
        ``condition``, ``label_shown``, ``label_mode``, ``label_true`` and one column per scale
        (the same latent rating for every scale plus independent noise).
    """
    rng = np.random.default_rng(seed)
    settings = settings or StudySettings()
    sources = {j: Source.HUMAN if j < n_clips // 2 else Source.AI for j in range(n_clips)}
    clip_offset = rng.normal(0, 0.7, n_clips)
    # Each clip's own label effect (drawn only when asked for, so that other seeds keep their studies).
    clip_label = rng.normal(0, clip_label_sd, n_clips) if clip_label_sd > 0 else np.zeros(n_clips)
    # Balanced over arrivals: every block of len(conditions) participants holds each condition once.
    blocks = -(-n_participants // len(conditions))
    arrivals = [str(c) for _ in range(blocks) for c in rng.permutation(list(conditions))]
    frames = []
    for p in range(n_participants):
        condition = arrivals[p]
        human = rng.choice(n_clips // 2, n_trials // 2, replace=False)
        ai = n_clips // 2 + rng.choice(n_clips - n_clips // 2, n_trials - n_trials // 2, replace=False)
        clip_ids = rng.permutation(np.concatenate([human, ai]))
        frame = pd.DataFrame({"participant_id": p + 1, "clip_id": clip_ids, "kind": TrialKind.MAIN})
        frame["source"] = [sources[int(j)] for j in clip_ids]
        frame["is_ai"] = frame["source"].eq(Source.AI)
        frame["condition"] = condition
        frame["label_shown"], frame["label_mode"] = _labels_shown(condition, clip_ids, sources, settings, rng)
        label_ai = frame["label_shown"].eq(Source.AI).to_numpy(dtype=float)
        latent = (
            5.0
            + rng.normal(0, 1.0)
            + clip_offset[clip_ids]
            + (label_effect + rng.normal(0, label_sd) + clip_label[clip_ids]) * label_ai
            + source_effect * frame["is_ai"].to_numpy(dtype=float)
            + asked_effect * (condition == Condition.BLIND)
        )
        for scale in scales:
            frame[scale] = np.clip(np.rint(latent + rng.normal(0, 1.5, len(frame))), 1, 9).astype(int)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    labelled = table["label_shown"].notna()
    table["label_true"] = pd.array(np.where(labelled, table["label_shown"].eq(table["source"]), None), dtype="boolean")
    return table


def _labels_shown(condition: str, clip_ids: np.ndarray, sources: dict, settings: StudySettings, rng) -> tuple:
    """The label each trial shows and how it was chosen (both None outside the labelled condition)."""
    if condition != Condition.LABELLED:
        return None, None
    labels = plan_labels(
        [TrialKind.MAIN] * len(clip_ids), [int(j) for j in clip_ids], sources, settings, int(rng.integers(2**31))
    )
    return [shown for shown, _ in labels], [mode for _, mode in labels]
