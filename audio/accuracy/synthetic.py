"""Synthetic clips with known tempo and key: chord progressions in all 24 keys and click tracks.

Progressions are block chords (bass on the root in octaves 2-3, a close triad around middle C),
rendered by the demo synthesiser: the chord is struck on every beat and changes every bar, so
the beat (quarter note) is the tempo. "With drums" adds kick (beats 1, 3), snare (2, 4) and
closed hi-hat (every eighth): broadband, partly pitched energy a key estimate must ignore.
Minor keys use the harmonic minor's major dominant, as tonal music does.
"""

from __future__ import annotations

import numpy as np

from audio.demo.synth import SAMPLE_RATE, NoteEvent, render_events

#: Progressions as (root offset from the tonic in semitones, quality) per bar.
MAJOR_PROGRESSIONS = {
    "I-IV-V-I": [(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")],
    "I-vi-IV-V-I": [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj"), (0, "maj")],
    "I-ii-V-I": [(0, "maj"), (2, "min"), (7, "maj"), (0, "maj")],
}
MINOR_PROGRESSIONS = {
    "i-iv-V-i": [(0, "min"), (5, "min"), (7, "maj"), (0, "min")],
    "i-VI-iv-V-i": [(0, "min"), (8, "maj"), (5, "min"), (7, "maj"), (0, "min")],
    "i-iio-V-i": [(0, "min"), (2, "dim"), (7, "maj"), (0, "min")],
}
_TRIADS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6)}
_DRUM_SEED = 7  # fixed noise: the drums are part of the instrument


def progression_events(tonic: int, bars: list[tuple[int, str]], *, bpm: float, seconds: float) -> list[NoteEvent]:
    """Block chords of ``bars`` in the key of ``tonic`` (0 = C), one bar of 4 beats per chord, looped.

    Returns
    -------
    list of NoteEvent, the chord (three upper voices and the bass) struck on every beat.
    """
    beat_s = 60.0 / bpm
    events: list[NoteEvent] = []
    n_beats = int(np.ceil(seconds / beat_s))
    for beat in range(n_beats):
        offset, quality = bars[(beat // 4) % len(bars)]
        root = (tonic + offset) % 12
        bass = 36 + root if root >= 4 else 48 + root  # E2 .. D#3
        upper = sorted(60 + (root + step) % 12 - (12 if (root + step) % 12 > 7 else 0) for step in _TRIADS[quality])
        for voice, midi in enumerate([*reversed(upper), bass]):
            events.append(NoteEvent(start_s=beat * beat_s, duration_s=beat_s, midi=midi, voice=voice))
    return events


def drum_track(*, bpm: float, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Kick on beats 1 and 3, snare on 2 and 4, hi-hat on every eighth; shape (n,), peak about 0.5."""
    rng = np.random.default_rng(_DRUM_SEED)
    n = int(round(seconds * sample_rate))
    out = np.zeros(n + sample_rate)
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (50 * t + 60 * (1 - np.exp(-t / 0.03)) * 0.03)) * np.exp(-t / 0.08)
    snare = rng.standard_normal(t.size) * np.exp(-t / 0.05) * 0.5
    hat_noise = np.diff(rng.standard_normal(int(0.05 * sample_rate) + 1))  # first difference: a bright noise
    hat = hat_noise * np.exp(-np.arange(hat_noise.size) / (0.01 * sample_rate)) * 0.15
    eighth = 30.0 / bpm
    for k in range(int(np.ceil(seconds / eighth))):
        start = int(round(k * eighth * sample_rate))
        out[start : start + hat.size] += hat
        if k % 2 == 0:
            hit = kick if (k // 2) % 2 == 0 else snare
            out[start : start + hit.size] += hit
    return (0.5 * out[:n] / np.abs(out).max()).astype(np.float32)


def render_progression(
    tonic: int, major: int, name: str, *, bpm: float, seconds: float, drums: bool, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """One progression clip, shape (n, 2), float32."""
    bars = (MAJOR_PROGRESSIONS if major else MINOR_PROGRESSIONS)[name]
    y = render_events(
        progression_events(tonic, bars, bpm=bpm, seconds=seconds), seconds=seconds, sample_rate=sample_rate
    )
    if drums:
        y = y + drum_track(bpm=bpm, seconds=seconds, sample_rate=sample_rate)[:, np.newaxis]
    return y


def click_track(bpm: float, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """10 ms 2 kHz bursts every beat, the downbeat of each 4-beat bar louder; shape (n,), float32."""
    y = np.zeros(int(round(seconds * sample_rate)), dtype=np.float32)
    n = int(0.01 * sample_rate)
    burst = np.sin(2 * np.pi * 2000 * np.arange(n) / sample_rate) * np.hanning(n)
    for beat, start in enumerate(np.arange(0, seconds - 0.02, 60.0 / bpm)):
        i = int(start * sample_rate)
        y[i : i + n] += (0.8 if beat % 4 == 0 else 0.5) * burst
    return y
