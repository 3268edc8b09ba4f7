"""Bach chorales from music21's bundled corpus as four-voice eighth-note grids.

A chorale becomes three aligned arrays on a grid of eighth notes: the sounding MIDI pitch of
each voice (soprano, alto, tenor, bass), whether that pitch starts at the grid point or is held
over from before, and whether the chord carries a fermata (a phrase end). Every chorale is
transposed to C major or A minor so that the Markov model sees one key per mode; the renderer
transposes human and generated pieces alike afterwards.

Only plain four-voice chorales in 4/4 are used. The scores are public domain (J.S. Bach,
1685-1750); the encodings ship with music21 (see :data:`CORPUS_LICENCE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOICES = ("Soprano", "Alto", "Tenor", "Bass")
STEPS_PER_QUARTER = 2
STEPS_PER_BAR = 4 * STEPS_PER_QUARTER
REST = 0

# One line because Clip.licence holds 200 characters; the details live in the provenance.
CORPUS_LICENCE = (
    "Public domain score (J.S. Bach); encoding from the music21 corpus, "
    "distributed with music21 (BSD-3-Clause) with the encoders' permission"
)

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

_PLAIN_CHORALE = re.compile(r"^bwv(\d+)(?:\.(\d+))?\.mxl$")


class UnsuitableChorale(ValueError):
    """The score is not a plain four-voice 4/4 chorale in a clear major or minor key."""


@dataclass(frozen=True)
class ChoraleGrid:
    """A four-voice chorale on an eighth-note grid, transposed to C major or A minor.

    Attributes
    ----------
    bwv : str
        Catalogue number as in the corpus file name, e.g. ``"10.7"``.
    corpus_path : str
        The music21 corpus name, e.g. ``"bach/bwv10.7.mxl"``.
    mode : str
        ``"major"`` (now in C) or ``"minor"`` (now in A).
    original_tonic : str
        Tonic of the score before transposition, e.g. ``"G"``.
    transposition : int
        Semitones added to every pitch to reach C major / A minor, in [-6, 5].
    pitches : np.ndarray, shape (n_steps, 4), int16
        Sounding MIDI pitch per step and voice (S, A, T, B); 0 is a rest.
    onsets : np.ndarray, shape (n_steps, 4), bool
        True where the voice's note starts at this step, False where it is held (or rests).
    fermatas : np.ndarray, shape (n_steps,), bool
        True where a sounding note carries a fermata (the chord that ends a phrase).
    bar_positions : np.ndarray, shape (n_steps,), int8
        Position of the step within its 4/4 bar, 0 (downbeat) .. 7.
    """

    bwv: str
    corpus_path: str
    mode: str
    original_tonic: str
    transposition: int
    pitches: np.ndarray
    onsets: np.ndarray
    fermatas: np.ndarray
    bar_positions: np.ndarray

    @property
    def n_steps(self) -> int:
        return int(self.pitches.shape[0])


def chorale_paths() -> list[Path]:
    """The plain Bach chorale files of music21's corpus, in catalogue (BWV) order.

    Variant encodings (``-sc``, ``-lz``, instrumental versions ...) are left out so each
    chorale counts once.
    """
    from music21 import corpus

    found = []
    for path in corpus.getComposer("bach"):
        match = _PLAIN_CHORALE.match(path.name)
        if match:
            found.append(((int(match.group(1)), int(match.group(2) or 0)), path))
    return [path for _, path in sorted(found)]


def bwv_of(path: Path) -> str:
    """``".../bwv10.7.mxl"`` -> ``"10.7"``."""
    return path.name[len("bwv") : -len(".mxl")]


def estimate_key(pitches: np.ndarray, *, margin: float = 0.05) -> tuple[int, str] | None:
    """Key of a chorale: tonic from the final bass note, mode from Krumhansl-Schmuckler.

    The pitch-class durations are correlated with the Krumhansl-Kessler major and minor
    profiles (as music21 ships them). The final bass note gives the tonic (chorales end on it); the better-correlated
    mode on that tonic is taken, provided it is within ``margin`` of the best key overall,
    so modal or ambiguous endings (e.g. a Phrygian close on the dominant) are refused.

    Parameters
    ----------
    pitches : np.ndarray, shape (n_steps, 4), int
        MIDI pitches on the eighth-note grid (0 = rest), bass last; each step weighs one eighth.
    margin : float
        Allowed correlation shortfall of the final-bass key against the best key.

    Returns
    -------
    (tonic, mode) or None
        Tonic pitch class (0 = C ... 11 = B) and "major"/"minor"; None when refused.
    """
    from music21.analysis.discrete import KrumhanslKessler

    bass = pitches[:, -1][pitches[:, -1] > REST]
    if bass.size == 0:
        return None
    sounding = pitches[pitches > REST].astype(np.int64) % 12
    histogram = np.bincount(sounding, minlength=12).astype(float)
    profiles = KrumhanslKessler()
    correlations = {
        (tonic, mode): float(np.corrcoef(histogram, np.roll(profiles.getWeights(mode), tonic))[0, 1])
        for mode in ("major", "minor")
        for tonic in range(12)
    }
    tonic = int(bass[-1]) % 12
    mode = max(("major", "minor"), key=lambda m: correlations[(tonic, m)])
    if correlations[(tonic, mode)] < max(correlations.values()) - margin:
        return None
    return tonic, mode


def transposition_to_reference(tonic_pitch_class: int, mode: str) -> int:
    """Semitones (in [-6, 5], the smaller move) that take a key to C major or A minor."""
    target = 0 if mode == "major" else 9
    return (target - tonic_pitch_class + 6) % 12 - 6


def load_chorale(path: Path) -> ChoraleGrid:
    """Parse one corpus file into a :class:`ChoraleGrid`.

    Raises
    ------
    UnsuitableChorale
        When the score is not four plain voices in 4/4, or its final bass note is not the tonic
        of a clear key (see :func:`estimate_key`).
    """
    from music21 import converter, stream

    # forceSource/storePickle: parse the shipped file, write no pickle cache anywhere.
    score = converter.parse(path, forceSource=True, storePickle=False)
    if not isinstance(score, stream.Score):
        raise UnsuitableChorale(f"{path.name}: not a single score")
    parts = {part.id: part for part in score.parts}
    if any(voice not in parts for voice in VOICES):
        raise UnsuitableChorale(f"{path.name}: no separate S, A, T, B parts")
    signatures = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    if signatures != {"4/4"}:
        raise UnsuitableChorale(f"{path.name}: time signature {sorted(signatures)} is not 4/4")

    first_measure = parts["Soprano"].getElementsByClass("Measure").first()
    if first_measure is None:
        raise UnsuitableChorale(f"{path.name}: the soprano part has no measures")
    pickup_quarters = float(first_measure.paddingLeft or 0.0)
    total_quarters = float(score.highestTime)
    n_steps = int(round(total_quarters * STEPS_PER_QUARTER))
    pitches = np.zeros((n_steps, len(VOICES)), dtype=np.int16)
    onsets = np.zeros((n_steps, len(VOICES)), dtype=bool)
    fermatas = np.zeros(n_steps, dtype=bool)

    for voice_index, voice in enumerate(VOICES):
        _place_voice(path, voice, parts[voice], pitches[:, voice_index], onsets[:, voice_index], fermatas)

    key = estimate_key(pitches)
    if key is None:
        raise UnsuitableChorale(f"{path.name}: the final bass note is not the tonic of a clear key")
    tonic, mode = key

    shift = transposition_to_reference(tonic, mode)
    pitches = np.where(pitches > REST, pitches + shift, REST).astype(np.int16)
    offset_steps = int(round((4.0 - pickup_quarters) * STEPS_PER_QUARTER)) % STEPS_PER_BAR
    bar_positions = ((np.arange(n_steps) + offset_steps) % STEPS_PER_BAR).astype(np.int8)
    return ChoraleGrid(
        bwv=bwv_of(path),
        corpus_path=f"bach/{path.name}",
        mode=mode,
        original_tonic=NOTE_NAMES[tonic],
        transposition=shift,
        pitches=pitches,
        onsets=onsets,
        fermatas=fermatas,
        bar_positions=bar_positions,
    )


def _place_voice(path: Path, voice: str, part, pitches: np.ndarray, onsets: np.ndarray, fermatas: np.ndarray) -> None:
    """Write one voice's notes onto the eighth-note grid (views of one column, filled in place).

    ``pitches`` and ``onsets`` have shape (n_steps,); ``fermatas`` (n_steps,) is shared by all voices.
    """
    from music21 import expressions
    from music21.note import Note

    n_steps = len(pitches)
    for note in part.flatten().notes:
        if note.isChord:
            raise UnsuitableChorale(f"{path.name}: chord in the {voice} part")
        if not isinstance(note, Note):
            raise UnsuitableChorale(f"{path.name}: unpitched note in the {voice} part")
        start = float(note.offset) * STEPS_PER_QUARTER
        end = start + float(note.quarterLength) * STEPS_PER_QUARTER
        # The note owns every grid point inside [start, end); a note shorter than an
        # eighth that falls between grid points is dropped (passing sixteenths).
        first = int(np.ceil(start - 1e-9))
        last = min(int(np.ceil(end - 1e-9)), n_steps)
        if first >= last:
            continue
        pitches[first:last] = note.pitch.midi
        # A tied continuation (across a bar line) is held, not struck again.
        tied_from_before = note.tie is not None and note.tie.type in ("stop", "continue")
        onsets[first] = not tied_from_before
        if any(isinstance(e, expressions.Fermata) for e in note.expressions):
            fermatas[first:last] = True


def load_chorales(paths: list[Path], *, limit: int | None = None) -> list[ChoraleGrid]:
    """Load suitable chorales from ``paths`` in order, skipping unsuitable ones.

    Parameters
    ----------
    paths : list of Path
        Candidate corpus files, tried in the given order.
    limit : int, optional
        Stop after this many suitable chorales (parsing is the slow part).
    """
    loaded: list[ChoraleGrid] = []
    for path in paths:
        if limit is not None and len(loaded) >= limit:
            break
        try:
            loaded.append(load_chorale(path))
        except UnsuitableChorale:
            continue
    return loaded
