"""The results pages: staff only, and they render on a database filled with a simulated study."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import db
from experiment import repository
from results.planning.simulate import simulate_study
from results.rendering.labels import scale_label
from tests.results.conftest import write_simulated_study
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "results/pages/overview.py",
    "results/pages/clips.py",
    "results/pages/features.py",
    "results/pages/reasons.py",
    "results/pages/export.py",
]
TIMEOUT_S = 120


def _page(path: str, staff: bool) -> AppTest:
    app = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT_S)
    if staff:
        log_in_as_admin(app)
    return app


@pytest.fixture
def filled_study(sqlite_data_env):
    simulated = simulate_study(
        24, 10, n_clips=20, share_incomplete=0.2, share_flagged=0.2, n_attention_trials=1, seed=21
    )
    write_simulated_study(db.get_engine(), simulated)
    return simulated


@pytest.mark.parametrize("path", PAGES)
def test_pages_stop_without_staff_login(sqlite_data_env, path):
    app = _page(path, staff=False).run()
    assert not app.exception
    assert [e.value for e in app.error] == ["This page is for study staff. Please log in."]
    assert not app.title


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_staff_on_a_simulated_study(filled_study, path):
    app = _page(path, staff=True).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title
    captions = " ".join(c.value for c in app.caption)
    assert "exclusion rules preregistered" in captions


@pytest.mark.parametrize("path", PAGES)
def test_pages_explain_an_empty_study(sqlite_data_env, path):
    app = _page(path, staff=True).run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("No answered main trials" in i.value for i in app.info)


def test_overview_states_the_n_behind_the_figures(filled_study):
    app = _page("results/pages/overview.py", staff=True).run()
    completed = filled_study[filled_study["completed"] & (filled_study["kind"] == "main")]
    n_participants, n_trials = completed["participant_id"].nunique(), len(completed)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Participants / main trials"] == f"{n_participants} / {n_trials}"


def test_filters_in_the_sidebar_change_the_data(filled_study):
    app = _page("results/pages/overview.py", staff=True).run()
    app.sidebar.radio(key="rf_exclusion_mode").set_value("none").run()
    assert not app.exception
    everyone = filled_study[filled_study["kind"] == "main"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Participants / main trials"] == f"{everyone['participant_id'].nunique()} / {len(everyone)}"


def test_overview_leads_with_the_glmm_and_shows_the_models_on_request(filled_study):
    app = _page("results/pages/overview.py", staff=True).run()
    metrics = {m.label: m.value for m in app.metric}
    assert float(metrics["d′ (GLMM)"]) > 0  # the simulated listeners can tell (d' = 1)
    assert {"Criterion c (GLMM)", "Accuracy", "AUC (confidence)"} <= set(metrics)
    assert any("GLMM (1 + is_ai || participant) + (1 | clip)" in c.value for c in app.caption)
    verdicts = [element.value for element in (*app.success, *app.info, *app.warning)]
    # d' = 1: the verdict is detection, its test quoted first, with the margin on the d' scale converted.
    assert any(v.startswith("Detection: d′ = ") and "detection test p" in v for v in (e.value for e in app.success)), (
        verdicts
    )
    assert any("Margin ±0.3 d′ (≈ ±" in c.value for c in app.caption)
    # Which test is confirmatory: the preregistration's table, and a tag beside the tests themselves.
    roles = next(frame.value for frame in app.dataframe if "Role" in frame.value.columns).set_index("Test")["Role"]
    assert roles["d′ = 0, likelihood-ratio test of the probit GLMM"] == "confirmatory"
    assert roles["criterion c = 0 (response bias)"] == roles["accuracy and AUC against 50 %"] == "exploratory"
    assert any(c.value.startswith("d′: Confirmatory (RQ1). c: Exploratory") for c in app.caption)
    app.toggle(key="overview_fit_detection_model").set_value(True).run()
    app.toggle(key="overview_fit_emotion_model").set_value(True).run()
    assert not app.exception, [e.value for e in app.exception]
    terms = [list(frame.value["Term"]) for frame in app.dataframe if "Term" in frame.value.columns]  # labelled
    assert ["(Intercept)", "is_ai"] in terms  # detection GLMM and the emotion model without the guess
    # The emotion analysis is the ordinal model per scale; the linear model is shown as its sensitivity check.
    effects = next(frame.value for frame in app.dataframe if "P(AI rated higher)" in frame.value.columns)
    assert list(effects["Scale"]) == [scale_label(s) for s in ("valence", "arousal", "moved", "liking")]
    assert list(effects["Scale"])[0] == "Valence"  # in words, not the code name
    assert any(m.value == "**Sensitivity check (linear model)**" for m in app.markdown)


def test_clip_page_plays_the_served_file_and_warns_when_it_is_missing(filled_study, sqlite_data_env):
    from results.data.table import load_clips_table

    clips = load_clips_table(db.get_engine())
    first = clips.sort_values("clip_id").iloc[0]
    clips_folder = sqlite_data_env / "clips"
    clips_folder.mkdir(exist_ok=True)
    (clips_folder / first["served_name"]).write_bytes(b"\x00" * 64)

    app = _page("results/pages/clips.py", staff=True).run()
    app.selectbox(key="clips_detail").set_value(int(first["clip_id"])).run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.get("audio")) == 1 and not app.warning
    other = int(clips.sort_values("clip_id").iloc[1]["clip_id"])
    app.selectbox(key="clips_detail").set_value(other).run()
    assert not app.get("audio")
    assert [w.value for w in app.warning] == ["The audio file of this clip is not in the data folder."]


def test_refresh_shows_answers_that_arrived_meanwhile(filled_study):
    app = _page("results/pages/overview.py", staff=True).run()
    write_simulated_study(db.get_engine(), simulate_study(3, 10, n_clips=20, seed=99))
    app.sidebar.button(key="rf_refresh").click().run()
    assert not app.exception
    completed = filled_study[filled_study["completed"] & (filled_study["kind"] == "main")]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Participants / main trials"] == (
        f"{completed['participant_id'].nunique() + 3} / {len(completed) + 30}"
    )


def test_export_page_offers_every_download(filled_study):
    app = _page("results/pages/export.py", staff=True).run()
    assert not app.exception
    labels = [button.proto.label for button in app.get("download_button")]
    with db.session_scope() as session:
        in_force, _settings = repository.current_settings(session)
    assert labels == [
        "Download everything (zip)",
        "Trials (CSV)",
        "Codebook (Markdown)",
        "Codebook (CSV)",
        "Download the report (HTML)",
        f"Download the preregistration of study version {in_force} (Markdown + JSON)",
    ]
    app.multiselect(key="export_formats").set_value([]).run()
    warnings = [w.value for w in app.warning]
    assert "Choose at least one format." in warnings
    assert any("has no planned sample size" in w for w in warnings) == (not _settings.planned_n)


def test_every_breakdown_renders(filled_study):
    from results.analysis import BREAKDOWN_ATTRIBUTES as BREAKDOWN_CHOICES

    app = _page("results/pages/overview.py", staff=True).run()
    for column in BREAKDOWN_CHOICES:
        app.selectbox(key="overview_breakdown_by").set_value(column).run()
        assert not app.exception, (column, [e.value for e in app.exception])
        groups = [frame.value for frame in app.dataframe if BREAKDOWN_CHOICES[column] in frame.value.columns]
        assert len(groups) in (1, 2) and all(len(g) >= 1 for g in groups), column  # GLMM levels, pooled counts
