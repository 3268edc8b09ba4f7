"""The demo's one renderer: four-voice grids -> note events -> stereo audio, deterministically.

Human and generated chorales go through exactly these functions with exactly these constants,
so nothing in the sound (timbre, envelope, tempo, register, room) can tell them apart. The
voice is a soft organ-like flue stop made by additive synthesis (a fixed harmonic recipe read
from a wavetable, plus a second rank detuned by a few cents for warmth); the room is a fixed
synthetic impulse response (exponentially decaying noise from a constant seed). No randomness
depends on the piece or the study seed, and no system synthesiser is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import fftconvolve

SAMPLE_RATE = 44100
QUARTER_BPM = 76.0
FERMATA_HOLD = 1.75  # a fermata step lasts this many times an ordinary eighth note

# Harmonic amplitudes of the flue stop (1 = fundamental); a gentle 1/n-ish roll-off.
_HARMONICS = np.array([1.0, 0.42, 0.26, 0.16, 0.10, 0.07, 0.045, 0.03])
_DETUNED_RANK = (3.0, 0.45)  # (cents sharp, relative level) of the second rank
_TABLE_SIZE = 4096
_FRACTION_BITS = 32 - 12  # 2**12 == _TABLE_SIZE
_ATTACK_S = 0.035
_RELEASE_S = 0.12
_ARTICULATION_GAP_S = 0.035  # silence before a re-struck note so repeated pitches are heard
_VOICE_GAIN = 0.16
_VOICE_PAN = (-0.35, 0.35, -0.15, 0.15)  # S, A, T, B; -1 left .. 1 right
_ROOM_SECONDS = 1.6
_ROOM_RT60_S = 1.1
_ROOM_WET = 0.22
_ROOM_SEED = 20260001  # fixed: the room is part of the instrument, not of the piece
_PEAK_LIMIT = 0.95


@dataclass(frozen=True)
class NoteEvent:
    """One note: start and length in seconds, MIDI pitch, voice index (0 S, 1 A, 2 T, 3 B)."""

    start_s: float
    duration_s: float
    midi: int
    voice: int


def step_durations(
    fermatas: np.ndarray, *, quarter_bpm: float = QUARTER_BPM, fermata_hold: float = FERMATA_HOLD
) -> np.ndarray:
    """Length of every eighth-note grid step in seconds, fermata steps held longer.

    Parameters
    ----------
    fermatas : np.ndarray, shape (n_steps,), bool
    quarter_bpm : float
        Tempo, quarter notes per minute.
    fermata_hold : float
        Length factor for fermata steps.

    Returns
    -------
    np.ndarray, shape (n_steps,), float64
    """
    eighth_s = 60.0 / quarter_bpm / 2.0
    return np.where(np.asarray(fermatas, dtype=bool), eighth_s * fermata_hold, eighth_s)


def grid_to_events(
    pitches: np.ndarray,
    onsets: np.ndarray,
    fermatas: np.ndarray,
    *,
    transpose: int = 0,
    quarter_bpm: float = QUARTER_BPM,
    fermata_hold: float = FERMATA_HOLD,
) -> list[NoteEvent]:
    """Turn a four-voice grid into note events.

    A note starts where its voice has an onset (or a pitch change, or the grid's first
    step) and lasts while the voice holds the same pitch.

    Parameters
    ----------
    pitches : np.ndarray, shape (n_steps, 4), int
        MIDI pitch per step and voice; 0 is a rest.
    onsets : np.ndarray, shape (n_steps, 4), bool
    fermatas : np.ndarray, shape (n_steps,), bool
    transpose : int
        Semitones added to every pitch (the same for human and generated pieces).
    quarter_bpm, fermata_hold : float
        See :func:`step_durations`.

    Returns
    -------
    list of NoteEvent, ordered by voice then time.
    """
    pitches = np.asarray(pitches)
    onsets = np.asarray(onsets, dtype=bool)
    durations = step_durations(fermatas, quarter_bpm=quarter_bpm, fermata_hold=fermata_hold)
    starts = np.concatenate([[0.0], np.cumsum(durations)])
    events: list[NoteEvent] = []
    n_steps, n_voices = pitches.shape
    for voice in range(n_voices):
        step = 0
        while step < n_steps:
            pitch = int(pitches[step, voice])
            if pitch == 0:
                step += 1
                continue
            end = step + 1
            while end < n_steps and not onsets[end, voice] and int(pitches[end, voice]) == pitch:
                end += 1
            events.append(
                NoteEvent(
                    start_s=float(starts[step]),
                    duration_s=float(starts[end] - starts[step]),
                    midi=pitch + transpose,
                    voice=voice,
                )
            )
            step = end
    return events


@lru_cache(maxsize=1)
def _wavetable() -> np.ndarray:
    """One period of the flue-stop waveform, shape (_TABLE_SIZE + 1,), last sample = first."""
    phase = np.arange(_TABLE_SIZE + 1) / _TABLE_SIZE
    table = sum(amplitude * np.sin(2 * np.pi * (n + 1) * phase) for n, amplitude in enumerate(_HARMONICS))
    return table / np.abs(table).max()


def _oscillator(frequency_hz: float, n_samples: int, sample_rate: int) -> np.ndarray:
    """The wavetable at ``frequency_hz`` for ``n_samples`` samples, starting at phase 0.

    A 32-bit fixed-point phase accumulator (exact and cheap): the top bits index the table,
    the rest interpolate linearly.
    """
    table = _wavetable()
    increment = np.uint64(round(frequency_hz / sample_rate * 2.0**32))
    phase = (np.arange(n_samples, dtype=np.uint64) * increment) & np.uint64(0xFFFFFFFF)
    index = (phase >> np.uint64(_FRACTION_BITS)).astype(np.int64)
    fraction = (phase & np.uint64((1 << _FRACTION_BITS) - 1)).astype(np.float64) * 2.0**-_FRACTION_BITS
    below = table[index]
    return below + (table[index + 1] - below) * fraction


def _envelope(sounding: int, n_samples: int, sample_rate: int) -> np.ndarray:
    """Raised-cosine attack, sustain for ``sounding`` samples, raised-cosine release after."""
    envelope = np.ones(n_samples)
    attack = min(int(_ATTACK_S * sample_rate), sounding)
    envelope[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / max(attack, 1))
    release = n_samples - sounding
    if release > 0:
        envelope[sounding:] = 0.5 + 0.5 * np.cos(np.pi * np.arange(release) / release)
    return envelope


def render_note(event: NoteEvent, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono samples of one note including its release, shape (n,), float64."""
    sounding = max(int(round((event.duration_s - _ARTICULATION_GAP_S) * sample_rate)), 1)
    n_samples = sounding + int(round(_RELEASE_S * sample_rate))
    frequency = 440.0 * 2.0 ** ((event.midi - 69) / 12.0)
    cents, level = _DETUNED_RANK
    tone = _oscillator(frequency, n_samples, sample_rate) + level * _oscillator(
        frequency * 2.0 ** (cents / 1200.0), n_samples, sample_rate
    )
    return tone * _envelope(sounding, n_samples, sample_rate) / (1.0 + level)


