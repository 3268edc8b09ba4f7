"""Participant-facing text in more than one language: a gettext message catalog per language.

Every string a participant can read goes through :func:`_` (or :func:`ngettext` when it depends on
a count); the English text is the message id. A string defined at import time (a module constant,
a dataclass default) is marked with :func:`N_`, which only marks it for extraction, and is
translated with :func:`_` where it is shown.

The catalogs are the ``.po`` files under ``core/locales/<language>/LC_MESSAGES/messages.po``
(``make catalogs`` extracts the message ids from the code and updates them). They are compiled in
memory the first time a language is used (Babel reads the ``.po`` and writes the binary catalog
into a buffer for :class:`gettext.GNUTranslations`), so no compiled ``.mo`` file is kept in the
repository or needs a build step. English needs no translations: a message without one is shown
as its id.

The active language is per Streamlit script run: each session's runs happen in its own thread,
and :func:`using_language` sets a ``ContextVar`` for the duration of a ``with`` block and restores
it afterwards, so one session's language never leaks into another page drawn in the same thread.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "de")
"""Language codes a participant may choose (ISO 639-1), the default first."""
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "Deutsch"}
"""Each language's name in that language (for a language switch)."""
LANGUAGE_PARAM = "lang"
"""URL query parameter that chooses the language (``?lang=de``)."""

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"

_active_language: ContextVar[str] = ContextVar("human_touch_language", default=DEFAULT_LANGUAGE)
# One entry of an Accept-Language header: a language range and an optional quality ("de-CH;q=0.8").
_ACCEPT_ENTRY = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def supported(code: object) -> str | None:
    """``code`` as a supported language code (case and region ignored: "DE-at" -> "de"), else None."""
    if not isinstance(code, str):
        return None
    primary = code.strip().split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


def set_language(code: str) -> str:
    """Make ``code`` the language of this script run; unknown codes fall back to the default.

    Returns the language actually set. Prefer :func:`using_language`, which restores the previous
    language afterwards.
    """
    language = supported(code) or DEFAULT_LANGUAGE
    _active_language.set(language)
    return language


@contextmanager
def using_language(code: str | None) -> Iterator[str]:
    """Within the block, :func:`_` translates into ``code`` (the default when unknown or None)."""
    token = _active_language.set(supported(code) or DEFAULT_LANGUAGE)
    try:
        yield _active_language.get()
    finally:
        _active_language.reset(token)


def active_language() -> str:
    """The language of the current script run."""
    return _active_language.get()


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` (identity for a language without a ``.po`` file).

    Compiled from the ``.po`` source once per process (a few milliseconds); fuzzy entries are
    left out, so an unchecked translation falls back to the English text.
    """
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(message: str, language: str) -> str:
    """``message`` in ``language`` (English text is the message id; unknown messages stay as they are)."""
    if not message:  # gettext("") is the catalog's header, never a message
        return message
    return translations(supported(language) or DEFAULT_LANGUAGE).gettext(message)


def _(message: object) -> str:
    """The participant-facing ``message`` in the active language (English text is the message id).

    Also a widget's ``format_func`` (options stored in English, shown translated); like Streamlit's
    default ``str``, it shows a value that is not a string as ``str(value)``.
    """
    if not isinstance(message, str):
        return str(message)
    return translate(message, _active_language.get())


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for count ``n`` in the active language (its plural rules)."""
    return translations(_active_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (translate it with :func:`_` where shown)."""
    return message


def negotiate(accept_language: str | None) -> str | None:
    """The supported language a browser prefers most, from its ``Accept-Language`` header.

    ``"de-DE,de;q=0.9,en;q=0.8"`` -> ``"de"``; entries are taken by quality (``q``, default 1),
    ties in header order; ``*``, malformed entries and ``q=0`` are skipped. None when the header
    names no supported language.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept_language or "").split(",")):
        match = _ACCEPT_ENTRY.match(entry)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = supported(match.group(1))
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(
    requested: object, stored: object = None, accept_language: str | None = None, browser_locale: object = None
) -> str:
    """The language to show, from the first of these that names a supported language.

    ``requested`` (the ``?lang=`` choice), ``stored`` (the participant's), ``accept_language``
    (the browser's ``Accept-Language`` header, see :func:`negotiate`), ``browser_locale`` (its
    ``navigator.language``, e.g. "de-DE"); else English.
    """
    return (
        supported(requested)
        or supported(stored)
        or negotiate(accept_language)
        or supported(browser_locale)
        or DEFAULT_LANGUAGE
    )
