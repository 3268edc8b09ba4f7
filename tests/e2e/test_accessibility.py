"""The participant journey passes an automated accessibility scan (axe-core) in English and German.

Every page a participant sees, from consent to debrief (with the questionnaire's error state), is
scanned in Chromium with axe-core (vendored: ``tests/e2e/vendor``), WCAG 2.0/2.1 A and AA rules.
No serious or critical violation may remain. Also checked by hand-written assertions for what axe
cannot judge: headings add no "link to heading" tab stop and the rating scales' accessible names
carry no Markdown asterisks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.i18n import translate
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1
BLOCKING = {"serious", "critical"}
STUDY = StudySettings(
    n_trials=2,
    attention_check=False,
    repeat_check=False,
    practice_trial=False,
    screening="optional",
    screening_trials=1,
    screening_criterion="custom",
    screening_pass=1,
    listening_requirement=1.0,
    max_same_source_run=3,
)


def axe_violations(page) -> list[dict]:
    """The serious and critical axe-core violations of what ``page`` shows now (WCAG 2.x A/AA rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }"""
    )
    return [v for v in results if v["impact"] in BLOCKING]


def scan(page, where: str, found: dict[str, list[dict]]) -> None:
    wait_for_app(page)
    found[where] = axe_violations(page)
    # Headings: no anchor link (a tab stop per heading, read as "link to heading").
    assert page.locator('[data-testid="stHeaderActionElements"] a').count() == 0, where
    names = page.evaluate("() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))")
    assert not [name for name in names if "*" in name], f"{where}: a Markdown asterisk in an accessible name"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_participant_journey_has_no_serious_accessibility_violation(e2e_data_dir, monkeypatch, chromium, lang):
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256, "tests/e2e/vendor/axe.min.js changed"
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=2, clip_seconds=2.0)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE" if lang == "de" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    found: dict[str, list[dict]] = {}
    try:
        page.goto(f"{server.url}/?lang={lang}")
        wait_for_app(page, translate("Information about this study", lang))
        scan(page, "consent", found)
        drive.consent(page, lang)

        wait_for_app(page, translate("About you", lang))
        drive.wait_for_radios(page, 7)
        scan(page, "questionnaire", found)
        drive.click_button(page, translate("Continue", lang))  # nothing answered: every question is named
        prefix = translate("Please answer these {n} questions:", lang).split("{")[0]
        error = page.locator('[data-testid="stAlert"]').filter(has_text=prefix)
        error.wait_for()
        assert error.locator("li").count() >= 7
        scan(page, "questionnaire, answers missing", found)
        drive.answer_questionnaire(page, lang)

        wait_for_app(page, translate("Audio check", lang))
        scan(page, "audio check", found)
        drive.pass_audio_check(page, lang, before_answer=lambda: scan(page, "headphone screen", found))

        wait_for_app(page, translate("Instructions", lang))
        scan(page, "instructions", found)
        drive.read_instructions(page, lang)

        first = translate("Clip {position} of {total}", lang).format(position=1, total=2)
        wait_for_app(page, first)
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 4")
        figures = page.locator("img.ht-sam-figure")
        assert figures.count() == 10 and all(figures.nth(i).get_attribute("alt") for i in range(10))
        scan(page, "trial", found)
        drive.answer_current_trial(page, "Sure AI", first, lang=lang)
        second = translate("Clip {position} of {total}", lang).format(position=2, total=2)
        drive.answer_current_trial(page, "Maybe human", second, lang=lang)

        wait_for_app(page, translate("A few last questions", lang))
        drive.wait_for_radios(page, 1)
        scan(page, "last questions", found)
        drive.answer_after_trials(page, lang)

        wait_for_app(page, translate("Which clips were made by AI?", lang))
        for element in ("stMetric", "stTable", "stCode"):
            page.locator(f'[data-testid="{element}"]').first.wait_for()
        scan(page, "debrief", found)
    finally:
        context.close()
        server.stop()
    blocking = {where: violations for where, violations in found.items() if violations}
    assert not blocking, json.dumps(blocking, indent=1, ensure_ascii=False)
    assert len(found) == 9  # every page was scanned
