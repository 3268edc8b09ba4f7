"""The organiser's cue words for coding reasons: a small text format, its default and its parser (issue 26).

A study setting (:attr:`experiment.settings.StudySettings.reason_cues`), so that every change is a new
settings version: audited with its diff, listed among the deviations and in the preregistration. One
cue a line, its code, a colon and its terms, comma-separated::

    voice: voice, vocal, singer, *gesang, stimme

A term matches every word that begins with it, case-insensitively ("vocal" matches "vocals",
"Stimme" matches "Stimmen"); a term starting with ``*`` matches inside a word too (German compounds:
"*gesang" matches "Hintergrundgesang"). Several words ("sound quality") match as a phrase. No Streamlit
and no SQL: the analysis (:mod:`results.reasons`) reads the same parser.
"""

from __future__ import annotations

import re

DEFAULT_REASON_CUES = "\n".join(
    (
        "voice: voice, vocal, singer, singing, sung, vokal, *gesang, sänger, stimme, stimmlich",
        "lyrics: lyric, words, rhyme, songtext, liedtext, lyrik, reim",
        "production: produc, mastering, sound quality, recording, produkt, produz, klangqualität, aufnahme",
        "mix: mix, abmisch, gemischt",
        "repetition: repet, repeat, loop, monoton, wiederhol, schleife, eintönig",
        "structure: structure, build, progression, develop, struktur, aufbau, verlauf, entwickl",
        "emotion: emotion, feeling, soul, expressi, heart, gefühl, seele, ausdruck, berühr",
        "instruments: instrument, guitar, piano, drum, bass, violin, synth, gitarre, klavier, schlagzeug, geige",
        "perfection: *perfect, flawless, mistake, error, glitch, artifact, artefact, sterile, *perfekt, fehler, "
        "makellos, steril, unsauber",
    )
)
"""The default cues, English and German word beginnings: vocals, lyrics, production, mix, repetition,
structure, emotion, instruments, and perfection or mistakes (the cues listeners named in Figueiredo et
al. 2025, "Echoes of Humanity")."""

MAX_CUES = 50
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def cue_problems(text: str) -> list[str]:
    """Every problem with the cue list ``text`` as a readable sentence (empty when it parses)."""
    if not isinstance(text, str):
        return ["reason_cues must be text, one cue a line (code: term, term)"]
    problems: list[str] = []
    seen: set[str] = set()
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_CUES:
        problems.append(f"reason_cues: at most {MAX_CUES} cues, got {len(lines)}")
    for number, line in enumerate(lines, start=1):
        code, colon, terms = line.partition(":")
        code = code.strip().lower()
        if not colon or not _CODE.match(code):
            problems.append(
                f"reason_cues line {number} must read 'code: term, term' with a code of lower-case letters, "
                f"digits or _ (got {line.strip()[:40]!r})"
            )
        elif code in seen:
            problems.append(f"reason_cues: the code {code!r} appears twice")
        elif not _terms(terms):
            problems.append(f"reason_cues: the cue {code!r} needs at least one term")
        seen.add(code)
    return problems


def parse_cues(text: str) -> dict[str, tuple[str, ...]]:
    """``{code: terms}`` in the order written (call :func:`cue_problems` first; bad lines are skipped)."""
    cues: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        code, colon, terms = line.partition(":")
        code = code.strip().lower()
        if colon and _CODE.match(code) and code not in cues and _terms(terms):
            cues[code] = _terms(terms)
    return cues


def cue_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``terms`` (word beginnings; ``*`` inside words too).

    A match is the whole word that holds the term ("vocal" finds "Vocals"), so the words found can be shown.
    """
    parts = []
    for term in terms:
        inside = term.startswith("*")
        words = r"\s+".join(re.escape(word) for word in term.lstrip("*").split())
        parts.append(rf"\w*{words}\w*" if inside else rf"(?<!\w){words}\w*")
    return re.compile("|".join(parts), re.IGNORECASE)


def _terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip().lstrip("*")))
