"""The message catalog: language choice, the compiled catalogs, and that no participant string escapes them.

Three guards keep participant-facing text in the catalog (the German journey in
tests/experiment/test_language_apptest.py is the fourth, on what is really drawn):

- every message id the code uses is in the English and German catalogs, and every German entry is
  translated with the same placeholders (so ``make catalogs`` and a translator have run);
- the participant's Streamlit code passes no literal text to a Streamlit element without ``_()``;
- no ``_("...")`` hides inside an f-string (extraction cannot see it) and no module that imports
  ``_`` shadows it with a throwaway variable.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core import i18n
from core.i18n import _, choose_language, negotiate, ngettext, translate, using_language

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]

# The participant's Streamlit code; staff-only functions in it are exempt (staff pages are English).
PARTICIPANT_UI = ("experiment/ui/steps.py", "experiment/ui/trial_page.py", "experiment/ui/journey.py")
PARTICIPANT_PAGES = ("experiment/pages/participate.py",)
STAFF_FUNCTIONS = {"preview_page", "_preview_flow", "_preview_consent", "start_preview"}
# Streamlit calls that show text, and the keyword arguments that carry it.
TEXT_CALLS = {
    "title",
    "header",
    "subheader",
    "markdown",
    "write",
    "caption",
    "text",
    "info",
    "error",
    "warning",
    "success",
    "toast",
    "button",
    "form_submit_button",
    "link_button",
    "download_button",
    "radio",
    "segmented_control",
    "pills",
    "selectbox",
    "multiselect",
    "checkbox",
    "toggle",
    "text_area",
    "text_input",
    "number_input",
    "slider",
    "metric",
    "progress",
    "expander",
    "blind_player",
}
TEXT_KEYWORDS = {"label", "text", "body", "help", "placeholder", "value", "todo_text", "done_text"}
GETTEXT = {"_", "N_", "ngettext"}
WORD = re.compile(r"[A-Za-z]{2,}")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _catalog(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language)


def _ids_in_code() -> set[str]:
    """Every message id in the code, extracted as ``make catalogs`` does (babel.cfg)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS)
    return {message[0] if isinstance(message, tuple) else message for _file, _line, message, _c, _ctx in found}


# Language choice ---------------------------------------------------------------------------------


def test_accept_language_picks_the_most_preferred_supported_language():
    assert negotiate("de-DE,de;q=0.9,en;q=0.8") == "de"
    assert negotiate("fr-CH, fr;q=0.9, de;q=0.7, en;q=0.8") == "en"  # by quality, not by order
    assert negotiate("fr, DE-at") == "de"
    assert negotiate("en;q=0.5, de;q=0.5") == "en"  # a tie keeps the header's order
    assert negotiate("de;q=0, en;q=0.1") == "en"  # q=0 means "not this one"
    assert negotiate("*") is None and negotiate("fr") is None and negotiate(None) is None
    assert negotiate("de;q=abc, en") == "en"  # malformed entries are skipped


def test_the_url_choice_beats_the_stored_language_which_beats_the_browser():
    assert choose_language("de", "en", "en-US", "en-US") == "de"
    assert choose_language(None, "de", "en-US", "en-US") == "de"
    assert choose_language("xx", None, "de-CH,en;q=0.5", "en-US") == "de"
    assert choose_language(None, None, None, "de-DE") == "de"
    assert choose_language(["de"], 3, "", None) == "en"  # nothing usable: English


def test_using_language_translates_inside_the_block_only():
    assert _("Save and continue") == "Save and continue"
    with using_language("de") as language:
        assert language == "de"
        assert _("Save and continue") == "Speichern und weiter"
        assert _("A message nobody wrote") == "A message nobody wrote"
        assert _(3) == "3"  # as a format_func, like str
        assert ngettext("{n} person", "{n} people", 1) == "{n} person"  # not in the catalog: English forms
    assert i18n.active_language() == "en" and _("Save and continue") == "Save and continue"
    with using_language("xx"):
        assert i18n.active_language() == "en"


