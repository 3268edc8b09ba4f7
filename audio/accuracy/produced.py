"""Produced-sounding clips with known key and tempo, synthesised here without the General MIDI synthesiser.

The chorale and progression sets are rendered by one synthesiser (:mod:`audio.demo.synth`), so a
method tuned on them can learn that synthesiser's overtones. These clips are built like a
produced track instead: several tracks, each with its own synthesis, mixed, then a bus
compressor and a mastering chain.

* keys: FM electric piano (Chowning 1973: carrier and modulator at 1:1, decaying index) or an
  additive drawbar organ, playing the chords in a style's rhythm;
* pad: additive sawtooth (12 partials, 1/k), two voices detuned by 7 cents (chorus), slow attack;
* bass: Karplus-Strong plucked string (``scipy.signal.lfilter`` on a noise burst), roots and fifths;
* lead: a square-ish FM lead on chord tones and scale passing notes of the key, in straight
  eighths; or (strathspey) an additive fiddle with vibrato in the dotted rhythm of a strathspey
  (a dotted eighth and a sixteenth, then the Scotch snap: a sixteenth and a dotted eighth), whose
  notes repeat every three quarters of a beat as often as every beat (the 4:3 tempo trap);
* drums: synthesised kick, snare and hi-hat in the style's pattern (none in the strathspey);
* mix: per-track level and pan, convolution reverb (decaying noise, 1.6 s), a feed-forward bus
  compressor (4:1 above -18 dBFS RMS, 10 ms attack, 150 ms release), a high-shelf lift and a
  ``tanh`` soft clipper into -1 dBFS: the loudness-war chain a mastered track has.

Every case is one of the 24 keys (major keys use I-V-vi-IV style loops, minor keys i-VI-III-VII
and i-iv-v-i loops with a major dominant half the time), at a tempo from the style's list; the
beat (quarter note) is the tempo. Rendering is deterministic (seeded per case).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import signal

SAMPLE_RATE = 44100

#: Loops as (root offset from the tonic, quality) per bar.
MAJOR_LOOPS = (
    ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")),
    ((0, "maj"), (5, "maj"), (9, "min"), (7, "maj")),
    ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj")),
)
MINOR_LOOPS = (
    ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")),
    ((0, "min"), (5, "min"), (7, "maj"), (0, "min")),
    ((0, "min"), (10, "maj"), (8, "maj"), (7, "maj")),
)
_TRIADS = {"maj": (0, 4, 7), "min": (0, 3, 7)}
_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True)
class Style:
    """A production style: instruments, rhythm and tempi."""

    name: str
    keys: str  # "fm" or "organ"
    drums: str  # "backbeat", "four_on_floor", "half_time" or "none"
    tempi: tuple[float, ...]
    reverb_mix: float
    lead: str = "fm"  # "fm" (straight eighths) or "fiddle" (dotted strathspey rhythm)


STYLES = {
    "pop": Style("pop", "fm", "backbeat", (84.0, 92.0, 100.0, 108.0, 116.0, 124.0), 0.18),
    "band": Style("band", "organ", "half_time", (72.0, 88.0, 96.0, 104.0, 132.0, 140.0), 0.28),
    "electronic": Style("electronic", "fm", "four_on_floor", (118.0, 122.0, 124.0, 126.0, 128.0, 130.0), 0.12),
    "strathspey": Style("strathspey", "fm", "none", (76.0, 84.0, 92.0, 100.0, 108.0, 116.0), 0.22, "fiddle"),
}


def _midi_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _fm_note(hz: float, n: int, rng: np.random.Generator, *, ratio: float = 1.0, index: float = 3.0) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    decay = np.exp(-t / 0.35)
    modulator = index * decay * np.sin(2 * np.pi * hz * ratio * t + rng.uniform(0, 2 * np.pi))
    return np.sin(2 * np.pi * hz * t + modulator) * np.exp(-t / 0.9) * np.minimum(1.0, t / 0.004)


def _organ_note(hz: float, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    drawbars = ((0.5, 0.6), (1.0, 1.0), (2.0, 0.7), (3.0, 0.4), (4.0, 0.3), (6.0, 0.15))
    tone = sum(level * np.sin(2 * np.pi * hz * ratio * t + rng.uniform(0, 2 * np.pi)) for ratio, level in drawbars)
    return tone * np.minimum(1.0, t / 0.01) * np.minimum(1.0, (n - np.arange(n)) / (0.02 * SAMPLE_RATE))


_SAW_TABLE = np.asarray(sum(np.sin(2 * np.pi * k * np.arange(4096) / 4096) / k for k in range(1, 13)))  # 1/k


def _pad_note(hz: float, n: int) -> np.ndarray:
    """Additive sawtooth (a 12-partial wavetable), two voices 7 cents apart, slow attack and release."""
    t = np.arange(n) / SAMPLE_RATE
    voices = sum(
        _SAW_TABLE[(np.floor(4096 * hz * detune * t) % 4096).astype(np.int64)] for detune in (1.0, 2 ** (7 / 1200))
    )
    envelope = np.minimum(1.0, t / 0.4) * np.minimum(1.0, (n - np.arange(n)) / (0.3 * SAMPLE_RATE))
    return voices * envelope


def _fiddle_note(hz: float, n: int) -> np.ndarray:
    """Additive bowed tone: 9 partials at 1/k with 5.5 Hz vibrato of +-5 cents, 20 ms bow attack."""
    t = np.arange(n) / SAMPLE_RATE
    phase = 2 * np.pi * hz * np.cumsum(1 + 0.003 * np.sin(2 * np.pi * 5.5 * t)) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, 10))
    return tone * np.minimum(1.0, t / 0.02) * np.minimum(1.0, (n - np.arange(n)) / (0.01 * SAMPLE_RATE))


def _pluck(hz: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Karplus-Strong: a noise burst through a feedback delay of one period with a two-tap average."""
    delay = max(2, int(round(SAMPLE_RATE / hz)))
    excitation = np.zeros(n)
    excitation[:delay] = rng.uniform(-1, 1, min(delay, n))
    denominator = np.zeros(delay + 2)
    denominator[0], denominator[delay], denominator[delay + 1] = 1.0, -0.497, -0.497
    return signal.lfilter([1.0], denominator, excitation)


