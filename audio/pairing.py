"""Pairing by similarity: each AI clip with the human clip most like it in the served clips' features.

A paired (2AFC) study asks which of two clips was made by AI. How the two are chosen matters:
listeners were near chance with random pairs and well above it with similar ones (Figueiredo et al.,
"Echoes of Humanity", NeurIPS 2025). This module makes both kinds of pair from the features of
exactly what participants hear (:mod:`audio.features`):

Features
    The organiser picks feature groups (:data:`FEATURE_GROUPS`; default all five: timbre = the 13
    MFCC means, tempo = log2 of the tempo estimate so that a doubled tempo is one unit away whatever
    the tempo, key = the tonic's place on the circle of fifths as a point on the unit circle plus the
    mode, loudness range = the RMS dynamic range, spectral shape = centroid, bandwidth, roll-off,
    flatness and contrast). Each feature is standardised over the active clips (both sources
    together, so distances mean the same for either), a missing value counts as the mean, and each
    group is divided by the square root of its size so that every group weighs the same in the
    Euclidean distance, however many features it has.
Similar pairs
    The one-to-one matching of human to AI clips with the smallest total distance (the assignment
    problem, :func:`scipy.optimize.linear_sum_assignment`), after the organiser's overrides are
    taken out: an override pairs two clips whatever their distance, and the rest are matched
    around it. With unequal numbers the surplus clips of the larger source stay unpaired.
Random pairs
    A seeded random one-to-one matching of the same clips, for contrast.

Pure functions, plus :func:`library_pairs` and the override functions that read and write the
database in the caller's transaction (SQL in :mod:`audio.repository`). Pair distances are
staff information; they never reach a participant's page.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from sqlalchemy.orm import Session

from audio import library, repository
from audio.features import N_MFCC
from core.vocabulary import Source

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "timbre": tuple(f"mfcc_{i}_mean" for i in range(1, N_MFCC + 1)),
    "tempo": ("tempo_estimate_bpm",),
    "key": ("key_estimate", "key_mode_estimate"),
    "loudness range": ("rms_db_dynamic_range_db",),
    "spectral shape": (
        "spectral_centroid_hz_mean",
        "spectral_bandwidth_hz_mean",
        "spectral_rolloff_hz_mean",
        "spectral_flatness_mean",
        "spectral_contrast_db_mean",
    ),
}
"""Feature groups an organiser can pair on, by name, with the features (:mod:`audio.features`) each uses."""

DEFAULT_GROUPS: tuple[str, ...] = tuple(FEATURE_GROUPS)


@dataclass(frozen=True)
class ClipPair:
    """One human clip with one AI clip, their feature distance and whether an organiser set it."""

    human_clip_id: int
    ai_clip_id: int
    distance: float
    overridden: bool = False


def _group_columns(values: pd.DataFrame, group: str) -> pd.DataFrame:
    """The group's features as columns (key and tempo transformed, module docstring)."""
    names = FEATURE_GROUPS[group]
    raw = values.reindex(columns=list(names)).astype(float)
    if group == "tempo":
        return np.log2(raw.clip(lower=1.0))
    if group == "key":
        fifths = (raw["key_estimate"] * 7) % 12 * (2 * np.pi / 12)
        return pd.DataFrame({"key_x": np.cos(fifths), "key_y": np.sin(fifths), "mode": raw["key_mode_estimate"]})
    return raw


