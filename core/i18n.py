"""Participant-facing text in more than one language (stub: English only until the catalog lands).

Every string a participant can read goes through :func:`_` so that a message catalog can translate
it. The active language is per Streamlit session: each script run happens in its own thread, so a
``ContextVar`` set at the top of the run (:func:`set_language`) holds for that run only.
"""

from __future__ import annotations

from contextvars import ContextVar

LANGUAGES: tuple[str, ...] = ("en",)
"""Language codes a participant may choose (ISO 639-1)."""
DEFAULT_LANGUAGE = "en"

_active_language: ContextVar[str] = ContextVar("human_touch_language", default=DEFAULT_LANGUAGE)


def set_language(code: str) -> str:
    """Make ``code`` the language of this script run; unknown codes fall back to the default.

    Returns the language actually set.
    """
    language = code if code in LANGUAGES else DEFAULT_LANGUAGE
    _active_language.set(language)
    return language


def active_language() -> str:
    """The language of the current script run."""
    return _active_language.get()


def _(message: str) -> str:
    """The participant-facing ``message`` in the active language (English text is the message id)."""
    return message
