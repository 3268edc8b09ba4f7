"""Errors of the audio package whose message is written for the organiser who caused them."""

from __future__ import annotations


class IngestError(ValueError):
    """A clip could not be added or re-processed; ``str(error)`` is a user-facing message.

    Raised before anything is stored: when it is raised, no file and no database row exist
    for the clip.
    """


class MetadataError(ValueError):
    """A catalogue field has an invalid value; ``str(error)`` is a user-facing message."""


class ServedAudioMissing(FileNotFoundError):
    """Neither the database nor the data folder holds a clip's served bytes; the message says which clip.

    A :class:`FileNotFoundError` (an ``OSError``) so that callers which guard reading a clip
    against a missing file keep working.
    """
