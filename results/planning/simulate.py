"""Simulated studies with known truth, in exactly the shape of the tidy trial table.

The statistics are checked against data whose generating parameters are known: listeners
follow equal-variance Gaussian signal detection ("AI" is the signal), rate each clip on the
emotion scales with a known "AI label" bias, and base part of their judgement on one acoustic
feature that has nothing to do with the true source. Tests, benchmarks and demonstrations use
:func:`simulate_study`; nothing here touches the database.

Generating model (per trial of participant ``p`` on clip ``j``)
---------------------------------------------------------------
evidence  = (+d'_p/2 if AI else -d'_p/2) + cue_weight * z_j + e,   e ~ N(0, 1)
guessed_ai = evidence > c_p
confidence = 1 + number of thresholds ``c_p + CONFIDENCE_OFFSETS`` below the evidence (1..6),
             so confidence >= 4 exactly when guessed_ai, as in the real study.
rating[s] = 5 + u_p + v_j + source_effects[s] * is_ai + label_effects[s] * guessed_ai + noise,
            rounded and clipped to 1..9.

``z_j`` is the clip's ``feat_listener_cue``, drawn independently from N(0, 1) per clip and
independent of the source, so ``d'_p`` is the sensitivity conditional on the clip. It is *not*
standardised over the library: the clips are a genuine random sample, so their mean cue (which
shifts the observed criterion) and the AI-minus-human difference of their cues (which shifts the
observed d') vary from study to study exactly as a new sample of music would, which is what the
intervals of :mod:`results.statistics.headline` must cover. Marginally over clips the evidence has standard
deviation ``sqrt(1 + cue_weight**2)`` and the expected per-participant d' is
``d'_p / sqrt(1 + cue_weight**2)``; with ``cue_weight=0`` both are ``d'_p``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.vocabulary import SCALES, Source, TrialKind
from results.data.codebook import TRIAL_COLUMNS

CONFIDENCE_OFFSETS = np.array([-1.2, -0.5, 0.0, 0.5, 1.2])
"""Confidence thresholds relative to the participant's criterion (evidence units)."""

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
TRAINING_YEARS = ("none", "1-2", "3-5", "6-9", "10+")
AI_EXPOSURE = ("never", "rarely", "sometimes", "often")
GENRES = ("classical", "pop", "jazz", "electronic")
AI_SYSTEMS = ("System A", "System B")

SOURCE_MARKER_SMD = 1.0
"""True standardised mean difference (AI minus human) of ``feat_source_marker``."""

DEFAULT_LABEL_EFFECTS: Mapping[str, float] = {"moved": -0.8}
"""Default "AI label" bias: judging a clip AI lowers ``moved`` by 0.8 scale points."""

_START = pd.Timestamp("2025-03-01", tz="UTC")


def _per_participant(value, n_participants: int, name: str) -> np.ndarray:
    array = (
        np.broadcast_to(np.asarray(value, dtype=float), (n_participants,))
        if np.ndim(value) == 0
        else np.asarray(value, dtype=float)
    )
    if array.shape != (n_participants,):
        raise ValueError(
            f"{name} must be a scalar or have one value per participant ({n_participants}), got shape {array.shape}"
        )
    return array


def _clip_catalogue(n_clips: int, rng: np.random.Generator) -> pd.DataFrame:
    """Clips ``1..n_clips``: the first half human, the rest AI, paired by position, with features."""
    n_human = n_clips // 2
    is_ai = np.arange(n_clips) >= n_human
    pair = np.where(is_ai, np.arange(n_clips) - n_human, np.arange(n_clips))
    genre = np.array(GENRES)[pair % len(GENRES)]
    source_marker = rng.normal(size=n_clips) + SOURCE_MARKER_SMD * is_ai
    return pd.DataFrame(
        {
            "clip_id": np.arange(1, n_clips + 1),
            "source": np.where(is_ai, Source.AI, Source.HUMAN),
            "is_ai": is_ai,
            "clip_title": [f"Clip {k:03d}" for k in range(1, n_clips + 1)],
            "clip_creator": np.where(is_ai, "Prompt author", [f"Composer {p + 1}" for p in pair]),
            # np.array(None): a missing value numpy's stubs accept (None itself is not typed as array-like).
            "ai_system": np.where(is_ai, np.array(AI_SYSTEMS)[pair % len(AI_SYSTEMS)], np.array(None)),
            "ai_version": np.where(is_ai, "1.0", np.array(None)),
            "genre": genre,
            "vocals": np.where(pair % 3 == 0, "vocal", "instrumental"),
            "pair_id": [f"pair-{p + 1:03d}" for p in pair],
            "feat_source_marker": source_marker,
            "feat_listener_cue": rng.normal(size=n_clips),
            "feat_unrelated_a": rng.normal(size=n_clips),
            "feat_unrelated_b": rng.normal(size=n_clips),
            "clip_rating_effect": rng.normal(scale=0.7, size=n_clips),
        }
    )