def _drums(style: str, bpm: float, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n + SAMPLE_RATE)
    t = np.arange(int(0.3 * SAMPLE_RATE)) / SAMPLE_RATE
    kick = np.sin(2 * np.pi * (45 * t + 90 * 0.04 * (1 - np.exp(-t / 0.04)))) * np.exp(-t / 0.12)
    snare = (rng.standard_normal(t.size) * 0.6 + np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.07)
    hat = np.diff(rng.standard_normal(int(0.06 * SAMPLE_RATE) + 1)) * np.exp(-np.arange(int(0.06 * SAMPLE_RATE)) / 300)
    sixteenth = 15.0 / bpm
    for step in range(int(n / (sixteenth * SAMPLE_RATE)) + 1):
        start = int(round(step * sixteenth * SAMPLE_RATE))
        beat, position = divmod(step, 4)
        if position % 2 == 0:
            out[start : start + hat.size] += 0.25 * hat * (1.0 if position == 0 else 0.6)
        if style == "four_on_floor":
            kicks, snares = position == 0, position == 0 and beat % 2 == 1
        elif style == "half_time":
            kicks, snares = (
                (beat % 4 == 0 and position == 0) or (beat % 4 == 1 and position == 2),
                (beat % 4 == 2 and position == 0),
            )
        else:  # backbeat
            kicks, snares = (
                position == 0 and beat % 2 == 0 or (beat % 4 == 2 and position == 2),
                (position == 0 and beat % 2 == 1),
            )
        if kicks:
            out[start : start + kick.size] += kick
        if snares:
            out[start : start + snare.size] += 0.7 * snare
    return out[:n]


def _place(track: np.ndarray, note: np.ndarray, start_s: float) -> None:
    start = int(round(start_s * SAMPLE_RATE))
    end = min(track.size, start + note.size)
    if end > start:
        track[start:end] += note[: end - start]


