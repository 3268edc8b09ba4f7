"""A variable-order Markov model of four-voice chorale textures, and a verbatim-copy check.

Each eighth-note grid step is one *state* (:class:`GridState`): the four sounding pitches,
which of them start now, the position in the bar and the fermata flag. A chorale is a
sequence of state ids; the model counts which state followed which context, separately for
major and minor pieces, at two levels of detail:

exact
    the last 1..``max_order`` states themselves;
harmonic
    the last 1..``harmonic_max_order`` states described only by bar position, fermata,
    bass and soprano pitch class and the chord's pitch-class set (then, at orders 2 and 1,
    a coarser view without the soprano). Different voicings of the same progression share
    these contexts, which lets the model recombine its training pieces instead of replaying
    them.

Generation takes the most specific context the training pieces continued in at least
``min_choices`` different admissible ways (a context with a single continuation could only
replay its piece), falling back to the exact previous state as a last resort. A candidate
next state is admissible when held voices keep their pitch, it makes no parallel fifths or
octaves, no voice leaps more than a fifth (the bass an octave), and it respects the phrase
rule; the last two are waived only when nothing else is left. The phrase rule: a fermata
(phrase end) needs at least ``min_phrase_steps`` of phrase before it, after
``long_phrase_steps`` cadences are favoured ``cadence_weight`` times, and after
``max_phrase_steps`` the most specific context that can cadence does, because chorale
phrases are mostly two bars long.

A Markov model can still string together long stretches of one training piece, so
:func:`longest_shared_run` measures the longest run of consecutive states a generated piece
shares with any training piece; the demo rejects and resamples pieces above a threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from audio.demo.corpus import VOICES, ChoraleGrid

MODEL_VERSION = "1"

START = -1
END = -2
_MODES = ("major", "minor")
_MAX_LEAP = (7, 7, 7, 12)  # semitones per voice (S, A, T, B) between consecutive chords
_PERFECT = (0, 7)  # interval classes of octaves/unisons and fifths


@dataclass(frozen=True)
class GridState:
    """One grid step: pitches (S, A, T, B; 0 = rest), onset flags, bar position, fermata."""

    pitches: tuple[int, ...]  # one per voice, S A T B
    onsets: tuple[bool, ...]  # one per voice, S A T B
    bar_position: int
    fermata: bool

    def harmony(self, with_soprano: bool) -> tuple:
        """The state seen as harmony: bar position, fermata, bass (and soprano) pitch class, pitch-class set."""
        sounding = [p for p in self.pitches if p]
        pitch_classes = tuple(sorted({p % 12 for p in sounding}))
        bass = self.pitches[3] % 12 if self.pitches[3] else -1
        soprano = (self.pitches[0] % 12 if self.pitches[0] else -1) if with_soprano else None
        return (self.bar_position, self.fermata, bass, soprano, pitch_classes)


@dataclass
class StateVocabulary:
    """A two-way mapping between :class:`GridState` and consecutive integer ids (from 0)."""

    states: list[GridState] = field(default_factory=list)
    ids: dict[GridState, int] = field(default_factory=dict)

    def id_of(self, state: GridState) -> int:
        """The id of ``state``, adding it to the vocabulary when new."""
        found = self.ids.get(state)
        if found is None:
            found = self.ids[state] = len(self.states)
            self.states.append(state)
        return found

    def encode(self, chorale: ChoraleGrid) -> np.ndarray:
        """State ids of a chorale, shape (n_steps,), int64."""
        return np.array(
            [
                self.id_of(
                    GridState(
                        pitches=tuple(int(p) for p in chorale.pitches[step]),
                        onsets=tuple(bool(o) for o in chorale.onsets[step]),
                        bar_position=int(chorale.bar_positions[step]),
                        fermata=bool(chorale.fermatas[step]),
                    )
                )
                for step in range(chorale.n_steps)
            ],
            dtype=np.int64,
        )

    def decode(self, state_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Grid arrays of a state-id sequence.

        Returns
        -------
        pitches : np.ndarray, shape (n, 4), int16
        onsets : np.ndarray, shape (n, 4), bool
        fermatas : np.ndarray, shape (n,), bool
        bar_positions : np.ndarray, shape (n,), int8
        """
        states = [self.states[int(i)] for i in state_ids]
        n = len(states)
        pitches = np.array([s.pitches for s in states], dtype=np.int16).reshape(n, len(VOICES))
        onsets = np.array([s.onsets for s in states], dtype=bool).reshape(n, len(VOICES))
        fermatas = np.array([s.fermata for s in states], dtype=bool)
        bar_positions = np.array([s.bar_position for s in states], dtype=np.int8)
        return pitches, onsets, fermatas, bar_positions


# Transition tables: (mode, view, context tuple) -> {next state id or END: count}.
Transitions = dict[tuple, dict[int, int]]