def test_fuzzy_translations_are_not_shown(tmp_path, monkeypatch):
    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Yes"\nmsgstr "Ja"\n\n#, fuzzy\nmsgid "No"\nmsgstr "Vielleicht"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert (translate("Yes", "de"), translate("No", "de")) == ("Ja", "No")
    finally:
        i18n.translations.cache_clear()


# The catalogs ------------------------------------------------------------------------------------


def test_every_message_in_the_code_is_in_every_catalog_and_nothing_else():
    in_code = _ids_in_code()
    assert len(in_code) > 100, "extraction found too little: is babel.cfg right?"
    for language in i18n.LANGUAGES:
        in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalog(language) if m.id}
        assert sorted(in_code - in_catalog) == [], f"missing from {language}: run `make catalogs` and translate"
        assert sorted(in_catalog - in_code) == [], f"stale in {language}: run `make catalogs`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders_and_markup(language):
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, f"fuzzy (unchecked) translation of {ids[0]!r}"
        for text in strings:
            assert text.strip(), f"no {language} translation of {ids[0]!r}"
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(ids[-1])), ids[0]
            assert text.count("**") == ids[0].count("**") and text.count("\n") == ids[0].count("\n"), ids[0]


# The code ----------------------------------------------------------------------------------------


def _trees(paths) -> dict[str, ast.Module]:
    return {path: ast.parse((ROOT / path).read_text(encoding="utf-8")) for path in paths}


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _bare_words(node: ast.AST) -> list[str]:
    """Literal words in ``node`` that no ``_()``/``ngettext()`` call wraps."""
    if isinstance(node, ast.Call) and _called_name(node) in GETTEXT:
        return []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _bare_words(node.func.value)  # _("Clip {n}").format(n=...): the template counts
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return WORD.findall(node.value)
    if isinstance(node, (ast.JoinedStr, ast.BinOp, ast.IfExp, ast.FormattedValue, ast.Tuple, ast.List)):
        return [word for child in ast.iter_child_nodes(node) for word in _bare_words(child)]
    return []


def _participant_functions():
    """(module path, function node) of every participant-facing function of the Streamlit code."""
    for path, tree in _trees(PARTICIPANT_UI).items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name not in STAFF_FUNCTIONS:
                yield path, node
    for path, tree in _trees(PARTICIPANT_PAGES).items():
        yield path, tree


def test_the_participant_ui_shows_no_literal_text_outside_the_catalog():
    offenders = []
    for path, function in _participant_functions():
        for node in ast.walk(function):
            if not isinstance(node, ast.Call) or _called_name(node) not in TEXT_CALLS:
                continue
            texts = node.args[:1] + [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
            offenders += [f"{path}:{node.lineno} {words}" for text in texts if (words := _bare_words(text))]
    assert offenders == [], "wrap participant-facing text in _(): " + "; ".join(offenders)


def test_journey_errors_carry_catalog_messages():
    paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "experiment").rglob("*.py"))
    offenders = [
        f"{path}:{node.lineno}"
        for path, tree in _trees(paths).items()
        for function in tree.body
        if not (isinstance(function, ast.FunctionDef) and function.name in STAFF_FUNCTIONS)
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and _called_name(node) == "JourneyError" and node.args
        if _bare_words(node.args[0])
    ]
    assert offenders == [], "raise JourneyError(_('...')): " + ", ".join(offenders)


def test_no_message_hides_in_an_f_string_and_nothing_shadows_the_underscore():
    paths = sorted(str(p.relative_to(ROOT)) for d in ("core", "experiment") for p in (ROOT / d).rglob("*.py"))
    hidden, shadowed = [], []
    for path, tree in _trees(p for p in paths if "migrations" not in p).items():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                hidden += [
                    f"{path}:{call.lineno}"
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and _called_name(call) in GETTEXT
                    if any(isinstance(arg, ast.Constant) for arg in call.args)
                ]
        imports_underscore = any(
            isinstance(node, ast.ImportFrom) and node.module == "core.i18n" and any(a.name == "_" for a in node.names)
            for node in tree.body
        )
        if imports_underscore:
            shadowed += [
                f"{path}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
            ]
    assert hidden == [], "message extraction cannot see _() inside an f-string: " + ", ".join(hidden)
    assert shadowed == [], "a throwaway `_` hides core.i18n._: " + ", ".join(shadowed)
