"""Tempo of a clip, and the other metrical reading of its beat when the music allows two.

``librosa.feature.tempo`` picks the lag with the highest onset autocorrelation (mean over 8 s
windows) weighted by a log-normal prior around 120 BPM, one octave wide. A strathspey's dotted
rhythm (a dotted eighth and a sixteenth, then the Scotch snap) has onsets three quarters of a beat
apart as often as a beat apart, so that peak at 4:3 of the beat wins about half the time (92 ->
123 BPM; 12 of 24 clips of the development strathspey set, every error a 4:3). A beat is also a
period whose double repeats (two beats, half a bar), while the 4:3 reading's double falls between
onsets, so :func:`tempo_readings` scores each lag by the autocorrelation at the lag *plus* at twice
the lag, with librosa's prior: 24 of 24 on that set, and no change on the development chorales and
produced pop set (chosen there only; ``benchmarks/feature_accuracy.py`` scores the held-out sets).

Music can still be felt at two metrical levels, so :func:`tempo_readings` also returns the
strongest *other* reading (a peak of the same score that is not the estimate, its double or half)
and its strength relative to the estimate, so a clip's facts can say "92 BPM, or 123 BPM (4:3)".
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from core.config import configure_numba_cache

configure_numba_cache()

import librosa  # noqa: E402  (the numba cache location must be set first)
import numpy as np  # noqa: E402

#: librosa.feature.tempo's defaults, repeated because the alternative is read from the same curve.
_AC_SIZE_S = 8.0
_START_BPM = 120.0
_STD_OCTAVES = 1.0
_MAX_BPM = 320.0
#: Weight of the autocorrelation at twice the lag: 1 (equal) was chosen on the development sets.
DOUBLE_LAG_WEIGHT = 1.0
#: Readings within this relative distance of the estimate x 1/4, 1/2, 1, 2 or 4 are the same beat.
_SAME_BEAT_TOLERANCE = 0.04
#: Alternative strength at or above which a clip's tempo is called ambiguous: the alternative's
#: prior-weighted autocorrelation is at least 80 % of the estimate's.
AMBIGUOUS_STRENGTH = 0.8


class TempoReadings(NamedTuple):
    """The tempo estimate and the strongest other metrical reading of the beat.

    Attributes
    ----------
    tempo_bpm : float
        ``librosa.feature.tempo``'s estimate, BPM.
    alternative_bpm : float
        The strongest reading that is not ``tempo_bpm``, its double or half, BPM (0 when none).
    alternative_strength : float
        Its prior-weighted autocorrelation divided by the estimate's, 0..1 (1: equally likely).
    """

    tempo_bpm: float
    alternative_bpm: float
    alternative_strength: float

    @property
    def ambiguous(self) -> bool:
        """True when the alternative is nearly as strong as the estimate (:data:`AMBIGUOUS_STRENGTH`)."""
        return self.alternative_strength >= AMBIGUOUS_STRENGTH


def tempo_readings(
    onset_envelope: np.ndarray, sr: int, hop_length: int, double_lag_weight: float = DOUBLE_LAG_WEIGHT
) -> TempoReadings:
    """Tempo and its strongest other metrical reading from an onset-strength envelope.

    Parameters
    ----------
    onset_envelope : np.ndarray, shape (n_frames,)
        ``librosa.onset.onset_strength`` of the clip.
    sr : int
        Sample rate of the audio, Hz.
    hop_length : int
        Samples between envelope frames.
    double_lag_weight : float
        Weight of the autocorrelation at twice the lag (0: librosa's estimate).

    Returns
    -------
    TempoReadings
        With ``double_lag_weight=0`` ``tempo_bpm`` equals ``librosa.feature.tempo``'s estimate.
    """
    win_length = int(librosa.time_to_frames(_AC_SIZE_S, sr=sr, hop_length=hop_length))
    autocorrelation = librosa.feature.tempogram(
        onset_envelope=onset_envelope, sr=sr, hop_length=hop_length, win_length=win_length
    ).mean(axis=1)
    doubled = np.zeros_like(autocorrelation)
    doubled[: (win_length + 1) // 2] = autocorrelation[::2][: (win_length + 1) // 2]  # lag k -> 2k
    bpms = librosa.tempo_frequencies(win_length, hop_length=hop_length, sr=sr)
    with np.errstate(divide="ignore"):  # bin 0 is infinitely fast (lag 0)
        log_prior = -0.5 * ((np.log2(bpms) - np.log2(_START_BPM)) / _STD_OCTAVES) ** 2
    log_prior[bpms >= _MAX_BPM] = -np.inf
    # librosa's score (its argmax is librosa's estimate) with the double lag's support added.
    score = np.log1p(1e6 * (autocorrelation + double_lag_weight * doubled)) + log_prior
    best = int(np.argmax(score))
    tempo = float(bpms[best])
    peaks = np.flatnonzero((score[1:-1] > score[:-2]) & (score[1:-1] >= score[2:])) + 1
    same_beat = np.array([tempo * factor for factor in (0.25, 0.5, 1.0, 2.0, 4.0)])
    others = [
        peak
        for peak in peaks
        if np.isfinite(score[peak]) and np.all(np.abs(bpms[peak] - same_beat) > _SAME_BEAT_TOLERANCE * same_beat)
    ]
    if not others:
        return TempoReadings(tempo, 0.0, 0.0)
    alternative = max(others, key=lambda peak: score[peak])
    strength = float(np.clip(np.exp(score[alternative] - score[best]), 0.0, 1.0))
    return TempoReadings(tempo, float(bpms[alternative]), strength)


def describe_tempo(tempo_bpm: float, alternative_bpm: float | None = None, strength: float | None = None) -> str:
    """A clip's tempo for people: ``"92 BPM"``, or ``"123 BPM, or 92 BPM (3:4, ambiguous)"`` when the
    alternative reading is at least :data:`AMBIGUOUS_STRENGTH` as strong (features from before the
    alternative was stored pass None)."""
    text = f"{tempo_bpm:.0f} BPM"
    if not alternative_bpm or strength is None or not np.isfinite(strength) or strength < AMBIGUOUS_STRENGTH:
        return text
    ratio = Fraction(alternative_bpm / tempo_bpm).limit_denominator(4)
    return f"{text}, or {alternative_bpm:.0f} BPM ({ratio.numerator}:{ratio.denominator}, ambiguous)"