@dataclass
class ChoraleMarkovModel:
    """A fitted model; see the module docstring for how it generates."""

    vocabulary: StateVocabulary
    training_sequences: list[np.ndarray]
    training_modes: list[str]
    transitions: Transitions
    max_order: int = 8
    harmonic_max_order: int = 3
    min_choices: int = 2
    min_phrase_steps: int = 10
    long_phrase_steps: int = 16
    max_phrase_steps: int = 22
    cadence_weight: float = 8.0

    @property
    def n_training_pieces(self) -> int:
        return len(self.training_sequences)

    def view(self, token: int, level: str) -> object:
        """``token`` as seen by a context level: "exact", "harmony" or "bass_harmony"."""
        if token < 0 or level == "exact":
            return token
        return self.vocabulary.states[token].harmony(with_soprano=level == "harmony")

    def context_levels(self) -> list[tuple[str, int]]:
        """(level, order) pairs from the most to the least specific context, order-1 exact last."""
        return (
            [("exact", order) for order in range(self.max_order, 1, -1)]
            + [("harmony", order) for order in range(self.harmonic_max_order, 0, -1)]
            + [("bass_harmony", order) for order in range(min(2, self.harmonic_max_order), 0, -1)]
            + [("exact", 1)]
        )


def fit(chorales: list[ChoraleGrid], **settings) -> ChoraleMarkovModel:
    """Count the state transitions of ``chorales`` at every context level and order.

    Parameters
    ----------
    chorales : list of ChoraleGrid
        Training pieces, already in C major / A minor.
    **settings
        Any :class:`ChoraleMarkovModel` setting (``max_order``, ``min_choices`` ...).
    """
    if not chorales:
        raise ValueError("the Markov model needs at least one training chorale")
    vocabulary = StateVocabulary()
    model = ChoraleMarkovModel(
        vocabulary=vocabulary,
        training_sequences=[vocabulary.encode(chorale) for chorale in chorales],
        training_modes=[chorale.mode for chorale in chorales],
        transitions={},
        **settings,
    )
    counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    levels = sorted({level for level, _ in model.context_levels()})
    for mode, sequence in zip(model.training_modes, model.training_sequences):
        tokens = [START, *sequence.tolist(), END]
        for level in levels:
            seen = [model.view(token, level) for token in tokens]
            max_order = model.max_order if level == "exact" else model.harmonic_max_order
            for position in range(1, len(tokens)):
                for order in range(1, min(max_order, position) + 1):
                    counts[(mode, level, tuple(seen[position - order : position]))][tokens[position]] += 1
    model.transitions = {key: dict(nexts) for key, nexts in counts.items()}
    return model


def _holds_consistently(current: GridState, candidate: GridState) -> bool:
    """Voices the candidate holds (no onset) keep the pitch they have now."""
    return all(
        candidate.onsets[voice] or candidate.pitches[voice] == current.pitches[voice] for voice in range(len(VOICES))
    )


def _within_leaps(current: GridState, candidate: GridState) -> bool:
    """No voice leaps further than :data:`_MAX_LEAP` (rests excepted)."""
    return all(
        not (current.pitches[voice] and candidate.pitches[voice])
        or abs(candidate.pitches[voice] - current.pitches[voice]) <= _MAX_LEAP[voice]
        for voice in range(len(VOICES))
    )


def _no_parallel_perfects(current: GridState, candidate: GridState) -> bool:
    """No two voices that both move keep a fifth or an octave (unison) between them."""
    now, then = current.pitches, candidate.pitches
    for upper in range(len(VOICES)):
        for lower in range(upper + 1, len(VOICES)):
            if not (now[upper] and now[lower] and then[upper] and then[lower]):
                continue
            both_move = then[upper] != now[upper] and then[lower] != now[lower]
            interval = (now[upper] - now[lower]) % 12
            if both_move and interval in _PERFECT and (then[upper] - then[lower]) % 12 == interval:
                return False
    return True


def _phrase_weight(
    model: ChoraleMarkovModel, current: GridState | None, candidate: GridState, phrase_steps: int
) -> float:
    """Weight factor from the phrase rule (0 forbids the candidate)."""
    starts_cadence = candidate.fermata and not (current is not None and current.fermata)
    if not starts_cadence:
        return 1.0
    if phrase_steps < model.min_phrase_steps:
        return 0.0
    return model.cadence_weight if phrase_steps >= model.long_phrase_steps else 1.0


