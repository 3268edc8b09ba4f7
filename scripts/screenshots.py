"""Take the README's screenshots from the real app in Chromium, so that they stay true.

    PYTHONPATH=$PWD .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/*.png
    PYTHONPATH=$PWD .venv/bin/python scripts/screenshots.py --participants 20 --out /tmp/shots

What it does, on a fresh temporary data folder (SQLite):

1. ``prepare`` as a first run does: migrations, the offline demo library (Bach chorales and their
   Markov imitations), the default study.
2. Simulated listeners take the study through the real journey services (consent, questionnaire,
   headphone screening, practice, every trial, debrief), so the results have something to show.
   They tell AI from human a little better than chance; a few stop half-way or fail the screening.
3. ``streamlit run app.py`` serves that folder, and Debian's Chromium (Playwright) opens a trial
   (after really playing the clip), the debrief, and, logged in as staff, the balance report, the
   results overview and the participants page. PNGs are 1280 px wide, reduced to 256 colours.

Page icons are emoji: without an emoji font (Debian: fonts-noto-color-emoji, which
scripts/system_deps.sh installs) Chromium draws them as empty boxes.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import random
import secrets
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WIDTH = 1280
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# ----------------------------------------------------------------------------------------------
# The study's data, through the real services


def prepare_data(data_dir: Path, password: str) -> None:
    """First-run preparation on ``data_dir`` (this process uses it from now on) and a staff password."""
    os.environ["HUMAN_TOUCH_DATA"] = str(data_dir)
    os.environ["HUMAN_TOUCH_DATABASE_URL"] = f"sqlite:///{data_dir / 'human_touch.db'}"
    from core import auth, config
    from human_touch import startup

    config.configure_numba_cache()
    startup.wire_packages()
    startup.prepare(build_demo=True, echo=lambda line: print(line, flush=True) if "clip" in line.lower() else None)
    auth.set_staff_password(password)
    add_sibling_studies()


def add_sibling_studies() -> None:
    """A pilot and a replication beside the demo study, as a lab's server holds them (for the Studies page)."""
    from core import access, db
    from experiment import repository, studies

    operator = access.operator().actor()
    with db.session_scope() as session:
        if len(studies.live(session)) > 1:
            return
        _version, demo = repository.current_settings(session, studies.default(session).id)
        studies.create(session, "Pilot: strings only", operator, slug="pilot-strings", settings=demo, is_open=False)
        studies.create(
            session, "Replication 2027", operator, slug="replication-2027", settings=demo.with_changes(n_trials=8)
        )


def _answer(token: str, rng: random.Random, sensitivity: float) -> str:
    """Answer the participant's current trial as a listener who is right with ``sensitivity``."""
    from core import db
    from core.models import utcnow
    from experiment import quality, repository
    from experiment.entry import load_participant
    from experiment.trials import current_trial, submit_answer
    from tests.experiment.drive import good_answer

    with db.session_scope() as session:
        participant = load_participant(session, token)
        view = current_trial(session, participant)
        if view is None:
            return participant.step
        trial = repository.trial_at(session, participant, view.trial_index)
        assert trial is not None  # the current trial exists
        # As if the clip had been heard in full: shown one clip-length (and a thought) ago.
        trial.first_shown_at = utcnow() - timedelta(seconds=view.duration_s + rng.uniform(3, 9))
        truth = trial.clip.source
        right = rng.random() < sensitivity
        guess_ai = (truth == "ai") == right
        confidence = rng.choice((4, 5, 6)) if guess_ai else rng.choice((1, 2, 3))
        rating = rng.randint(3, 8) - (1 if truth == "ai" and rng.random() < 0.4 else 0)
        answer = good_answer(view, confidence=confidence, rating=rating)
        if view.kind == "attention":
            target = quality.attention_target(participant.seed, view.scales, view.scale_points)
            ratings: dict[str, Any] = {target.scale: target.value} if target.scale else {}
            answer = dataclasses.replace(answer, confidence=target.confidence, **ratings)
        result = submit_answer(session, participant, view.trial_index, answer)
        if result.status != "recorded":
            raise RuntimeError(f"answer refused: {result.message}")
        return result.next_step


