"""Two studies at once on one deployment: nginx + 2 replicas + PostgreSQL (``deploy/serve.sh``).

A participant of each study finishes in Chromium through nginx; the database, the counts and the
exports keep them apart; a researcher of study A is refused study B and any settings change, on the
staff site in Chromium and on the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import select

from core import access, auth, db
from core import repository as core_repository
from core.models import Participant, Trial
from experiment import repository, studies
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import ROOT, wait_for_app
from tests.e2e.test_replicas import STUDY, deployment  # noqa: F401 (the module-scoped deployment fixture)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

RESEARCHER, PASSWORD = "rita", "rita's long password"


def _cli(deployment, *args: str, token: str | None = None) -> subprocess.CompletedProcess:  # noqa: F811
    env = {
        **os.environ,
        "HUMAN_TOUCH_DATABASE_URL": deployment.database_url,
        "HUMAN_TOUCH_DATA": str(deployment.run_dir.parent / "data"),
    }
    env.pop(access.TOKEN_ENV, None)
    if token:
        env[access.TOKEN_ENV] = token
    return subprocess.run(
        [sys.executable, "-m", "human_touch.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _study_b_and_a_researcher(deployment) -> tuple[studies.StudyRef, studies.StudyRef, str]:  # noqa: F811
    """Study B (half the demo library), and account rita: researcher of A only. Returns (A, B, rita's CLI token)."""
    operator = access.operator()
    with db.session_scope(db.get_engine(deployment.database_url)) as session:
        first = studies.default(session)
        clips = repository.active_clips(session)
        chosen = [c.clip_id for c in clips if c.source == "human"][:3] + [c.clip_id for c in clips if c.source == "ai"][
            :3
        ]
        second = studies.create(
            session, "Study B", operator.actor(), slug="study-b", settings=STUDY.with_changes(clip_ids=tuple(chosen))
        )
        access.create_account(session, operator, operator.actor(), RESEARCHER)
        account = core_repository.account_by_username(session, RESEARCHER)
        account.password_hash = auth.hash_password(PASSWORD)
        access.set_role(session, operator, operator.actor(), first.id, RESEARCHER, access.Role.RESEARCHER)
        token = access.create_token(session, operator, operator.actor(), RESEARCHER, "e2e")
    return first, second, token


def _take_part(chromium, url: str, slug: str) -> str:
    """One participant of study ``slug`` through nginx from consent to the debrief; returns the resume token."""
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{url}/?study={slug}")
        wait_for_app(page, timeout_ms=120_000)
        token = drive.consent(page)
        drive.answer_questionnaire(page)
        drive.read_instructions(page)
        for number, confidence in enumerate(("Sure AI", "Probably human", "Maybe AI", "Sure human"), start=1):
            drive.answer_current_trial(page, confidence, f"Clip {number} of 4", whole_clip=False)
        wait_for_app(page, "Which clips were made by AI?")
        return token
    finally:
        context.close()


def _log_in(chromium, staff_url: str):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{staff_url}/staff")
    wait_for_app(page, "Staff login", timeout_ms=120_000)
    page.get_by_label("Username", exact=True).fill(RESEARCHER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    # The next address is a new page load: it is logged in only once the browser has traded the login's
    # ticket for the session cookie, which happens right after the login, in the background.
    wait_until(
        lambda: any(c["name"] == "ht_staff_session" for c in context.cookies()) or page.wait_for_timeout(50),
        "the staff session cookie",
    )
    return context, page


def test_two_studies_run_side_by_side_and_a_researcher_sees_only_hers(deployment, chromium, tmp_path):  # noqa: F811
    first, second, token = _study_b_and_a_researcher(deployment)
    tokens = {
        first.slug: _take_part(chromium, deployment.url, first.slug),
        second.slug: _take_part(chromium, deployment.url, second.slug),
    }

    with db.session_scope(db.get_engine(deployment.database_url)) as session:
        for study, resume in ((first, tokens[first.slug]), (second, tokens[second.slug])):
            participant = session.scalars(select(Participant).where(Participant.resume_token == resume)).one()
            assert participant.study_id == study.id and participant.completed_at is not None
            assert repository.study_participant_counts(session, study.id) == {"started": 1, "completed": 1}
        b_settings = repository.current_settings(session, second.id)[1]
        b_clips = session.scalars(
            select(Trial.clip_id).join(Participant).where(Participant.resume_token == tokens[second.slug])
        ).all()
    assert set(b_clips) <= set(b_settings.clip_ids)

    for study in (first, second):
        out = tmp_path / study.slug
        done = _cli(deployment, "export", "--study", study.slug, "--out", str(out), "--format", "csv")
        assert done.returncode == 0, done.stderr
        trials = pd.read_csv(out / "trials.csv")
        assert set(trials["study"]) == {study.slug} and trials["participant_id"].nunique() == 1

    refused = _cli(deployment, "study", "show", "--study", second.slug, token=token)
    assert refused.returncode == 2 and "does not allow" in refused.stderr
    refused = _cli(deployment, "study", "close", "--study", first.slug, token=token)
    assert refused.returncode == 2 and "does not allow opening or closing" in refused.stderr
    refused = _cli(deployment, "export", "--study", second.slug, "--out", str(tmp_path / "stolen"), token=token)
    assert refused.returncode == 2 and not (tmp_path / "stolen").exists()

    context, page = _log_in(chromium, deployment.staff_url)
    try:
        page.goto(f"{deployment.staff_url}/study_settings?study={second.slug}")
        wait_for_app(page, f"no role in a study called '{second.slug}'")
        wait_for_app(page, "lets you read its settings, not change them")
        assert page.get_by_role("button", name="Save as new version").count() == 0
        page.goto(f"{deployment.staff_url}/overview?study={second.slug}")
        wait_for_app(page, f"no role in a study called '{second.slug}'")
    finally:
        context.close()
    with db.session_scope(db.get_engine(deployment.database_url)) as session:
        assert repository.study_is_open(session, first.id)  # nothing the researcher tried changed it