def feature_matrix(values: pd.DataFrame, groups: Sequence[str] = DEFAULT_GROUPS) -> np.ndarray:
    """Standardised, group-weighted features: one row per clip of ``values`` (columns = feature names).

    Parameters
    ----------
    values : pandas.DataFrame
        One row per clip, one column per feature of :mod:`audio.features` (missing columns are NaN).
    groups : sequence of str
        Names from :data:`FEATURE_GROUPS`.

    Returns
    -------
    numpy.ndarray, shape (n_clips, n_columns)
        z-scores over the rows, each group scaled by 1 / sqrt(its column count); NaN -> 0 (the mean).
    """
    unknown = [g for g in groups if g not in FEATURE_GROUPS]
    if unknown or not groups:
        raise ValueError(f"feature groups must be some of {list(FEATURE_GROUPS)}, got {list(groups)}")
    parts = []
    for group in groups:
        block = _group_columns(values, group)
        spread = block.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
        z = ((block - block.mean()) / spread).fillna(0.0).to_numpy(dtype=float)
        parts.append(z / np.sqrt(z.shape[1]))
    return np.hstack(parts)


def similar_pairs(
    human_ids: Sequence[int],
    ai_ids: Sequence[int],
    matrix: Mapping[int, np.ndarray],
    overrides: Mapping[int, int] | None = None,
) -> list[ClipPair]:
    """The minimum-total-distance one-to-one matching of human to AI clips, overrides kept.

    ``matrix`` maps clip id -> its row of :func:`feature_matrix`. Overrides naming a clip not in
    the lists are ignored. Pairs come sorted by human clip id.
    """
    overrides = {h: a for h, a in (overrides or {}).items() if h in human_ids and a in ai_ids}
    pairs = [ClipPair(h, a, _distance(matrix, h, a), overridden=True) for h, a in overrides.items()]
    free_humans = [h for h in human_ids if h not in overrides]
    free_ais = [a for a in ai_ids if a not in set(overrides.values())]
    if free_humans and free_ais:
        cost = cdist(np.array([matrix[h] for h in free_humans]), np.array([matrix[a] for a in free_ais]))
        rows, cols = linear_sum_assignment(cost)
        pairs += [ClipPair(free_humans[r], free_ais[c], float(cost[r, c])) for r, c in zip(rows, cols, strict=True)]
    return sorted(pairs, key=lambda p: p.human_clip_id)


def random_pairs(
    human_ids: Sequence[int], ai_ids: Sequence[int], matrix: Mapping[int, np.ndarray], seed: int
) -> list[ClipPair]:
    """A seeded random one-to-one matching of human to AI clips (for contrast), sorted by human clip id."""
    rng = random.Random(f"random-pairs-{seed}")
    humans, ais = sorted(human_ids), sorted(ai_ids)
    rng.shuffle(ais)
    return sorted(
        (ClipPair(h, a, _distance(matrix, h, a)) for h, a in zip(humans, ais, strict=False)),
        key=lambda p: p.human_clip_id,
    )


def _distance(matrix: Mapping[int, np.ndarray], human: int, ai: int) -> float:
    return float(np.linalg.norm(matrix[human] - matrix[ai]))


# --- a pair's distance in words ------------------------------------------------------------------

# Nearness bands, by the pair's distance over the median distance of every possible human-AI pair
# of the same clips (what a random pair typically is): the ratio does not depend on how many clips
# there are, as a rank would (n twins are the n nearest of n * n pairs, a share that shrinks with n).
_NEARNESS_WORDS: tuple[tuple[float, str], ...] = (
    (0.35, "very close"),
    (0.7, "close"),
    (1.2, "as far apart as a typical random pair"),
    (np.inf, "far apart"),
)


def group_distances(
    matrix: Mapping[int, np.ndarray], human: int, ai: int, groups: Sequence[str] = DEFAULT_GROUPS
) -> dict[str, float]:
    """Each feature group's part of the pair's distance (the parts' squares sum to the distance squared).

    ``matrix`` rows must come from :func:`feature_matrix` with the same ``groups``, in that order.
    """
    widths = [3 if group == "key" else len(FEATURE_GROUPS[group]) for group in groups]
    bounds = np.cumsum([0, *widths])
    difference = matrix[human] - matrix[ai]
    return {
        group: float(np.linalg.norm(difference[start:stop]))
        for group, start, stop in zip(groups, bounds[:-1], bounds[1:], strict=True)
    }