def to_trials(entry, screening_right: bool = True) -> str:
    """Consent, questionnaire, screening and instructions; returns the resume token."""
    from core import db
    from experiment.entry import load_participant
    from experiment.questionnaire import save_questionnaire
    from experiment.trials import acknowledge_instructions
    from tests.experiment.drive import QUESTIONNAIRE, consent, pass_screening, step

    token = consent(entry)
    with db.session_scope() as session:
        save_questionnaire(session, load_participant(session, token), QUESTIONNAIRE)
    if step(token) == "audio_check":
        pass_screening(token, correct=screening_right)
    if step(token) == "instructions":
        with db.session_scope() as session:
            acknowledge_instructions(session, load_participant(session, token))
    return token


def finish(token: str, rng: random.Random, sensitivity: float = 0.7, stop_after: int | None = None) -> None:
    """Answer trials (practice first) until the debrief, or ``stop_after`` answers."""
    from tests.experiment.drive import step

    answered = 0
    while step(token) in ("practice", "trials") and (stop_after is None or answered < stop_after):
        _answer(token, rng, sensitivity)
        answered += 1
    if step(token) == "after_trials":  # the questions asked once the clips are rated
        from core import db
        from experiment.entry import load_participant
        from experiment.preview import sample_answers
        from experiment.questionnaire import after_trials_questions, save_after_trials

        with db.session_scope() as session:
            participant = load_participant(session, token)
            save_after_trials(session, participant, sample_answers(after_trials_questions(session, participant)))


def simulate_listeners(n: int, seed: int = 7) -> None:
    """``n`` listeners through Prolific links: most finish, one stops half-way, one fails the screening."""
    from tests.experiment.drive import prolific

    rng = random.Random(seed)
    for index in range(n):
        entry = prolific(f"{rng.getrandbits(96):024x}", session_id=f"S{index:04d}")
        if index == n - 1:
            to_trials(entry, screening_right=False)
            continue
        token = to_trials(entry)
        finish(token, rng, sensitivity=rng.uniform(0.55, 0.85), stop_after=5 if index == n - 2 else None)
    print(f"{n} simulated listeners took the study", flush=True)


# ----------------------------------------------------------------------------------------------
# The browser


def wait_idle(page, heading: str | None = None, timeout_ms: int = 120_000) -> None:
    """Wait for the page (and its ``heading``, when given) to be drawn and the script to be idle."""
    from tests.e2e.conftest import wait_for_app

    wait_for_app(page, None, timeout_ms)
    if heading is not None:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=timeout_ms)
    page.wait_for_timeout(600)  # charts and fonts settle after the script run ends
    wait_for_app(page, None, timeout_ms)


