"""Simulated participants for the demo study: known detection and emotion effects, real services.

``human-touch demo participants --n 60`` calls :func:`simulate_participants`, which walks each
simulated participant through exactly the services a browser session uses (consent, questionnaire,
audio check, instructions, practice, every trial or pair, completion), so their rows look like a real
participant's, except that ``Participant.simulated`` is set. Results and exports leave them out
unless the researcher asks to include them.

The generating model (equal-variance signal detection with crossed random effects; "AI" is the
signal):

* participant ``p``: sensitivity ``d_p ~ N(d_prime, 0.4)``, criterion ``c_p ~ N(0, 0.3)``, and
  a rating offset ``N(0, 0.7)`` scale points per scale;
* clip ``j``: an "AI-likeness" ``u_j ~ N(0, 0.3)`` and a rating offset ``N(0, 0.6)`` per scale,
  fixed by the clip id (every participant hears the same clip alike);
* trial: evidence ``x = +-d_p / 2 + u_j + N(0, 1)`` (+ for AI clips); confidence 1..6 counts the
  thresholds ``c_p + (-1.5, -0.75, 0, 0.75, 1.5)`` below ``x``, so the guess is "AI" when
  ``x > c_p`` and the population d' is about ``d_prime`` (a little lower from the clip spread);
* ratings: the scale's midpoint + offsets + ``EMOTION_EFFECTS[scale]`` for AI clips +
  ``N(0, 1)``, rounded into 1..scale_points.

Simulated participants listen fully, pass the audio check and follow attention instructions.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from core.models import Participant, utcnow
from core.vocabulary import Source, Step
from experiment import paired_trials, quality, repository, screening
from experiment.audio_check import save_screening
from experiment.entry import Entry, begin
from experiment.progress import settings_for
from experiment.questionnaire import QUESTIONNAIRE, save_after_trials, save_questionnaire
from experiment.trials import Answer, acknowledge_instructions, current_trial, mark_shown, submit_answer

#: Mean rating difference AI - human built into the simulation, scale points.
EMOTION_EFFECTS = {"valence": 0.0, "arousal": 0.0, "moved": -0.8, "liking": -0.5}
_THRESHOLDS = np.array([-1.5, -0.75, 0.0, 0.75, 1.5])


@dataclass(frozen=True)
class SimulatedParticipant:
    """The true parameters of one simulated participant (for checking what the results recover)."""

    participant_id: int
    d_prime: float
    criterion: float


def simulate_participants(
    session_factory: Callable,
    n: int,
    *,
    d_prime: float = 1.0,
    seed: int = 0,
    echo: Callable[[str], None] = print,
    study_slug: str | None = None,
) -> list[SimulatedParticipant]:
    """Add ``n`` completed simulated participants to the study ``study_slug`` (None: the default), one transaction each.

    Parameters
    ----------
    session_factory : callable
        ``core.db.session_scope``: a context manager yielding a session that commits on exit.
    n : int
        Participants to add.
    d_prime : float
        Mean sensitivity of the simulated listeners (0 = they cannot tell).
    seed : int
        Seeds every draw (participants, clips, answers).

    Raises
    ------
    experiment.progress.JourneyError
        When the study does not accept anonymous participants now (closed, Prolific-only, library
        not ready): simulated participants start as any anonymous visitor would.
    """
    rng = np.random.default_rng(seed)
    made: list[SimulatedParticipant] = []
    for i in range(n):
        truth = (float(rng.normal(d_prime, 0.4)), float(rng.normal(0.0, 0.3)))
        with session_factory() as session:
            participant = begin(session, Entry(study_slug=study_slug))
            participant.simulated = True
            # begin() draws the seed of the trial list and the screening from the OS; a simulation
            # draws it from its own seed, so that the same seed makes the same study.
            participant.seed = int(rng.integers(2**31))
            _walk(session, participant, truth, seed=seed, rng=rng)
            made.append(SimulatedParticipant(participant.id, *truth))
        if (i + 1) % 10 == 0 or i + 1 == n:
            echo(f"Simulated participants: {i + 1}/{n}")
    return made


def _walk(
    session: Session, participant: Participant, truth: tuple[float, float], *, seed: int, rng: np.random.Generator
) -> None:
    """One participant from consent to completion, through the journey services."""
    answers = {
        q.key: str(rng.choice(q.options)) if q.kind == "choice" else int(rng.integers(q.low, q.high + 1))
        for q in QUESTIONNAIRE
    }
    save_questionnaire(session, participant, answers)
    if participant.step == Step.AUDIO_CHECK:
        n_screening = settings_for(session, participant).screening_trials
        save_screening(session, participant, screening.screening_targets(participant.seed, n_screening))
    acknowledge_instructions(session, participant)
    rating_offset = rng.normal(0.0, 0.7, size=len(EMOTION_EFFECTS))
    while True:
        pair = paired_trials.current_pair(session, participant)
        if pair is not None:  # a paired study: both clips and the choice, as one answer
            _answer_pair(session, participant, pair, truth, rating_offset, seed, rng)
            continue
        view = current_trial(session, participant)
        if view is None:
            break
        mark_shown(session, participant, view.trial_index)
        trial = repository.trial_at(session, participant, view.trial_index)
        assert trial is not None
        task = _ClipTask(view.scales, view.scale_points, view.duration_s, view.ask_familiarity)
        answer = _answer(task, trial.clip_id, trial.clip.source == Source.AI, truth, rating_offset, seed, rng)
        # Stands in for the wall time of a real listen, which the server checks: the clip was
        # sent as long ago as the answer took (listening plus deciding).
        trial.first_shown_at = utcnow() - timedelta(milliseconds=answer.client_time_to_answer_ms or 0)
        if not view.ask_source:  # rate-only and labelled conditions ask no source question
            answer = dataclasses.replace(answer, confidence=None)
        elif view.kind == "attention":
            target = quality.attention_target(participant.seed, view.scales, view.scale_points)
            ratings: dict[str, Any] = {target.scale: target.value} if target.scale else {}
            answer = dataclasses.replace(answer, confidence=target.confidence, **ratings)
        result = submit_answer(session, participant, view.trial_index, answer)
        if result.status != "recorded":
            raise RuntimeError(f"a simulated answer was not recorded: {result.message}")
    if participant.step == Step.AFTER_TRIALS:
        save_after_trials(session, participant, answers)


def clip_draws(seed: int, clip_id: int) -> tuple[float, list[float]]:
    """A clip's fixed draws: its AI-likeness ``u_j`` and its rating offset per scale of EMOTION_EFFECTS."""
    clip_rng = random.Random(f"simulated-clip-{seed}-{clip_id}")
    return clip_rng.gauss(0.0, 0.3), [clip_rng.gauss(0.0, 0.6) for _ in EMOTION_EFFECTS]