@lru_cache(maxsize=2)
def room_impulse_response(sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The fixed stereo room: decaying noise, shape (n, 2), unit direct path not included."""
    rng = np.random.default_rng(_ROOM_SEED)
    n_samples = int(_ROOM_SECONDS * sample_rate)
    t = np.arange(n_samples) / sample_rate
    decay = 10.0 ** (-3.0 * t / _ROOM_RT60_S)  # -60 dB after RT60
    onset = np.minimum(t / 0.01, 1.0)  # 10 ms build-up, no discrete echo
    noise = rng.standard_normal((n_samples, 2))
    response = noise * (decay * onset)[:, np.newaxis]
    return response / np.sqrt(np.sum(response**2, axis=0, keepdims=True))


def render_events(events: list[NoteEvent], *, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Render note events to exactly ``seconds`` of stereo audio.

    Parameters
    ----------
    events : list of NoteEvent
    seconds : float
        Output length; notes and reverberation beyond it are cut.
    sample_rate : int
        Hz.

    Returns
    -------
    np.ndarray, shape (round(seconds * sample_rate), 2), float32, peak <= 0.95
    """
    n_out = int(round(seconds * sample_rate))
    pad = int(round((_RELEASE_S + 0.5) * sample_rate))
    dry = np.zeros((n_out + pad, 2))
    for event in events:
        start = int(round(event.start_s * sample_rate))
        if start >= n_out:
            continue
        note = render_note(event, sample_rate)[: n_out + pad - start]
        angle = (_VOICE_PAN[event.voice] + 1.0) * np.pi / 4.0  # constant-power pan
        dry[start : start + note.size, 0] += _VOICE_GAIN * np.cos(angle) * note
        dry[start : start + note.size, 1] += _VOICE_GAIN * np.sin(angle) * note
    room = room_impulse_response(sample_rate)
    wet = np.stack([fftconvolve(dry[:, channel], room[:, channel])[: dry.shape[0]] for channel in (0, 1)], axis=1)
    mix = ((1.0 - _ROOM_WET) * dry + _ROOM_WET * wet)[:n_out]
    peak = float(np.abs(mix).max(initial=0.0))
    if peak > _PEAK_LIMIT:  # a fixed safety scale only; loudness is set later by ingest
        mix *= _PEAK_LIMIT / peak
    return mix.astype(np.float32)


def render_grid(
    pitches: np.ndarray,
    onsets: np.ndarray,
    fermatas: np.ndarray,
    *,
    seconds: float,
    transpose: int = 0,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """:func:`grid_to_events` then :func:`render_events`: the one path every demo piece takes."""
    events = grid_to_events(pitches, onsets, fermatas, transpose=transpose)
    return render_events(events, seconds=seconds, sample_rate=sample_rate)