def save_png(page, path: Path) -> None:
    """The viewport as an optimised PNG (256 colours), ``WIDTH`` px wide."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path} ({path.stat().st_size // 1024} KiB)")


def fit_height(page, minimum: int = 800, maximum: int = 2200) -> None:
    """Grow the viewport to the page's content (Streamlit scrolls inside its main area)."""
    height = page.evaluate(
        "() => { const b = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        " return b ? b.scrollHeight + 40 : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": WIDTH, "height": max(minimum, min(maximum, int(height)))})
    page.evaluate(
        "() => { window.scrollTo(0, 0); const m = document.querySelector('[data-testid=\"stMain\"]');"
        " if (m) m.scrollTo(0, 0); }"
    )
    page.wait_for_timeout(800)


def trial_and_debrief(browser, url: str, out: Path) -> None:
    """A participant's trial (clip really played, answers chosen) and, once all are answered, the debrief."""
    from tests.e2e.journey_driver import listen_until_unlocked
    from tests.experiment.drive import prolific

    token = to_trials(prolific(f"{secrets.randbits(96):024x}", session_id="SHOT"))
    finish(token, random.Random(1), stop_after=3)  # the practice clip and two clips: a mid-study page
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/?resume={token}")
    wait_idle(page)
    page.get_by_role("button", name="Save and continue").wait_for()
    submit = page.get_by_role("button", name="Save and continue")
    listen_until_unlocked(page, submit)
    wait_idle(page)
    scales = page.locator('[data-testid="stButtonGroup"]')
    for i in range(scales.count()):
        buttons = scales.nth(i).locator("button")
        buttons.nth(buttons.count() // 2 + (i % 2)).click()
    page.locator('[data-testid="stRadio"]').filter(has_text="Sure human").locator("label").nth(4).click()
    wait_idle(page)
    fit_height(page, maximum=1800)
    save_png(page, out / "trial.png")
    finish(token, random.Random(2))
    page.goto(f"{url}/?resume={token}")
    wait_idle(page, "Thank you!")
    fit_height(page, maximum=1600)
    save_png(page, out / "debrief.png")
    context.close()


def _staff_context(browser, url: str, password: str):
    """A browser context logged in as staff (the session cookie traded), and its page."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/staff")
    wait_idle(page, "Staff login")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    for _ in range(100):
        if any(cookie["name"] == "ht_staff_session" for cookie in context.cookies()):
            break
        page.wait_for_timeout(100)
    return context, page


def staff_pages(browser, url: str, password: str, out: Path) -> None:
    """Log in as staff, then the balance report, the results overview and the participants page."""
    context, page = _staff_context(browser, url, password)
    for path, text, name in (
        ("balance", "Balance report", "balance-report.png"),
        ("overview", "Results overview", "results-overview.png"),
        ("participants", "Participants", "participants.png"),
        ("studies", "Studies", "studies.png"),
    ):
        page.set_viewport_size({"width": WIDTH, "height": 900})
        page.goto(f"{url}/{path}")
        try:
            wait_idle(page, text)
        except Exception:
            page.screenshot(path=str(out / f"failed-{name}"))  # what the page showed instead
            raise
        page.wait_for_timeout(1500)  # Vega draws after the script run
        fit_height(page)
        save_png(page, out / name)
    context.close()


def research_views(browser, url: str, password: str, out: Path) -> None:
    """Every results chart and table a researcher reads: the Overview's tabs, per clip, features, plan, report."""
    context, page = _staff_context(browser, url, password)
    for tab in ("Detection", "Emotion", "By group"):
        page.set_viewport_size({"width": WIDTH, "height": 900})
        page.goto(f"{url}/overview")
        wait_idle(page, "Results overview")
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
        page.wait_for_timeout(1500)  # Vega draws after the script run
        fit_height(page)
        save_png(page, out / f"overview-{tab.lower().replace(' ', '-')}.png")
    for path, name in (("clips", "per-clip.png"), ("features", "features.png"), ("plan", "plan.png")):
        page.set_viewport_size({"width": WIDTH, "height": 900})
        page.goto(f"{url}/{path}")
        wait_idle(page)
        page.wait_for_timeout(1500)
        fit_height(page)
        save_png(page, out / name)
    report = out / "report.html"
    from human_touch.cli import main as cli

    cli(["report", "--out", str(report)])
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(report.as_uri())
    page.wait_for_timeout(1500)
    height = page.evaluate("() => document.body.scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(6000, int(height) + 40)})
    save_png(page, out / "report.png")
    context.close()


def take(data_dir: Path, out: Path, n_listeners: int, reuse: bool = False, research: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import StreamlitServer

    password = secrets.token_urlsafe(12)
    prepare_data(data_dir, password)
    if not reuse:
        simulate_listeners(n_listeners)
    server = StreamlitServer(data_dir)
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if research:
                    research_views(browser, server.url, password, out)
                else:
                    trial_and_debrief(browser, server.url, out)
                    staff_pages(browser, server.url, password, out)
            finally:
                browser.close()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="folder for the PNGs")
    parser.add_argument("--participants", type=int, default=16, help="simulated listeners (at least 3)")
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--data", type=Path, help="reuse a data folder kept by --keep-data (no new listeners)")
    parser.add_argument(
        "--research",
        action="store_true",
        help="the results views instead (every Overview tab, per clip, features, plan, report)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.data:
        take(args.data.resolve(), args.out.resolve(), 0, reuse=True, research=args.research)
        return 0
    data_dir = Path(tempfile.mkdtemp(prefix="ht-screenshots-")) / "data"
    data_dir.mkdir()
    try:
        take(data_dir, args.out.resolve(), max(3, args.participants), research=args.research)
    finally:
        if args.keep_data:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
