"""Scores for tempo and key estimates, and the plain librosa reference they are compared with.

Tempo counts as right within 4 % of the true beat rate, its double or its half (the usual
"accuracy 2" of tempo evaluation: a felt beat can sit on either metrical level). Key uses the
MIREX weighted score as ``mir_eval.key.weighted_score`` defines it: 1 for the right key, 0.5 for
the same mode a perfect fifth *above* (the dominant), 0.3 for the relative key, 0.2 for the
parallel key, 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from audio.key import KEY_NAMES, KRUMHANSL_KESSLER, key_from_chroma, key_name
from audio.tempo import AMBIGUOUS_STRENGTH

__all__ = [
    "KEY_NAMES",
    "Tally",
    "key_name",
    "mirex_key_score",
    "plain_librosa_estimates",
    "tempo_correct",
    "tempo_metrically_ambiguous",
]

TEMPO_TOLERANCE = 0.04


def tempo_correct(estimate_bpm: float, true_bpm: float, tolerance: float = TEMPO_TOLERANCE) -> bool:
    """True when ``estimate_bpm`` is within ``tolerance`` (relative) of the true tempo, x2 or /2."""
    return any(abs(estimate_bpm - true_bpm * factor) <= tolerance * true_bpm * factor for factor in (0.5, 1.0, 2.0))


#: Tempo ratios that are another metrical level of the same music rather than a wrong beat: a
#: dotted or triplet grouping (3:2, 2:3) and the 4:3 / 3:4 of reels and strathspeys felt in 3 or 4.
METRICAL_RATIOS = (4 / 3, 3 / 4, 3 / 2, 2 / 3)


def tempo_metrically_ambiguous(estimate_bpm: float, true_bpm: float, tolerance: float = TEMPO_TOLERANCE) -> bool:
    """True when ``estimate_bpm`` is within ``tolerance`` of a 4:3, 3:4, 3:2 or 2:3 multiple of the truth.

    Not counted as right by :func:`tempo_correct`; reported beside it, as the metrical ambiguity it is.
    """
    return any(abs(estimate_bpm - true_bpm * ratio) <= tolerance * true_bpm * ratio for ratio in METRICAL_RATIOS)


def mirex_key_score(est_tonic: int, est_major: int, true_tonic: int, true_major: int) -> float:
    """MIREX weighted key score (tonics are pitch classes 0 = C ... 11 = B; major is 1 or 0)."""
    interval = (est_tonic - true_tonic) % 12
    if est_major == true_major:
        return 1.0 if interval == 0 else 0.5 if interval == 7 else 0.0
    if (true_major and interval == 9) or (not true_major and interval == 3):
        return 0.3
    return 0.2 if interval == 0 else 0.0


def plain_librosa_estimates(y: np.ndarray, sr: int) -> dict[str, float]:
    """The straightforward recipe: ``chroma_cqt`` of the whole signal averaged over time, matched to
    the Krumhansl-Kessler profiles (Krumhansl-Schmuckler), and ``librosa.feature.tempo`` of ``y``.

    Parameters
    ----------
    y : np.ndarray, shape (n,) or (n, channels)
    sr : int
        Hz.
    """
    mono = np.ascontiguousarray(y.mean(axis=1) if y.ndim == 2 else y, dtype=np.float32)
    chroma = librosa.feature.chroma_cqt(y=mono, sr=sr).mean(axis=1)
    tonic, major, _ = key_from_chroma(chroma, KRUMHANSL_KESSLER)
    tempo = float(np.atleast_1d(librosa.feature.tempo(y=mono, sr=sr))[0])
    return {"key_estimate": tonic, "key_mode_estimate": major, "tempo_estimate_bpm": tempo}


@dataclass
class Tally:
    """Running scores of one estimator on one set."""

    tempo_right: int = 0
    tempo_metrical: int = 0
    tempo_flagged: int = 0  # the estimator said the tempo is ambiguous (plain librosa never does)
    tempo_total: int = 0
    key_exact: int = 0
    key_weighted: float = 0.0
    key_total: int = 0

    def add(self, estimates: dict[str, float], true_bpm: float | None, true_key: tuple[int, int] | None) -> None:
        if true_bpm is not None:
            self.tempo_total += 1
            right = tempo_correct(estimates["tempo_estimate_bpm"], true_bpm)
            self.tempo_right += right
            self.tempo_metrical += not right and tempo_metrically_ambiguous(estimates["tempo_estimate_bpm"], true_bpm)
            self.tempo_flagged += estimates.get("tempo_alternative_strength", 0.0) >= AMBIGUOUS_STRENGTH
        if true_key is not None:
            est = (int(estimates["key_estimate"]), int(estimates["key_mode_estimate"]))
            self.key_total += 1
            self.key_exact += est == true_key
            self.key_weighted += mirex_key_score(*est, *true_key)

    @property
    def tempo_accuracy(self) -> float:
        return self.tempo_right / self.tempo_total if self.tempo_total else float("nan")

    @property
    def tempo_metrical_share(self) -> float:
        """Share of clips whose tempo is off by 4:3, 3:4, 3:2 or 2:3 (metrically ambiguous, not right)."""
        return self.tempo_metrical / self.tempo_total if self.tempo_total else float("nan")

    @property
    def tempo_flagged_share(self) -> float:
        """Share of clips whose tempo the estimator called ambiguous (an alternative reading nearly as strong)."""
        return self.tempo_flagged / self.tempo_total if self.tempo_total else float("nan")

    @property
    def key_accuracy(self) -> float:
        return self.key_exact / self.key_total if self.key_total else float("nan")

    @property
    def key_mirex(self) -> float:
        return self.key_weighted / self.key_total if self.key_total else float("nan")
