"""The power planner reproduces an analytically known power, and its command prints the curve."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
from scipy import stats

from human_touch.cli import main
from results.planning.power import (
    PlanDesign,
    analytic_dprime_power,
    clips_for_equivalence,
    equivalence_floor,
    power_curve,
)
from tests.staff_accounts import log_in_as_admin


def test_plan_reproduces_the_analytic_power_when_nothing_varies():
    # No participant, clip or criterion variation: every trial is an independent probit
    # observation, so the d' test is the normal test of z(H) - z(F) and the accuracy test the
    # normal test of a proportion, both on t(clips - 2); their power is known in closed form.
    design = PlanDesign(n_clips=40, n_trials=12, d_prime=0.3, participant_sd=0.0, clip_sd=0.0, criterion_sd=0.0)
    n_sims = 240
    row = power_curve(design, (30,), n_sims, workers=2, seed=7).iloc[0]
    expected = analytic_dprime_power(design, 30)
    assert 0.5 < expected < 0.7  # a power where simulation error is largest: a demanding check
    tolerance = 3 * np.sqrt(expected * (1 - expected) / n_sims)
    assert row.power_dprime == pytest.approx(expected, abs=tolerance)
    p = stats.norm.cdf(design.d_prime / 2)
    ncp = (p - 0.5) / np.sqrt(p * (1 - p) / (30 * design.n_trials))
    accuracy_power = stats.nct.sf(stats.t.ppf(0.975, 38), 38, ncp)
    assert row.power_accuracy == pytest.approx(accuracy_power, abs=tolerance)
    assert row.fit_failures == 0 and row.n_sims == n_sims


def test_plan_command_prints_power_over_sample_sizes(capsys):
    code = main(["plan", "--participants", "10,40", "--sims", "20", "--workers", "1", "--d-prime", "1.5", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    curve = payload["curve"]
    assert [row["n_participants"] for row in curve] == [10, 40]
    assert curve[1]["power_detection"] >= curve[0]["power_detection"] and curve[1]["power_detection"] > 0.8
    assert payload["design"]["d_prime"] == 1.5


def test_plan_refuses_an_impossible_design(capsys):
    assert main(["plan", "--trials", "7"]) == 2
    assert "even" in capsys.readouterr().err


def test_plan_page_draws_the_power_curve(sqlite_data_env):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[2]
    app = AppTest.from_file(str(root / "results/pages/plan.py"), default_timeout=120)
    log_in_as_admin(app)
    app.run()
    assert not app.exception and app.title[0].value == "Plan a study"
    app.text_input(key="plan_sizes").set_value("10, 30")
    app.number_input(key="plan_sims").set_value(10)
    app.number_input(key="plan_d").set_value(1.5)
    app.button[0].click().run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[0].value
    assert list(table["n_participants"]) == [10, 30] and (table["n_sims"] == 10).all()


def test_the_workers_never_rerun_the_page_that_asked_for_the_plan(tmp_path, monkeypatch):
    # Inside Streamlit (and after an AppTest) __main__ is the page script; a "spawn" worker re-runs
    # __main__'s file first, so the Plan page would run again in every worker and a failing one
    # broke the whole pool ("BrokenProcessPool" in the full suite).
    page = tmp_path / "plan_page.py"
    page.write_text("raise SystemExit('the page ran again in a worker')\n")
    page_main = types.ModuleType("__main__")
    page_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", page_main)
    design = PlanDesign(n_clips=20, n_trials=12, d_prime=0.3, participant_sd=0.0, clip_sd=0.0, criterion_sd=0.0)
    row = power_curve(design, (10,), 4, workers=2, seed=1).iloc[0]
    assert row["n_participants"] == 10
    assert sys.modules["__main__"] is page_main  # the page's module is back for the rest of its run


def test_equivalence_is_reached_with_enough_clips_and_never_below_the_clip_floor():
    """At d' = 0 the planner's studies reach "equivalent" when the clips allow it, and not below the floor."""
    clear = PlanDesign(n_clips=40, n_trials=20, d_prime=0.0, participant_sd=0.0, clip_sd=0.0, criterion_sd=0.0)
    assert power_curve(clear, (100,), 40, workers=1, seed=3).iloc[0].power_equivalence > 0.9
    # Clip SD 0.5 and 40 clips: the clips alone put d' margins below about 0.27 out of reach, whatever N.
    limited = PlanDesign(n_clips=40, n_trials=12, d_prime=0.0, clip_sd=0.5, d_prime_margin=0.2)
    assert equivalence_floor(limited) == pytest.approx(stats.t.ppf(0.95, 38) * 2 * 0.5 / np.sqrt(40))
    assert equivalence_floor(limited) > limited.d_prime_margin
    assert power_curve(limited, (600,), 30, workers=1, seed=4).iloc[0].power_equivalence < 0.1
    needed = clips_for_equivalence(limited)
    assert needed is not None and needed > 40
    se = 2 * 0.5 / np.sqrt(needed)
    assert 2 * stats.norm.cdf(0.2 / se - stats.t.ppf(0.95, needed - 2)) - 1 >= 0.8


def test_plan_command_says_what_equivalence_needs(capsys):
    argv = ["plan", "--participants", "20,60", "--sims", "10", "--workers", "1", "--d-prime", "0", "--json"]
    assert main([*argv, "--d-prime-margin", "0.2"]) == 0
    equivalence = json.loads(capsys.readouterr().out)["equivalence"]
    assert equivalence["n_equivalence"] is None and equivalence["clips_needed"] > 40
    assert "no number of participants reaches it" in equivalence["sentence"]
    assert equivalence["margins"]["accuracy"] == pytest.approx(
        stats.norm.cdf(0.2 / 2 / np.sqrt(1 + 0.5**2 + 0.3**2 + 0.3**2 / 4)) - 0.5
    )
