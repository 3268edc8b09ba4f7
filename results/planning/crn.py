"""Simulated worlds shared by every sample size of a power curve (common random numbers).

A power curve estimated with fresh random numbers per sample size wobbles: each size sees its own
clip library and its own listeners, so neighbouring sizes differ by twice the Monte Carlo error
and the curve can go down as N goes up. Here simulation ``k`` draws one world, a clip library and
a pool of ``max(sizes)`` listeners with their d', criterion, trial lists and every trial's noise,
and the study of size ``N`` is the first ``N`` listeners of that world. A larger study is the
smaller one plus more listeners, so power estimates at different sizes share their randomness,
their differences are estimated far more precisely than the powers themselves, and the curve is
monotone up to a small Monte Carlo error.

The generating model is that of :func:`results.planning.simulate.simulate_study` (and of
:func:`results.planning.power.simulate_design`): ``evidence = +-d'_p / 2 + clip_sd * z_j + e``,
guessed AI when ``evidence > c_p``, confidence from the same thresholds. Only the columns the
detection analyses read are built, as arrays, which is what makes a study cost microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from results.planning.simulate import CONFIDENCE_OFFSETS, assign_clips


@dataclass(frozen=True)
class World:
    """One simulated clip library and listener pool; trials are ordered by listener.

    Attributes
    ----------
    n_trials : int
        Main trials per listener.
    clip_is_ai : numpy.ndarray of bool, shape (n_clips,)
        True source per clip index.
    participant, clip : numpy.ndarray of int, shape (n_listeners * n_trials,)
        Listener index 0..P-1 (non-decreasing) and clip index 0..J-1 of each trial.
    guessed_ai : numpy.ndarray of bool, shape (n_listeners * n_trials,)
    confidence : numpy.ndarray of int, shape (n_listeners * n_trials,)
        1..6; at least 4 exactly when ``guessed_ai``.
    """

    n_trials: int
    clip_is_ai: np.ndarray
    participant: np.ndarray
    clip: np.ndarray
    guessed_ai: np.ndarray
    confidence: np.ndarray

    def first(self, n_participants: int) -> slice:
        """The trial rows of the first ``n_participants`` listeners (the study of that size)."""
        return slice(0, n_participants * self.n_trials)

    def table(self, n_participants: int) -> pd.DataFrame:
        """The study of the first ``n_participants`` listeners as a minimal trial table (ids from 1).

        Holds what the headline detection analysis reads: ``participant_id``, ``clip_id``, ``is_ai``,
        ``guessed_ai``, ``confidence``, ``kind``.
        """
        rows = self.first(n_participants)
        clip = self.clip[rows]
        return pd.DataFrame(
            {
                "participant_id": self.participant[rows] + 1,
                "clip_id": clip + 1,
                "is_ai": self.clip_is_ai[clip],
                "guessed_ai": self.guessed_ai[rows],
                "confidence": self.confidence[rows],
                "kind": "main",
            }
        )


def draw_world(
    n_listeners: int,
    n_trials: int,
    n_clips: int,
    *,
    d_prime: float,
    participant_sd: float,
    clip_sd: float,
    criterion_sd: float,
    seed: int,
) -> World:
    """Draw one world of ``n_listeners`` listeners on a library of ``n_clips`` (half human, half AI).

    Parameters are those of :class:`results.planning.power.PlanDesign` (probit units). Each listener's
    draws are their own row of every random array, so the first ``N`` listeners of a world form a
    study of ``N`` on the world's clip library, nested in every larger one.
    """
    rng = np.random.default_rng(seed)
    clip_is_ai = np.arange(n_clips) >= n_clips // 2
    clip_shift = clip_sd * rng.standard_normal(n_clips)
    listener_d = d_prime + participant_sd * rng.standard_normal(n_listeners)
    listener_c = criterion_sd * rng.standard_normal(n_listeners)
    clip = assign_clips(n_listeners, n_trials, n_clips, rng)
    sign = np.where(clip_is_ai[clip], 0.5, -0.5)
    evidence = sign * listener_d[:, None] + clip_shift[clip] + rng.standard_normal(clip.shape)
    thresholds = listener_c[:, None, None] + CONFIDENCE_OFFSETS[None, None, :]
    confidence = 1 + (evidence[:, :, None] > thresholds).sum(axis=2)
    return World(
        n_trials=n_trials,
        clip_is_ai=clip_is_ai,
        participant=np.repeat(np.arange(n_listeners), n_trials),
        clip=clip.ravel(),
        guessed_ai=(confidence >= 4).ravel(),
        confidence=confidence.ravel(),
    )
