"""The smallest difference between human and AI clips a listener could hear, feature by feature.

A balance flag needs two things: the difference is beyond chance (the statistical threshold,
:mod:`audio.balance.effect_sizes`) and it is large enough to hear (the audible threshold here).
With many clips, a tiny difference becomes significant (0.001 LU of loudness after
normalisation), but nobody can use it to tell the sources apart; with few clips, a large
difference may not be beyond chance and is listed as a note to listen to instead.

The audible threshold compares the difference of the two sources' means, in the feature's own
unit, with the smallest step listeners notice (a just-noticeable difference, JND) or, where a
feature has no perceptual scale, the smallest step that changes the sound in a way its unit can
describe. Each entry says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AudibleThreshold:
    """The smallest difference of means worth a flag, in the feature's unit, and why."""

    minimum: float
    unit: str
    why: str

    def describe(self) -> str:
        """E.g. ``"0.5 LU"``."""
        return f"{self.minimum:g}{' ' + self.unit if self.unit else ''}"


# (name pattern, threshold); the first match wins, so specific names come first.
_THRESHOLDS: tuple[tuple[str, AudibleThreshold], ...] = (
    (
        r"^duration_s$",
        AudibleThreshold(0.1, "s", "listeners notice a clip ending 0.1 s earlier or later (the issue's floor)"),
    ),
    (
        r"silence_s$",
        AudibleThreshold(0.25, "s", "a gap of a quarter second at a clip's edge or inside it is heard as a pause"),
    ),
    (
        r"^loudness_(after_lufs|lufs|before_lufs)$",
        AudibleThreshold(0.5, "LU", "loudness JND is about 0.5-1 dB for music (EBU R 128 allows +-0.5 LU)"),
    ),
    (r"true_peak", AudibleThreshold(1.0, "dB", "a 1 dB change of peak level (crest factor) is about one level JND")),
    (r"dynamic_range", AudibleThreshold(1.0, "dB", "level JND, about 1 dB, applied to the loud-quiet span")),
    (r"^rms_db", AudibleThreshold(0.5, "dB", "level JND for music, about 0.5-1 dB")),
    (
        r"^bandwidth_hz$",
        AudibleThreshold(1000.0, "Hz", "a low-pass moved by 1 kHz above 11 kHz is the smallest step codec tests hear"),
    ),
    (
        r"centroid",
        AudibleThreshold(100.0, "Hz", "brightness JND is about 5 % of the centroid, ~100 Hz at 2 kHz"),
    ),
    (r"roll_?off_99", AudibleThreshold(500.0, "Hz", "the top of the spectrum: as for bandwidth, but finer (0.5 kHz)")),
    (r"roll_?off", AudibleThreshold(200.0, "Hz", "5 % of a typical 4 kHz roll-off, as for the centroid")),
    (r"spectral_bandwidth", AudibleThreshold(100.0, "Hz", "spread of the spectrum: as for the centroid")),
    (r"flatness", AudibleThreshold(0.02, "", "tonal music reads 0.001-0.05; 0.02 is a clearly noisier texture")),
    (r"contrast", AudibleThreshold(1.0, "dB", "level JND, about 1 dB, applied to peak-valley contrast")),
    (
        r"zero_crossing",
        AudibleThreshold(0.005, "per sample", "0.005 crossings per sample is a 110 Hz shift of the dominant frequency"),
    ),
    (r"onset_rate", AudibleThreshold(0.25, "per s", "one more note attack every 4 s is audibly busier")),
    (
        r"tempo_alternative_strength",
        AudibleThreshold(0.1, "", "a tenth of the way from a beat felt one way (0) to two equally (1)"),
    ),
    (r"tempo", AudibleThreshold(4.0, "bpm", "tempo JND is about 4 % (about 4 bpm at 100 bpm)")),
    (r"key_mode", AudibleThreshold(0.2, "share", "one clip in five more in a major key changes the library's mood")),
    (r"key_clarity", AudibleThreshold(0.05, "", "a tenth of the spread between atonal (0.3) and plain tonal (0.9)")),
    (
        r"harmonic_percussive",
        AudibleThreshold(2.0, "dB", "two level JNDs in the balance of sustained and struck sound"),
    ),
    (r"stereo_width", AudibleThreshold(0.05, "", "side energy changed by 5 % of the total: about 1 dB of side level")),
    (
        r"^mfcc_1_mean$",
        AudibleThreshold(11.3, "", "MFCC 1 is sqrt(128) times the mean mel level in dB: 11.3 = 1 dB, one level JND"),
    ),
    (
        r"^mfcc_\d+_mean$",
        AudibleThreshold(
            8.0, "", "a cosine ripple of 1 dB (one level JND) across the 128 mel bands moves a coefficient by 8"
        ),
    ),
    (
        r"^chroma_",
        AudibleThreshold(0.1, "", "a pitch class sounding a tenth more of the time (chroma is 0..1 per frame)"),
    ),
)


def audible_threshold(feature: str) -> AudibleThreshold | None:
    """The audible threshold of ``feature`` (name without the ``feat_`` prefix), or None if unknown.

    A feature without one is never flagged (a difference nobody can describe as heard is a note).
    """
    return next((threshold for pattern, threshold in _THRESHOLDS if re.search(pattern, feature)), None)
