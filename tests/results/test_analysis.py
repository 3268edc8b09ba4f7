"""One Analysis, every view: the Overview, the report and ``stats`` agree, fits are reused, filters persist.

Every results view reads one :class:`results.analysis.Analysis` per filter choice. These tests render the
Overview (AppTest), the report and the stats JSON from the analysis the pages share and compare the
numbers they have in common; count the GLMM fits the Export page's report makes after the Overview; and
move between results pages with "Include simulated participants" ticked.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import db
from core.config import database_url
from experiment.repository import default_study_id
from results.analysis import Analysis, Failure
from results.data.dataset import Filters
from results.mixed import inference, model
from results.planning.simulate import simulate_study
from results.rendering.report import analysis_report_html
from results.rendering.sentences import OVER_PARTICIPANTS_AND_CLIPS
from results.rendering.stats import analysis_stats
from results.ui.filters import cached_analysis
from tests.results.conftest import write_simulated_study
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILTERS = Filters(preregistered=True, completed_only=False)
"""What the sidebar's defaults select (the preregistered rules), as the pages pass it to the cache."""


@pytest.fixture
def stored_study(sqlite_data_env):
    simulated = simulate_study(24, 10, n_clips=20, share_incomplete=0.2, share_flagged=0.2, seed=21)
    write_simulated_study(db.get_engine(), simulated)
    cached_analysis.clear()
    yield simulated
    cached_analysis.clear()


def _overview() -> AppTest:
    app = AppTest.from_file(str(ROOT / "results/pages/overview.py"), default_timeout=180)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _page_analysis() -> Analysis:
    """The Analysis the pages share (Streamlit's resource cache is per process, AppTest runs in it)."""
    with db.session_scope() as session:  # the pages read the study in force: the default one here
        filters = dataclasses.replace(PAGE_FILTERS, study_id=default_study_id(session))
    analysis = cached_analysis(filters, database_url())
    assert analysis.computed("headline"), "not the Overview's analysis: the pages' filters changed?"
    return analysis


def _text(report: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report)))


def test_overview_report_and_stats_show_the_same_numbers(stored_study):
    app = _overview()
    analysis = _page_analysis()
    top = analysis.headline
    assert top.model is not None
    d = top.model.d_prime
    stats = json.loads(json.dumps(analysis_stats(analysis)))
    report = _text(analysis_report_html(analysis))

    # The sentence: first on the Overview, verbatim in the report and the JSON.
    sentence = stats["headline"]["sentence"]
    assert app.markdown[0].value == f"**{sentence}**"
    assert sentence in report and OVER_PARTICIPANTS_AND_CLIPS in sentence
    # Counts and the headline interval.
    counts = f"{analysis.n_participants} participants, {analysis.n_clips} clips, {analysis.n_trials} main trials"
    assert counts in sentence
    assert f"Headline: {OVER_PARTICIPANTS_AND_CLIPS} ({counts})." in [c.value for c in app.caption]
    assert stats["headline"]["detection"]["n_participants"] == analysis.n_participants == top.n_participants
    assert (
        stats["headline"]["detection"]["n_trials"] == analysis.n_trials == stats["fixed_clips"]["detection"]["n_trials"]
    )
    metrics = {m.label: m for m in app.metric}
    interval = f"[{d.ci_low:.2f}, {d.ci_high:.2f}]"
    assert metrics["d′ (GLMM)"].value == f"{d.estimate:.2f}" and metrics["d′ (GLMM)"].delta == interval
    assert f"{d.estimate:.2f} {interval}" in sentence.replace(" = ", " ")
    assert stats["headline"]["detection"]["model"]["d_prime"]["ci_low"] == pytest.approx(d.ci_low)
    assert f"{d.estimate:.2f} [{d.ci_low:.2f}, {d.ci_high:.2f}] profile" in report
    # The pooled accuracy is labelled as treating clips as fixed wherever it appears.
    assert metrics["Accuracy (clips fixed)"].value == f"{100 * analysis.summary.accuracy.estimate:.1f}%"
    assert stats["fixed_clips"]["label"].startswith("treats clips as fixed")


def _count_fits(monkeypatch) -> list[tuple[str, ...]]:
    """Record the fixed-effect names of every binomial GLMM fit from now on (every fit passes one of these)."""
    fits: list[tuple[str, ...]] = []
    for module in (inference, model):
        original = module.fit_binomial

        def counted(y, X, names, *args, _original=original, **kwargs):
            fits.append(tuple(names))
            return _original(y, X, names, *args, **kwargs)

        monkeypatch.setattr(module, "fit_binomial", counted)
    return fits


def test_the_export_pages_report_reuses_the_overviews_fits(stored_study, monkeypatch):
    _overview()  # fits the headline GLMM and the default breakdown (musical training)
    analysis = _page_analysis()
    breakdown = analysis.breakdown_model("training_years")
    assert not isinstance(breakdown, Failure), breakdown
    levels = set(breakdown.levels["level"])
    fits = _count_fits(monkeypatch)
    export = AppTest.from_file(str(ROOT / "results/pages/export.py"), default_timeout=180)
    log_in_as_admin(export)
    export.run()
    assert not export.exception, [e.value for e in export.exception]
    analysis_report_html(_page_analysis())  # what the page's download button calls
    headline_fits = [names for names in fits if set(names) <= {"(Intercept)", "is_ai"}]
    assert headline_fits == [], "the report refitted the headline GLMM the Overview had fitted"
    assert not [names for names in fits if any(name.endswith(tuple(levels)) for name in names if ":" in name)]
    assert fits, "the report had models of its own to fit (other breakdowns, moderators)"
    fits.clear()
    analysis = _page_analysis()  # held from here on: the cache's 30 s may pass on a busy machine
    analysis_report_html(analysis)
    analysis_stats(analysis)
    assert fits == [], "a second view of the same analysis fitted again"


def _results_pages(root: str) -> None:
    """An app with the results pages in its navigation, as ``app.py`` builds it for staff."""
    import streamlit as st

    pages = [st.Page(f"{root}/results/pages/{name}.py") for name in ("overview", "clips", "features", "export")]
    st.navigation(pages).run()


def test_include_simulated_participants_stays_on_across_results_pages(sqlite_data_env):
    app = AppTest.from_function(_results_pages, args=(str(ROOT),), default_timeout=180)
    log_in_as_admin(app)
    app.run()
    assert [t.value for t in app.title] == ["Results overview"]
    app.sidebar.checkbox(key="rf_include_simulated").check().run()
    app.sidebar.radio(key="rf_exclusion_mode").set_value("custom").run()
    for page, title in (("clips", "Per clip"), ("features", "Features and the lens model"), ("export", "Export")):
        app.switch_page(str(ROOT / f"results/pages/{page}.py")).run()
        assert not app.exception, [e.value for e in app.exception]
        assert [t.value for t in app.title] == [title]
        assert app.sidebar.checkbox(key="rf_include_simulated").value is True, page
        assert app.sidebar.radio(key="rf_exclusion_mode").value == "custom", page
    app.sidebar.checkbox(key="rf_include_simulated").uncheck().run()
    app.switch_page(str(ROOT / "results/pages/overview.py")).run()
    assert app.sidebar.checkbox(key="rf_include_simulated").value is False