#: (beat in the bar, interval above the root) of the bass; the strathspey's bass plays on 1 and 3 only.
_BASS_HITS = ((0.0, 0), (1.0, 0), (2.0, 7), (3.0, 0), (3.5, 12))
_STRATHSPEY_BASS_HITS = ((0.0, 0), (2.0, 7))
#: A strathspey's beat pair: a dotted eighth and a sixteenth, then the Scotch snap; (start, length) in beats.
_STRATHSPEY_RHYTHM = (((0.0, 0.75), (0.75, 0.25)), ((0.0, 0.25), (0.25, 0.75)))


def _lead_bar(track: np.ndarray, bar_s: float, beat: float, tones: tuple[list[int], list[int]], style: Style, rng):
    """One bar of the lead: ``tones`` = (chord tones, scale tones) as pitch classes."""
    chord_tones, scale_tones = tones
    if style.lead == "fiddle":
        for beat_in_bar in range(4):
            for start, length in _STRATHSPEY_RHYTHM[beat_in_bar % 2]:
                pitch = int(rng.choice(chord_tones if length > 0.5 else scale_tones))
                note = _fiddle_note(_midi_hz(67 + (pitch - 7) % 12), int(length * beat * SAMPLE_RATE))
                _place(track, note, bar_s + (beat_in_bar + start) * beat)
        return
    for eighth in range(8):
        if rng.random() < 0.3:
            continue
        pitch = int(rng.choice(chord_tones)) if eighth % 2 == 0 else int(rng.choice(scale_tones))
        _place(
            track,
            _fm_note(_midi_hz(72 + pitch), int(0.5 * beat * SAMPLE_RATE), rng, ratio=2.0, index=1.5),
            bar_s + eighth * 0.5 * beat,
        )