def _admissible_options(
    model: ChoraleMarkovModel,
    continuations: dict[int, int],
    current: GridState | None,
    phrase_steps: int,
    pass_name: str,
) -> tuple[list[int], list[float]]:
    """The admissible next states of one context and their sampling weights.

    ``pass_name`` is "cadence" (only phrase endings), "strict" (all rules) or "relaxed"
    (leaps and the phrase rule waived: the way out of a rare dead end).
    """
    states = model.vocabulary.states
    options, weights = [], []
    for token in sorted(continuations):
        if token == END:  # the piece must reach the requested length
            continue
        candidate = states[token]
        if pass_name == "cadence" and not candidate.fermata:
            continue
        if current is not None:
            if not (_holds_consistently(current, candidate) and _no_parallel_perfects(current, candidate)):
                continue
            if pass_name != "relaxed" and not _within_leaps(current, candidate):
                continue
        if pass_name == "relaxed":
            options.append(token)
            weights.append(float(continuations[token]))
            continue
        weight = continuations[token] * _phrase_weight(model, current, candidate, phrase_steps)
        if weight > 0:
            options.append(token)
            weights.append(weight)
    return options, weights


def _choose_next(
    model: ChoraleMarkovModel, mode: str, history: list[int], phrase_steps: int, rng: np.random.Generator
) -> int | None:
    """Sample the next state id from the most specific usable context; None at a dead end.

    When the phrase is overdue (``max_phrase_steps``), a first pass looks only for a cadence,
    in the most specific context that offers one. The strict pass then takes the first context
    with ``min_choices`` admissible options (or any, at the last level). If every candidate
    breaks a rule, a relaxed pass keeps only held-voice consistency rather than give up.
    """
    current = model.vocabulary.states[history[-1]] if history[-1] >= 0 else None
    overdue = current is not None and not current.fermata and phrase_steps >= model.max_phrase_steps
    levels = model.context_levels()
    passes = ("cadence", "strict", "relaxed") if overdue else ("strict", "relaxed")
    for pass_name in passes:
        for index, (level, order) in enumerate(levels):
            if order > len(history):
                continue
            context = tuple(model.view(token, level) for token in history[-order:])
            continuations = model.transitions.get((mode, level, context))
            if not continuations:
                continue
            options, weights = _admissible_options(model, continuations, current, phrase_steps, pass_name)
            enough = len(options) >= model.min_choices or pass_name != "strict" or index == len(levels) - 1
            if options and enough:
                probabilities = np.asarray(weights, dtype=float)
                return options[int(rng.choice(len(options), p=probabilities / probabilities.sum()))]
    return None


def generate(
    model: ChoraleMarkovModel, *, n_steps: int, mode: str, rng: np.random.Generator, max_attempts: int = 50
) -> np.ndarray:
    """Generate ``n_steps`` state ids that open like a chorale in ``mode``.

    Parameters
    ----------
    model : ChoraleMarkovModel
    n_steps : int
        Length in eighth-note steps.
    mode : {"major", "minor"}
    rng : numpy.random.Generator
        The only source of randomness (same generator state -> same piece).
    max_attempts : int
        Restarts allowed when generation reaches a dead end (a state whose every observed
        continuation is inadmissible).

    Returns
    -------
    np.ndarray, shape (n_steps,), int64
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be 'major' or 'minor', not {mode!r}")
    if mode not in model.training_modes:
        raise ValueError(f"the model has no {mode} training chorale")
    states = model.vocabulary.states
    for _ in range(max_attempts):
        history = [START]
        phrase_steps = 0
        while len(history) <= n_steps:
            token = _choose_next(model, mode, history, phrase_steps, rng)
            if token is None:
                break
            cadence_over = history[-1] >= 0 and states[history[-1]].fermata and not states[token].fermata
            phrase_steps = 0 if cadence_over else phrase_steps + 1
            history.append(token)
        else:
            return np.array(history[1:], dtype=np.int64)
    raise RuntimeError(f"no {n_steps}-step {mode} piece after {max_attempts} attempts")


def longest_shared_run(sequence: np.ndarray, others: list[np.ndarray]) -> int:
    """Longest run of consecutive equal states that ``sequence`` shares with any of ``others``.

    The longest common substring, by dynamic programming one element of ``sequence`` at a
    time over all ``others`` concatenated (with separators so no run spans two pieces).

    Parameters
    ----------
    sequence : np.ndarray, shape (n,), int
        State ids of the generated piece.
    others : list of np.ndarray, int
        State ids of each training piece (non-negative ids).

    Returns
    -------
    int
        Length of the longest shared run, in grid steps (eighth notes).
    """
    if len(sequence) == 0 or not others:
        return 0
    separator = np.array([-1], dtype=np.int64)
    joined = np.concatenate([part for other in others for part in (np.asarray(other, dtype=np.int64), separator)])
    previous = np.zeros(joined.size + 1, dtype=np.int32)
    longest = 0
    for state in np.asarray(sequence, dtype=np.int64):
        current = np.zeros_like(previous)
        matches = joined == state
        current[1:][matches] = previous[:-1][matches] + 1
        longest = max(longest, int(current.max()))
        previous = current
    return longest
