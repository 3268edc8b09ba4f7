"""Catalogue facts of a clip (who made it, title, genre, ...): validated once, for every path that writes them.

Ingest, manifest import and the library page's edits all pass through :func:`clean_metadata`, so
a value the database holds has always been checked the same way. Nothing here touches files or
the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from audio.errors import IngestError, MetadataError
from core.vocabulary import SOURCES, Vocals

#: Catalogue fields an organiser may edit, with their maximum length (None: unlimited text).
EDITABLE_FIELDS: dict[str, int | None] = {
    "source": 8,
    "title": 300,
    "creator": 300,
    "ai_system": 200,
    "ai_version": 100,
    "prompt": None,
    "genre": 100,
    "vocals": 16,
    "pair_id": 100,
    "licence": 200,
    "provenance": None,
    "notes": None,
}

# Accepted spellings of the vocals field; the error message lists the canonical values in this order.
_VOCALS_SYNONYMS = {"vocal": Vocals.VOCAL, "vocals": Vocals.VOCAL, "instrumental": Vocals.INSTRUMENTAL}
_VOCALS_NAMED = (Vocals.VOCAL.value, Vocals.INSTRUMENTAL.value)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitise_filename(name: str | None) -> str | None:
    """A display-only version of an uploaded file name.

    Keeps the last path component (``/`` and ``\\`` are path separators), removes control
    characters and markup characters (``<>&"'```), collapses whitespace and cuts to 255
    characters. Stored files are always named by content hash; this string is never used to
    open a file.
    """
    if name is None:
        return None
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = _CONTROL.sub("", base)
    base = re.sub(r"[<>&\"'`]", "_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    return base[:255] or None


def _clean_text(name: str, value: object) -> str | None:
    """One field as stored: text, NFC, control characters removed, stripped, empty -> None."""
    if value is not None and not isinstance(value, str):
        value = str(value)
    if value is not None:
        value = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip() or None
    limit = EDITABLE_FIELDS[name]
    if value is not None and limit is not None and len(value) > limit:
        raise MetadataError(f"{name} is longer than {limit} characters")
    return value


def clean_metadata(fields: dict, *, partial: bool = False) -> dict:
    """Validate and normalise catalogue fields.

    Parameters
    ----------
    fields : dict
        Field name to value; names must be in :data:`EDITABLE_FIELDS`. Strings are stripped,
        control characters removed, empty strings become ``None``.
    partial : bool
        False (a new clip): ``source`` is required. True (an edit): only the given fields
        are checked.

    Returns
    -------
    dict
        The cleaned fields (``source`` and ``vocals`` as their plain string values).

    Raises
    ------
    MetadataError
        Unknown field, missing or invalid source, invalid vocals value, text too long.
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise MetadataError(f"unknown field(s): {', '.join(unknown)}")
    cleaned = {name: _clean_text(name, value) for name, value in fields.items()}
    if "source" in cleaned or not partial:
        source = (cleaned.get("source") or "").lower()
        if source not in SOURCES:
            raise MetadataError(f"source must be {' or '.join(repr(s.value) for s in SOURCES)}")
        cleaned["source"] = source
    if (named_vocals := cleaned.get("vocals")) is not None:
        vocals = _VOCALS_SYNONYMS.get(named_vocals.lower())
        if vocals is None:
            raise MetadataError(f"vocals must be {' or '.join(map(repr, _VOCALS_NAMED))} (or empty)")
        cleaned["vocals"] = vocals.value
    return cleaned


@dataclass(frozen=True)
class ClipMetadata:
    """Catalogue facts supplied with a clip (validated by :func:`clean_metadata`).

    ``source`` is "human" or "ai" (:class:`core.vocabulary.Source`); ``vocals`` "vocal",
    "instrumental" or None; ``is_demo`` marks clips of the built-in demo corpus.
    """

    source: str
    title: str | None = None
    creator: str | None = None
    ai_system: str | None = None
    ai_version: str | None = None
    prompt: str | None = None
    genre: str | None = None
    vocals: str | None = None
    pair_id: str | None = None
    licence: str | None = None
    provenance: str | None = None
    notes: str | None = None
    is_demo: bool = False

    def cleaned(self) -> dict:
        """The catalogue fields, validated; raises :class:`IngestError` with the reason."""
        fields = {key: value for key, value in asdict(self).items() if key != "is_demo"}
        try:
            return clean_metadata(fields)
        except MetadataError as error:
            raise IngestError(str(error)) from None