def _tracks(tonic: int, major: int, style: Style, bpm: float, seconds: float, seed: int) -> dict[str, np.ndarray]:
    """The instrument tracks of one clip, mono, each shape (n,)."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SAMPLE_RATE))
    beat = 60.0 / bpm
    loops = MAJOR_LOOPS if major else MINOR_LOOPS
    loop = loops[seed % len(loops)]
    scale_tones = [(tonic + step) % 12 for step in (_MAJOR_SCALE if major else _MINOR_SCALE)]
    sparse = style.drums in ("half_time", "none")
    tracks = {name: np.zeros(n) for name in ("keys", "pad", "bass", "lead")}
    for bar in range(int(np.ceil(seconds / (4 * beat)))):
        offset, quality = loop[bar % len(loop)]
        root = (tonic + offset) % 12
        chord = [48 + (root + step) % 12 + (12 if (root + step) % 12 < 4 else 0) for step in _TRIADS[quality]]
        bar_s = bar * 4 * beat
        for midi in chord:
            _place(tracks["pad"], _pad_note(_midi_hz(midi + 12), int(4 * beat * SAMPLE_RATE)), bar_s)
        for hit in (0.0, 2.0) if sparse else (0.0, 1.5, 2.5, 3.0):
            for midi in chord:
                length = int(1.2 * beat * SAMPLE_RATE)
                note = (
                    _fm_note(_midi_hz(midi), length, rng)
                    if style.keys == "fm"
                    else _organ_note(_midi_hz(midi), length, rng)
                )
                _place(tracks["keys"], note, bar_s + hit * beat)
        bass_root = 28 + (root - 4) % 12  # E1 .. D#2
        for hit, interval in _STRATHSPEY_BASS_HITS if style.lead == "fiddle" else _BASS_HITS:
            _place(
                tracks["bass"],
                _pluck(_midi_hz(bass_root + interval + 12), int(beat * SAMPLE_RATE), rng),
                bar_s + hit * beat,
            )
        chord_tones = [(root + step) % 12 for step in _TRIADS[quality]]
        _lead_bar(tracks["lead"], bar_s, beat, (chord_tones, scale_tones), style, rng)
    tracks["drums"] = _drums(style.drums, bpm, n, rng) if style.drums != "none" else np.zeros(n)
    return tracks


def _reverb(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    length = int(1.6 * SAMPLE_RATE)
    decay = np.exp(-np.arange(length) / (0.35 * SAMPLE_RATE))
    impulse = rng.standard_normal((length, 2)) * decay[:, np.newaxis]
    impulse /= np.sqrt(np.sum(impulse**2, axis=0))
    return np.stack([signal.fftconvolve(y[:, c], impulse[:, c])[: y.shape[0]] for c in range(2)], axis=1)


def _compress(y: np.ndarray, threshold_db: float = -18.0, ratio: float = 4.0) -> np.ndarray:
    """Feed-forward RMS compressor on the stereo bus (one gain for both channels)."""
    power = np.mean(y**2, axis=1)
    attack, release = np.exp(-1 / (0.010 * SAMPLE_RATE)), np.exp(-1 / (0.150 * SAMPLE_RATE))
    # One-pole smoothing of the power: the release coefficient, a fair RMS detector for a bus.
    envelope = signal.lfilter([1 - release], [1, -release], power)
    envelope = signal.lfilter([1 - attack], [1, -attack], envelope)
    level_db = 10 * np.log10(envelope + 1e-12)
    gain_db = np.minimum(0.0, (threshold_db - level_db) * (1 - 1 / ratio))
    return y * (10 ** (gain_db / 20))[:, np.newaxis]


def _master(y: np.ndarray) -> np.ndarray:
    sos = signal.butter(1, 6000, btype="highpass", fs=SAMPLE_RATE, output="sos")
    y = y + 0.4 * signal.sosfilt(sos, y, axis=0)  # a high-shelf lift of about 3 dB
    y = y / np.max(np.abs(y)) * 1.6  # drive into the clipper
    return (np.tanh(y) / np.tanh(1.6) * 10 ** (-1 / 20)).astype(np.float32)


def render_produced(tonic: int, major: int, style_name: str, *, bpm: float, seconds: float, seed: int) -> np.ndarray:
    """One produced clip, shape (n, 2), float32, peak -1 dBFS."""
    style = STYLES[style_name]
    rng = np.random.default_rng(seed + 10_000)
    tracks = _tracks(tonic, major, style, bpm, seconds, seed)
    levels = {"keys": 0.25, "pad": 0.05, "bass": 0.5, "lead": 0.2, "drums": 0.6}
    if style.lead == "fiddle":  # the fiddle carries the tune; piano and bass accompany
        levels.update(keys=0.15, bass=0.3, lead=0.5)
    pans = {"keys": -0.3, "pad": 0.0, "bass": 0.0, "lead": 0.35, "drums": 0.0}
    mix = np.zeros((tracks["drums"].size, 2))
    for name, track in tracks.items():
        peak = np.max(np.abs(track)) or 1.0
        left, right = np.cos((pans[name] + 1) * np.pi / 4), np.sin((pans[name] + 1) * np.pi / 4)
        mix += levels[name] * (track / peak)[:, np.newaxis] * np.array([left, right])
    wet = _reverb(mix, rng)
    mix = (1 - style.reverb_mix) * mix + style.reverb_mix * wet * np.max(np.abs(mix)) / (np.max(np.abs(wet)) or 1.0)
    return _master(_compress(mix / np.max(np.abs(mix))))


@dataclass(frozen=True)
class ProducedCase:
    """One produced clip of a set and its truth."""

    name: str
    tonic: int
    major: int
    bpm: float
    style: str
    seed: int


def produced_cases(
    style: str, *, seed_offset: int, seconds: float, keys: list[int]
) -> Iterator[tuple[str, partial, float, tuple[int, int]]]:
    """(name, render, tempo, key) for each tonic in ``keys``, major and minor: 2 clips per tonic."""
    tempi = STYLES[style].tempi
    for tonic in keys:
        for major in (1, 0):
            seed = seed_offset + 2 * tonic + major
            bpm = tempi[seed % len(tempi)]
            render = partial(render_produced, tonic, major, style, bpm=bpm, seconds=seconds, seed=seed)
            yield f"{style} {tonic}{'M' if major else 'm'} {bpm:g} bpm", render, bpm, (tonic, major)