def describe_pairs(
    pairs: Sequence[ClipPair],
    human_ids: Sequence[int],
    ai_ids: Sequence[int],
    matrix: Mapping[int, np.ndarray],
    groups: Sequence[str] = DEFAULT_GROUPS,
) -> list[str]:
    """Each pair's distance in words: how near against every possible human-AI pair, and by which features.

    For example "very close (nearer than 94 % of the 12 possible pairs); most alike in timbre, most
    different in tempo". Every group weighs the same (:func:`feature_matrix`), so the groups' parts
    of a distance compare directly. One string per pair, in the order of ``pairs``.
    """
    every = cdist(np.array([matrix[h] for h in human_ids]), np.array([matrix[a] for a in ai_ids])).ravel()
    words = []
    for pair in pairs:
        farther = float(np.mean(every > pair.distance + 1e-9))
        ratio = pair.distance / max(float(np.median(every)), 1e-12)
        band = next(word for limit, word in _NEARNESS_WORDS if ratio < limit)
        text = f"{band} (nearer than {100 * farther:.0f} % of the {every.size} possible pairs)"
        if len(groups) > 1:
            parts = group_distances(matrix, pair.human_clip_id, pair.ai_clip_id, groups)
            alike, different = min(parts, key=parts.__getitem__), max(parts, key=parts.__getitem__)
            text += f"; most alike in {alike}, most different in {different}"
        words.append(text)
    return words


# --- the library's pairs (database) -------------------------------------------------------------


def library_matrix(session: Session, groups: Sequence[str] = DEFAULT_GROUPS) -> tuple[dict[int, np.ndarray], dict]:
    """The active clips' feature rows (clip id -> row) and their sources (clip id -> source)."""
    frame = library.features_frame(session)
    if frame.empty:
        return {}, {}
    values = frame.set_index("clip_id").filter(like="feat_").rename(columns=lambda c: c.removeprefix("feat_"))
    rows = feature_matrix(values, groups)
    matrix = {int(clip_id): rows[i] for i, clip_id in enumerate(values.index)}
    return matrix, {int(c): s for c, s in zip(frame["clip_id"], frame["source"], strict=True)}


def library_pairs(session: Session, groups: Sequence[str] = DEFAULT_GROUPS) -> list[ClipPair]:
    """The similar pairs of the active library under ``groups``, the organiser's overrides kept."""
    matrix, sources = library_matrix(session, groups)
    humans = sorted(c for c, s in sources.items() if s == Source.HUMAN)
    ais = sorted(c for c, s in sources.items() if s == Source.AI)
    return similar_pairs(humans, ais, matrix, repository.pair_overrides(session))


def pairs_among(session: Session, clip_ids: Sequence[int], groups: Sequence[str] = DEFAULT_GROUPS) -> list[ClipPair]:
    """The similar pairs among the given active clips (a study's selection), overrides kept.

    Standardised over the whole active library, so that a clip's place does not depend on the selection.
    """
    matrix, sources = library_matrix(session, groups)
    chosen = set(clip_ids)
    humans = sorted(c for c, s in sources.items() if s == Source.HUMAN and c in chosen)
    ais = sorted(c for c, s in sources.items() if s == Source.AI and c in chosen)
    return similar_pairs(humans, ais, matrix, repository.pair_overrides(session))


def override_pair(session: Session, human_clip_id: int, ai_clip_id: int) -> None:
    """Pair a human clip with an AI clip whatever their distance (the caller records it in the audit trail)."""
    sources = {c.clip_id: c.source for c in library.active_clips(session)}
    if sources.get(human_clip_id) != Source.HUMAN or sources.get(ai_clip_id) != Source.AI:
        raise ValueError("an override pairs an active human clip with an active AI clip")
    repository.set_pair_override(session, human_clip_id, ai_clip_id)


def clear_override(session: Session, human_clip_id: int) -> bool:
    """Let the matching choose the human clip's partner again; whether there was an override."""
    return repository.clear_pair_override(session, human_clip_id) > 0
