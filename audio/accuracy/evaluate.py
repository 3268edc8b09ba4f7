"""Score the app's extractor and the plain librosa recipe on the ground-truth sets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from audio.accuracy.scoring import Tally, plain_librosa_estimates
from audio.accuracy.sets import SAMPLE_RATE, Case
from audio.features import extract_features

ESTIMATORS: dict[str, Callable] = {"app": extract_features, "plain librosa": plain_librosa_estimates}


def evaluate_set(cases: Iterator[Case]) -> dict[str, Tally]:
    """Estimator name -> its :class:`Tally` over ``cases`` (each rendered once, scored by both)."""
    tallies = {name: Tally() for name in ESTIMATORS}
    for case in cases:
        y = case.audio()
        for name, estimate in ESTIMATORS.items():
            tallies[name].add(estimate(y, SAMPLE_RATE), case.tempo_bpm, case.key)
    return tallies


def evaluate_sets(sets: dict[str, Callable[[], Iterator[Case]]]) -> dict[str, dict[str, Tally]]:
    """Set name -> estimator name -> :class:`Tally`."""
    return {name: evaluate_set(make()) for name, make in sets.items()}
