"""The study settings in Chromium: Enter in a field saves nothing; only "Save as new version" saves."""

from __future__ import annotations

import json
import sqlite3

from experiment.settings import StudySettings
from tests.e2e.conftest import wait_for_app
from tests.e2e.journey_driver import prepare_study, start_server
from tests.e2e.test_staff_session import PASSWORD, _log_in_at


def _versions(data_dir) -> int:
    with sqlite3.connect(data_dir / "human_touch.db") as connection:
        return connection.execute("SELECT count(*) FROM study_versions").fetchone()[0]


def _is_open(data_dir) -> bool:
    with sqlite3.connect(data_dir / "human_touch.db") as connection:
        return bool(connection.execute("SELECT is_open FROM studies ORDER BY id LIMIT 1").fetchone()[0])


def test_enter_in_a_settings_field_saves_nothing_and_closing_is_no_version(e2e_data_dir, monkeypatch, chromium):
    prepare_study(e2e_data_dir, monkeypatch, StudySettings(n_trials=4, practice_trial=False), n_per_source=4)
    server = start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        server.set_staff_password(PASSWORD)
        _log_in_at(page, f"{server.url}/study_settings")
        wait_for_app(page, "Save as new version")
        before = _versions(e2e_data_dir)

        trials = page.get_by_label("Main trials per participant (even: half human, half AI)")
        trials.fill("6")
        trials.press("Enter")
        page.get_by_text("Not saved yet: Main trials per participant.").wait_for()
        title = page.get_by_role("textbox", name="Title shown to participants", exact=True)
        title.fill("Strings pilot")
        title.press("Enter")
        page.get_by_text("Not saved yet: Title shown to participants, Main trials per participant.").wait_for()
        wait_for_app(page)
        assert _versions(e2e_data_dir) == before, "Enter in a field must not save a version"

        page.get_by_role("button", name="Save as new version").click()
        page.get_by_text("Saved as a new version.").wait_for()
        assert _versions(e2e_data_dir) == before + 1

        # Removing the only design condition and adding another keeps only the new one (issue 24, item 4).
        conditions = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Conditions (participants")
        chips = conditions.locator("[data-tag]")
        assert [chips.nth(i).get_attribute("aria-label") for i in range(chips.count())] == ["Blind (rate and guess)"]
        conditions.get_by_role("button", name="Remove Blind (rate and guess)").click()
        wait_for_app(page)
        page.get_by_text("Not saved yet: Conditions.").wait_for()
        assert chips.count() == 0
        conditions.locator("input").click()
        page.keyboard.type("Labelled")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        wait_for_app(page)
        page.get_by_text("Not saved yet: Conditions.").wait_for()
        page.get_by_role("button", name="Save as new version").click()
        page.get_by_text("Saved as a new version.").wait_for()
        assert [chips.nth(i).get_attribute("aria-label") for i in range(chips.count())] == [
            "Labelled (AI / person announced)"
        ]
        with sqlite3.connect(e2e_data_dir / "human_touch.db") as connection:
            config = connection.execute("SELECT config FROM study_versions ORDER BY id DESC LIMIT 1").fetchone()[0]
        assert json.loads(config)["conditions"] == ["labelled"]
        assert _versions(e2e_data_dir) == before + 2

        # Closing is a state of the study: no settings version.
        page.get_by_text("Open for new participants").click()
        wait_for_app(page)
        for _ in range(300):
            if not _is_open(e2e_data_dir):
                break
            page.wait_for_timeout(100)
        assert not _is_open(e2e_data_dir) and _versions(e2e_data_dir) == before + 2
    finally:
        context.close()
        server.stop()