def assign_clips(n_participants: int, n_trials: int, n_clips: int, rng: np.random.Generator) -> np.ndarray:
    """Clip indices, shape (n_participants, n_trials): distinct clips, half human half AI, shuffled."""
    n_human = n_clips // 2
    n_ai = n_clips - n_human
    n_ai_trials = n_trials // 2 + rng.integers(0, 2, size=n_participants) * (n_trials % 2)
    # Random permutations per participant by argsort of uniform keys (vectorised).
    human_order = np.argsort(rng.random((n_participants, n_human)), axis=1)
    ai_order = n_human + np.argsort(rng.random((n_participants, n_ai)), axis=1)
    chosen = np.empty((n_participants, n_trials), dtype=int)
    for n_ai_here in np.unique(n_ai_trials):
        rows = n_ai_trials == n_ai_here
        chosen[rows] = np.hstack([ai_order[rows, :n_ai_here], human_order[rows, : n_trials - n_ai_here]])
    order = np.argsort(rng.random((n_participants, n_trials)), axis=1)
    return np.take_along_axis(chosen, order, axis=1)


def simulate_study(
    n_participants: int,
    n_trials: int,
    *,
    d_prime=1.0,
    criterion=0.0,
    n_clips: int = 60,
    cue_weight: float = 0.5,
    label_effects: Mapping[str, float] | None = None,
    source_effects: Mapping[str, float] | None = None,
    share_incomplete: float = 0.0,
    share_flagged: float = 0.0,
    n_attention_trials: int = 0,
    n_study_versions: int = 1,
    rating_missing_rate: float = 0.0,
    ai_evidence_sd: float = 1.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a study and return its tidy trial table.

    Parameters
    ----------
    n_participants : int
        Number of participants (ids ``1..n_participants``).
    n_trials : int
        Main trials per participant; half human, half AI clips (one extra of a random source if
        odd), each clip at most once per participant, in random order.
    d_prime : float or array of shape (n_participants,)
        True sensitivity per participant, conditional on the clip (see the module docstring).
    criterion : float or array of shape (n_participants,)
        Criterion ``c`` (evidence units); positive means reluctant to answer "AI".
    n_clips : int
        Library size (first half human, second half AI, paired by position); must be at least
        ``n_trials`` and leave enough clips of each source.
    cue_weight : float
        Weight of the standardised ``feat_listener_cue`` in the evidence (0 = listeners ignore it).
    label_effects : mapping of scale name to float, optional
        Scale points added when the participant judged the clip AI (default
        :data:`DEFAULT_LABEL_EFFECTS`).
    source_effects : mapping of scale name to float, optional
        Scale points added when the clip is truly AI (default none).
    share_incomplete : float
        Share of participants (0..1) who stopped early: ``completed`` False and only a random
        first part of their main trials answered.
    share_flagged : float
        Probability (0..1) of each quality problem per participant, independently: failed
        screening, failed attention check, inconsistent, too fast.
    n_attention_trials : int
        Attention-check rows (``kind="attention"``) per participant, with random answers, on
        randomly chosen clips; statistics must leave them out.
    n_study_versions : int
        Participants are spread over study versions ``1..n_study_versions``, in time order.
    rating_missing_rate : float
        Probability (0..1) that any single rating is missing.
    ai_evidence_sd : float
        SD of the trial-to-trial evidence noise on AI clips (human clips: 1); not 1 breaks equal-variance SDT
        (the zROC slope is then below or above 1).
    seed : int, optional
        Seed of the random generator (same seed, same table).

    Returns
    -------
    pandas.DataFrame
        One row per answered trial, the columns and dtypes of
        :data:`results.data.codebook.TRIAL_COLUMNS` followed by ``feat_source_marker`` (AI clips higher by
        :data:`SOURCE_MARKER_SMD` SD, unused by listeners), ``feat_listener_cue`` (used by
        listeners, unrelated to the source), ``feat_unrelated_a`` and ``feat_unrelated_b``.
    """
    label_effects = DEFAULT_LABEL_EFFECTS if label_effects is None else label_effects
    source_effects = source_effects or {}
    _check_arguments(
        n_participants,
        n_trials,
        n_clips,
        label_effects,
        source_effects,
        share_incomplete=share_incomplete,
        share_flagged=share_flagged,
        rating_missing_rate=rating_missing_rate,
    )
    rng = np.random.default_rng(seed)
    d_prime = _per_participant(d_prime, n_participants, "d_prime")
    criterion = _per_participant(criterion, n_participants, "criterion")
    clips = _clip_catalogue(n_clips, rng)
    clip_index, kind = _trial_lists(n_participants, n_trials, n_clips, n_attention_trials, rng)
    is_ai = clips["is_ai"].to_numpy()[clip_index]
    confidence = _confidence(clips, clip_index, kind, is_ai, d_prime, criterion, (cue_weight, ai_evidence_sd), rng)
    guessed_ai = confidence >= 4
    ratings = _ratings(clips, clip_index, is_ai, guessed_ai, label_effects, source_effects, rating_missing_rate, rng)
    trials = _trial_rows(
        clips, clip_index, kind, confidence, guessed_ai, ratings, n_study_versions, share_incomplete, rng
    )
    participants = _participant_rows(n_participants, trials.attrs["completed"], share_flagged, rng)
    table = trials.merge(participants, on="participant_id").merge(
        clips.drop(columns="clip_rating_effect"), on="clip_id"
    )
    table["guessed_ai"] = table["guess"].eq(Source.AI)
    table["correct"] = table["guess"].eq(table["source"])
    table = table.sort_values(["participant_id", "trial_index"], ignore_index=True)
    return _with_codebook_dtypes(table)


def _check_arguments(
    n_participants: int,
    n_trials: int,
    n_clips: int,
    label_effects: Mapping[str, float],
    source_effects: Mapping[str, float],
    **shares: float,
) -> None:
    """Raise ValueError for arguments :func:`simulate_study` cannot honour."""
    if n_participants < 1 or n_trials < 1:
        raise ValueError("n_participants and n_trials must be at least 1")
    if n_clips // 2 < (n_trials + 1) // 2:
        raise ValueError(f"n_clips={n_clips} is too small for {n_trials} trials with distinct clips of each source")
    for name, share in shares.items():
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    unknown = (set(label_effects) | set(source_effects)) - set(SCALES)
    if unknown:
        raise ValueError(f"unknown rating scales {sorted(unknown)}; expected some of {SCALES}")


def _trial_lists(
    n_participants: int, n_trials: int, n_clips: int, n_attention_trials: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Clip index and trial kind per participant and position, both shape (n_participants, n_per)."""
    clip_index = assign_clips(n_participants, n_trials, n_clips, rng)
    kind = np.full(clip_index.shape, TrialKind.MAIN, dtype=object)
    if n_attention_trials:
        # Attention checks sit at random positions among the main trials.
        attention_clips = rng.integers(0, n_clips, size=(n_participants, n_attention_trials))
        clip_index = np.hstack([clip_index, attention_clips])
        kind = np.hstack([kind, np.full(attention_clips.shape, TrialKind.ATTENTION, dtype=object)])
        order = np.argsort(rng.random(clip_index.shape), axis=1)
        clip_index = np.take_along_axis(clip_index, order, axis=1)
        kind = np.take_along_axis(kind, order, axis=1)
    return clip_index, kind


def _confidence(
    clips: pd.DataFrame,
    clip_index: np.ndarray,
    kind: np.ndarray,
    is_ai: np.ndarray,
    d_prime: np.ndarray,
    criterion: np.ndarray,
    weight_and_sd: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Confidence 1..6 per trial from the evidence (module docstring); random on attention trials.

    ``weight_and_sd``: the cue weight and the SD of the AI clips' evidence noise.
    """
    cue_weight, ai_sd = weight_and_sd
    # Not standardised: a random sample of clips (module docstring).
    cue_z = clips["feat_listener_cue"].to_numpy()
    sign = np.where(is_ai, 0.5, -0.5)
    noise = rng.normal(size=clip_index.shape) * np.where(is_ai, ai_sd, 1.0)
    evidence = sign * d_prime[:, None] + cue_weight * cue_z[clip_index] + noise
    thresholds = criterion[:, None, None] + CONFIDENCE_OFFSETS[None, None, :]
    confidence = 1 + (evidence[:, :, None] > thresholds).sum(axis=2)
    return np.where(kind == TrialKind.ATTENTION, rng.integers(1, 7, size=clip_index.shape), confidence)


def _ratings(
    clips: pd.DataFrame,
    clip_index: np.ndarray,
    is_ai: np.ndarray,
    guessed_ai: np.ndarray,
    label_effects: Mapping[str, float],
    source_effects: Mapping[str, float],
    missing_rate: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Scale -> ratings 1..9 (NaN when missing), flattened in trial order."""
    participant_effect = rng.normal(size=len(clip_index))
    ratings = {}
    for scale in SCALES:
        latent = (
            5.0
            + participant_effect[:, None]
            + clips["clip_rating_effect"].to_numpy()[clip_index]
            + source_effects.get(scale, 0.0) * is_ai
            + label_effects.get(scale, 0.0) * guessed_ai
            + rng.normal(scale=1.2, size=clip_index.shape)
        )
        values = np.clip(np.rint(latent), 1, 9).astype(float)
        values[rng.random(clip_index.shape) < missing_rate] = np.nan
        ratings[str(scale)] = values.ravel()
    return ratings


def _trial_rows(
    clips: pd.DataFrame,
    clip_index: np.ndarray,
    kind: np.ndarray,
    confidence: np.ndarray,
    guessed_ai: np.ndarray,
    ratings: dict[str, np.ndarray],
    n_study_versions: int,
    share_incomplete: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The answered trials (participants who stopped early lose their later trials).

    ``attrs["completed"]`` holds whether each participant completed, shape (n_participants,).
    """
    n_participants, n_per = clip_index.shape
    # Participants start at random times over four weeks; one answer every ~40 s.
    start = _START + pd.to_timedelta(np.sort(rng.uniform(0, 28 * 86400, size=n_participants)), unit="s")
    seconds = np.cumsum(rng.gamma(4.0, 10.0, size=clip_index.shape), axis=1)
    answered_at = start.tz_convert(None).to_numpy()[:, None] + (seconds * 1e9).astype("timedelta64[ns]")
    version = 1 + (np.arange(n_participants) * n_study_versions) // n_participants

    completed = rng.random(n_participants) >= share_incomplete
    n_answered = np.where(completed, n_per, rng.integers(1, max(n_per, 2), size=n_participants))
    answered = np.arange(n_per)[None, :] < n_answered[:, None]
    trials = pd.DataFrame(
        {
            "participant_id": np.repeat(np.arange(1, n_participants + 1), n_per),
            "study_version_id": np.repeat(version, n_per),
            "trial_index": np.tile(np.arange(n_per), n_participants),
            "kind": kind.ravel(),
            "clip_id": clips["clip_id"].to_numpy()[clip_index].ravel(),
            "guess": np.where(guessed_ai, Source.AI, Source.HUMAN).ravel(),
            "confidence": confidence.ravel(),
            **ratings,
            "familiar": (rng.random(clip_index.shape) < 0.05).ravel(),
            "attention_answer": np.where(kind == TrialKind.ATTENTION, "blue", np.array(None)).ravel(),
            "plays": rng.integers(1, 3, size=clip_index.size),
            "pauses": np.zeros(clip_index.size, dtype=int),
            "seeks": np.zeros(clip_index.size, dtype=int),
            "listened_s": rng.uniform(14.0, 30.0, size=clip_index.size),
            "time_to_first_play_ms": rng.integers(300, 3000, size=clip_index.size),
            "time_to_answer_ms": (rng.gamma(4.0, 10.0, size=clip_index.size) * 1000).astype(int),
            "answered_at": pd.to_datetime(answered_at.ravel(), utc=True),
        }
    )[answered.ravel()]
    trials.attrs["completed"] = completed
    return trials


def _participant_rows(
    n_participants: int, completed: np.ndarray, share_flagged: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Questionnaire answers and quality flags, one row per participant."""
    return pd.DataFrame(
        {
            "participant_id": np.arange(1, n_participants + 1),
            "completed": completed,
            "age_band": rng.choice(AGE_BANDS, size=n_participants),
            "training_years": rng.choice(TRAINING_YEARS, size=n_participants),
            "training_self_rating": rng.integers(1, 8, size=n_participants).astype(str),
            "ai_exposure": rng.choice(AI_EXPOSURE, size=n_participants),
            "ai_attitude": rng.integers(1, 8, size=n_participants).astype(str),
            "screening_passed": rng.random(n_participants) >= share_flagged,
            "language": "en",  # a constant: drawing it would shift the random stream of every simulation
            "flag_attention_failed": rng.random(n_participants) < share_flagged,
            "flag_inconsistent": rng.random(n_participants) < share_flagged,
            "flag_too_fast": rng.random(n_participants) < share_flagged,
            # Drawn last, so that the columns above keep the values they had before it existed.
            "training_score": rng.integers(7, 50, size=n_participants),
        }
    )


def _with_codebook_dtypes(table: pd.DataFrame) -> pd.DataFrame:
    """Columns in codebook order and dtype (missing codebook columns empty), then ``feat_*``."""
    out = {}
    for column in TRIAL_COLUMNS:
        values = (
            table[column.name] if column.name in table.columns else pd.Series(None, index=table.index, dtype="object")
        )
        if column.dtype in ("Int64", "boolean"):
            values = pd.array(values.astype("object").where(values.notna(), None), dtype=column.dtype)
        elif column.dtype == "str":
            values = values.astype("object").where(values.notna(), None).astype("str")
        else:
            values = values.astype(column.dtype)
        out[column.name] = values
    frame = pd.DataFrame(out, index=table.index)
    for name in sorted(c for c in table.columns if c.startswith("feat_")):
        frame[name] = table[name].astype("float64")
    return frame