@dataclass(frozen=True)
class _ClipTask:
    """What answering one clip asks: the scales, their points, the clip's length in seconds."""

    scales: tuple[str, ...]
    scale_points: int
    duration_s: float
    ask_familiarity: bool = False


def _answer_pair(
    session: Session,
    participant: Participant,
    pair: paired_trials.PairView,
    truth: tuple[float, float],
    rating_offset: np.ndarray,
    seed: int,
    rng: np.random.Generator,
) -> None:
    """A pair: each clip rated as a single clip is; the clip with more AI evidence is chosen as AI.

    Choosing the larger of two evidence draws is the 2AFC observer of the module's model; the
    confidence (1..3) grows with the gap between the two clips' confidence ratings.
    """
    answers, evidence = [], []
    for clip in pair.clips:
        mark_shown(session, participant, clip.trial_index)
        trial = repository.trial_at(session, participant, clip.trial_index)
        assert trial is not None
        task = _ClipTask(pair.scales, pair.scale_points, clip.duration_s)
        answer = _answer(task, trial.clip_id, trial.clip.source == Source.AI, truth, rating_offset, seed, rng)
        trial.first_shown_at = utcnow() - timedelta(milliseconds=answer.client_time_to_answer_ms or 0)
        evidence.append(int(answer.confidence or 0) + rng.random())  # ties broken at random
        answers.append(dataclasses.replace(answer, confidence=None))
    choice = 1 if evidence[0] > evidence[1] else 2
    confidence = min(3, 1 + int(abs(evidence[0] - evidence[1])) // 2)
    result = paired_trials.submit_pair(session, participant, pair.pair_trial, answers, choice, confidence)
    if result.status != "recorded":
        raise RuntimeError(f"a simulated pair was not recorded: {result.message}")


def _answer(
    view: _ClipTask,
    clip_id: int,
    is_ai: bool,
    truth: tuple[float, float],
    rating_offset: np.ndarray,
    seed: int,
    rng: np.random.Generator,
) -> Answer:
    """One trial's answer drawn from the model in the module docstring."""
    d_p, c_p = truth
    ai_likeness, clip_offsets = clip_draws(seed, clip_id)
    evidence = (d_p / 2 if is_ai else -d_p / 2) + ai_likeness + rng.normal()
    confidence = 1 + int(np.sum(c_p + _THRESHOLDS < evidence))
    middle = (1 + view.scale_points) / 2
    ratings: dict[str, Any] = {}
    for k, (scale, effect) in enumerate(EMOTION_EFFECTS.items()):
        if scale in view.scales:
            latent = middle + rating_offset[k] + clip_offsets[k] + (effect if is_ai else 0.0) + rng.normal()
            ratings[scale] = int(np.clip(round(latent), 1, view.scale_points))
    return Answer(
        confidence=confidence,
        familiar=False if view.ask_familiarity else None,
        plays=1,
        listened_s=view.duration_s,
        time_to_first_play_ms=int(rng.integers(400, 2500)),
        client_time_to_answer_ms=int(view.duration_s * 1000 + rng.integers(4000, 15000)),
        **ratings,
    )
