"""Damage an original can carry into a clip: digital silence at its edges, clipping and DC offset.

Measured on the decoded original (its own sample rate and channels), before any processing:

* :func:`sounding_extent`: where the sound starts and ends, so the excerpt is cut from the
  sounding part and never begins or ends in digital silence (a human file ending in 3 s of
  silence would otherwise be told from the AI clips by its silent end).
* :func:`clipping_facts`: runs of full-scale samples (the flat tops a clipped master has) and
  the true peak (inter-sample overs), for a warning at import: normalisation lowers the level
  but cannot undo the distortion, which listeners can hear.
* :func:`remove_dc`: the mean and everything below 20 Hz removed (a zero-phase Butterworth
  high-pass, scipy.signal): a DC offset wastes headroom, so the same music peaks higher and is
  held further below the loudness target by the true-peak ceiling.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

#: A sample counts as digital silence at or below this level, dBFS (-80 dBFS: below the dither
#: of 16-bit audio, ~-90 dBFS, with room for an MP3 decoder's noise, and far below any music).
SILENCE_DBFS = -80.0

#: Digital silence at an excerpt's edge shorter than this is not a silence anyone hears (a
#: synthesiser's first sample sounds 0.4 ms in, an MP3 encoder primes ~26 ms), seconds: an excerpt
#: may start or end that close to the sounding part. 50 ms is a fifth of the shortest silence the
#: balance report counts (0.25 s).
EDGE_TOLERANCE_S = 0.05

#: A sample counts as full scale at or above this magnitude (32767/32768 of 16-bit audio is 0.99997).
FULL_SCALE = 0.999

#: Consecutive full-scale samples that make a clipped run (Audacity's "Find Clipping" default: 3).
CLIPPED_RUN_SAMPLES = 3

#: Clipped runs in an excerpt from which import warns: one or two can be a hot but clean master,
#: ten in 20-30 s are audible distortion (a master clipped by +12 dB has thousands).
CLIPPED_RUNS_WARNING = 10

#: True peak of the original from which import warns, dBTP: a clean master peaks at most a few
#: tenths of a dB over full scale between samples; +1 dBTP and more means flat-topped waveforms.
TRUE_PEAK_WARNING_DBTP = 1.0

#: DC offset (mean sample value) from which the removal is named in the import warnings.
DC_WARNING = 0.01

#: High-pass corner removing DC and sub-audio drift, Hz (below the 20 Hz floor of hearing).
HIGH_PASS_HZ = 20.0
_HIGH_PASS_ORDER = 2  # applied forwards and backwards: 4th-order magnitude, no phase shift


@dataclass(frozen=True)
class SoundingExtent:
    """Where an original has sound: the first and last sample above :data:`SILENCE_DBFS`, seconds."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sounding sample."""
        return max(self.end_s - self.start_s, 0.0)


