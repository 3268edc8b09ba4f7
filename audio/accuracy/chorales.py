"""Bach chorales from music21's corpus, rendered at a known tempo in the key their score states.

Key rule (ground truth, no audio or pitch-statistics analysis involved): the MusicXML encoding
carries a key signature with a mode (``<fifths>`` and ``<mode>``, e.g. "d minor"); a chorale is
kept only when its final bass note is that key's tonic, so both the encoders' signature and the
cadence agree. Modal chorales and those ending elsewhere (a Phrygian close on the dominant, a
signature in old Dorian notation) are left out rather than guessed. A Picardy third does not
matter: the bass note, not the chord's third, decides. music21's ``analyze('key')`` is *not*
used: it is itself a Krumhansl-type estimate.

Tempo: every note is placed at ``offset * 60 / quarter_bpm`` with fermatas not held, so the
quarter-note rate is exactly ``quarter_bpm`` throughout.

Tunes: many chorales harmonise the same hymn tune. :func:`tune_id` groups chorales whose soprano
opens with the same 7 melodic intervals (transposition and rhythm ignored), so a split by
:func:`is_held_out` keeps every harmonisation of one tune on the same side.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.demo.corpus import chorale_paths
from audio.demo.synth import SAMPLE_RATE, NoteEvent, render_events

VOICES = ("Soprano", "Alto", "Tenor", "Bass")
_TUNE_INTERVALS = 7


@dataclass(frozen=True, eq=False)
class ChoraleTruth:
    """One chorale's notes and its ground truth.

    Attributes
    ----------
    name : str
        Corpus file name, e.g. ``"bwv2.6.mxl"``.
    tonic : int
        Pitch class of the key's tonic, 0 = C ... 11 = B.
    major : int
        1 major, 0 minor.
    tune : str
        Soprano-opening fingerprint shared by harmonisations of one hymn tune.
    notes : list of (start_quarters, length_quarters, midi, voice)
    """

    name: str
    tonic: int
    major: int
    tune: str
    notes: list[tuple[float, float, int, int]]


def score_key(score) -> tuple[int, int] | None:
    """(tonic pitch class, major) from the encoded key signature and mode, or None when absent."""
    signature = score.flatten().getElementsByClass("KeySignature").first()
    mode = getattr(signature, "mode", None)
    if signature is None or mode not in ("major", "minor"):
        return None
    major_tonic = (7 * int(signature.sharps)) % 12
    return (major_tonic, 1) if mode == "major" else ((major_tonic + 9) % 12, 0)


def tune_id(soprano_midi: list[int]) -> str:
    """Fingerprint of a hymn tune: the first melodic intervals of the soprano, repeats merged."""
    moving = [pitch for i, pitch in enumerate(soprano_midi) if i == 0 or pitch != soprano_midi[i - 1]]
    intervals = [b - a for a, b in zip(moving, moving[1:])][:_TUNE_INTERVALS]
    return ",".join(map(str, intervals)) or "?"


def is_held_out(tune: str) -> bool:
    """Half of the tunes (by a stable hash), with every chorale on that tune, are held out."""
    return hashlib.sha256(tune.encode()).digest()[0] % 2 == 1


def load_truth(path: Path) -> ChoraleTruth | None:
    """Parse one corpus file; None when it lacks S/A/T/B parts or its key is not stated and confirmed."""
    from music21 import converter

    score = converter.parse(path, forceSource=True, storePickle=False)
    parts = {part.id: part for part in getattr(score, "parts", [])}
    key = score_key(score)
    if key is None or any(voice not in parts for voice in VOICES):
        return None
    notes: list[tuple[float, float, int, int]] = []
    soprano: list[int] = []
    for voice, name in enumerate(VOICES):
        for note in parts[name].stripTies().flatten().notes:
            for pitch in note.pitches:
                notes.append((float(note.offset), float(note.quarterLength), int(pitch.midi), voice))
            if voice == 0:
                soprano.append(int(note.pitches[0].midi))
    bass = [n for n in notes if n[3] == 3]
    if not bass or max(bass)[2] % 12 != key[0]:  # the last-starting bass note must be the tonic
        return None
    return ChoraleTruth(path.name, key[0], key[1], tune_id(soprano), notes)


def load_truths(*, limit: int | None = None, held_out: bool | None = None) -> list[ChoraleTruth]:
    """Chorales with a confirmed key, in catalogue order.

    Parameters
    ----------
    limit : int, optional
        Stop after this many.
    held_out : bool, optional
        Only tunes on this side of :func:`is_held_out`; both sides when None.
    """
    found: list[ChoraleTruth] = []
    for path in chorale_paths():
        if limit is not None and len(found) >= limit:
            break
        truth = load_truth(path)
        if truth is not None and (held_out is None or is_held_out(truth.tune) == held_out):
            found.append(truth)
    return found


def render_chorale(
    truth: ChoraleTruth, *, quarter_bpm: float, seconds: float, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The chorale's first ``seconds`` at ``quarter_bpm`` by the demo synthesiser, shape (n, 2)."""
    beat_s = 60.0 / quarter_bpm
    events = [
        NoteEvent(start_s=start * beat_s, duration_s=length * beat_s, midi=midi, voice=voice)
        for start, length, midi, voice in truth.notes
        if start * beat_s < seconds
    ]
    return render_events(events, seconds=seconds, sample_rate=sample_rate)