class ExtentTracker:
    """Find the first and last sounding sample of a stream decoded block by block.

    Call :meth:`update` with every block, in order, then read :meth:`extent`.
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._threshold = 10.0 ** (SILENCE_DBFS / 20.0)
        self._seen = 0
        self._first: int | None = None
        self._last: int | None = None

    def update(self, block: np.ndarray) -> None:
        """Take the next ``block``, shape (n_frames, channels)."""
        sounding = np.flatnonzero(np.max(np.abs(block), axis=1) > self._threshold)
        if sounding.size:
            if self._first is None:
                self._first = self._seen + int(sounding[0])
            self._last = self._seen + int(sounding[-1])
        self._seen += block.shape[0]

    def extent(self) -> SoundingExtent:
        """The sounding extent; an empty one at 0 s when nothing sounded."""
        if self._first is None or self._last is None:
            return SoundingExtent(0.0, 0.0)
        return SoundingExtent(self._first / self.sample_rate, (self._last + 1) / self.sample_rate)


@dataclass(frozen=True)
class ClippingFacts:
    """Signs of clipping in an excerpt of the original.

    Attributes
    ----------
    clipped_runs : int
        Runs of at least :data:`CLIPPED_RUN_SAMPLES` consecutive samples at full scale, all channels.
    clipped_samples : int
        Samples in those runs.
    sample_peak_dbfs : float
        Largest sample magnitude, dBFS.
    true_peak_dbtp : float
        Largest magnitude after 4x oversampling, dBTP.
    dc_offset : float
        Largest per-channel mean, in full-scale units (signed).
    """

    clipped_runs: int
    clipped_samples: int
    sample_peak_dbfs: float
    true_peak_dbtp: float
    dc_offset: float

    def warnings(self) -> list[str]:
        """Plain-language import warnings (empty for a clean excerpt)."""
        found = []
        if self.clipped_runs >= CLIPPED_RUNS_WARNING or self.true_peak_dbtp >= TRUE_PEAK_WARNING_DBTP:
            found.append(
                f"the original looks clipped ({self.clipped_runs} run(s) of {CLIPPED_RUN_SAMPLES}+ full-scale "
                f"samples, true peak {self.true_peak_dbtp:+.1f} dBTP in the excerpt); normalisation cannot undo "
                "the distortion, and listeners may hear it: use an unclipped master if there is one"
            )
        if abs(self.dc_offset) >= DC_WARNING:
            found.append(f"a DC offset of {self.dc_offset:+.3f} (full scale = 1) was removed")
        return found

    def to_dict(self) -> dict:
        """JSON-safe (infinite peaks of silence become None)."""
        return {
            key: (value if not isinstance(value, float) or math.isfinite(value) else None)
            for key, value in asdict(self).items()
        }


def clipped_runs(samples: np.ndarray) -> tuple[int, int]:
    """Runs of :data:`CLIPPED_RUN_SAMPLES` or more consecutive full-scale samples.

    Parameters
    ----------
    samples : np.ndarray, shape (n_frames, channels)

    Returns
    -------
    runs, run_samples : int
        How many runs (over all channels) and how many samples they hold.
    """
    at_full_scale = np.abs(samples) >= FULL_SCALE
    runs = total = 0
    for channel in at_full_scale.T:
        edges = np.diff(np.concatenate(([0], channel.astype(np.int8), [0])))
        lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
        long_enough = lengths[lengths >= CLIPPED_RUN_SAMPLES]
        runs += int(long_enough.size)
        total += int(long_enough.sum())
    return runs, total


def clipping_facts(samples: np.ndarray, sr: int, true_peak_dbtp: float) -> ClippingFacts:
    """Clipping and DC facts of an excerpt of the original.

    Parameters
    ----------
    samples : np.ndarray, shape (n_frames, channels)
        The excerpt as decoded, before any processing.
    sr : int
        Its sample rate, Hz.
    true_peak_dbtp : float
        Its true peak, dBTP (the caller's 4x-oversampled measurement).
    """
    runs, run_samples = clipped_runs(samples)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    means = samples.mean(axis=0) if samples.size else np.zeros(1)
    return ClippingFacts(
        clipped_runs=runs,
        clipped_samples=run_samples,
        sample_peak_dbfs=20.0 * math.log10(peak) if peak > 0 else -math.inf,
        true_peak_dbtp=float(true_peak_dbtp),
        dc_offset=float(means[int(np.argmax(np.abs(means)))]),
    )


def remove_dc(y: np.ndarray, sr: int) -> np.ndarray:
    """Remove the mean and everything below :data:`HIGH_PASS_HZ` (zero-phase Butterworth high-pass).

    The mean is subtracted first, so a constant offset leaves no edge transient; the filter then
    removes slow drift. ``sosfiltfilt`` runs it forwards and backwards: no phase shift of the bass.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames, channels)
    sr : int
        Sample rate, Hz.

    Returns
    -------
    np.ndarray, same shape, float64 (a new array).
    """
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean(axis=0, keepdims=True)
    if y.shape[0] < 16:
        return y
    from scipy import signal  # here, not at import: scipy.signal costs seconds at every replica start

    sos = signal.butter(_HIGH_PASS_ORDER, HIGH_PASS_HZ, btype="highpass", fs=sr, output="sos")
    return signal.sosfiltfilt(sos, y, axis=0, padlen=min(y.shape[0] - 1, sr // 10))
