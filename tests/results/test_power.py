"""The power planner reproduces an analytically known power, and its command prints the curve."""

from __future__ import annotations

import itertools
import json
import sys
import types

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from human_touch.cli import main
from results.planning.power import (
    PlanDesign,
    analytic_dprime_power,
    clips_for_equivalence,
    equivalence_floor,
    power_curve,
    simulate_outcomes,
    summarise,
)
from results.planning.sample_size import smallest_size_with_interval
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
    argv = ["plan", "--participants", "10,40", "--sims", "20", "--clips", "40", "--trials", "12", "--d-prime", "1.5"]
    code = main([*argv, "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    curve = payload["curve"]
    assert [row["n_participants"] for row in curve] == [10, 40]
    assert curve[1]["power_detection"] >= curve[0]["power_detection"] and curve[1]["power_detection"] > 0.8
    assert payload["design"]["d_prime"] == 1.5


def test_a_larger_simulated_study_is_the_smaller_one_plus_more_listeners():
    from results.planning.crn import draw_world

    world = draw_world(50, 12, 40, d_prime=0.5, participant_sd=0.3, clip_sd=0.5, criterion_sd=0.3, seed=3)
    small, large = world.table(20), world.table(50)
    pd.testing.assert_frame_equal(small, large.iloc[: len(small)])
    assert large["participant_id"].nunique() == 50 and (large.groupby("participant_id")["is_ai"].sum() == 6).all()
    assert (large["guessed_ai"] == (large["confidence"] >= 4)).all()


def test_power_rises_with_n_up_to_monte_carlo_error_with_common_random_numbers():
    # Every size is studied in the same worlds, so the drop between two sizes can only be Monte Carlo
    # noise in the few worlds whose decision differs between them: at most 2 SE of that paired difference.
    design = PlanDesign(n_clips=40, n_trials=12, d_prime=0.5)
    sizes = (20, 40, 60, 80, 100, 120, 140, 160, 180, 200)
    outcomes = simulate_outcomes(design, sizes, 200, seed=11)
    decided = outcomes.pivot(index="sim", columns="n_participants", values="detected")
    power = decided.mean()
    assert power[200] - power[20] > 0.2
    for smaller, larger in itertools.combinations(sizes, 2):
        difference = decided[larger] - decided[smaller]
        paired_se = difference.std(ddof=1) / np.sqrt(len(difference))
        assert power[larger] >= power[smaller] - 2 * paired_se - 1e-12, (smaller, larger)


def test_smallest_size_reaching_the_power_and_its_interval_cover_the_analytic_answer():
    design = PlanDesign(n_clips=40, n_trials=12, d_prime=0.3, participant_sd=0.0, clip_sd=0.0, criterion_sd=0.0)
    sizes = tuple(range(10, 101, 10))
    analytic = next(n for n in sizes if analytic_dprime_power(design, n) >= 0.8)
    outcomes = simulate_outcomes(design, sizes, 300, seed=5)
    smallest = smallest_size_with_interval(outcomes, "power_detection", 0.8)
    curve = summarise(outcomes)
    assert smallest.n == curve.loc[curve["power_detection"] >= 0.8, "n_participants"].min()
    assert smallest.low <= analytic <= smallest.high and smallest.low <= smallest.n <= smallest.high
    assert f"{smallest.n} participants (Monte Carlo 95% interval {smallest.low}–{smallest.high})" in smallest.sentence(
        "to detect"
    )
    beyond = smallest_size_with_interval(outcomes[outcomes["n_participants"] <= 20], "power_detection", 0.8)
    assert beyond.n is None and "none of the simulated sizes (up to 20" in beyond.sentence("to detect")


def test_plan_command_prints_the_smallest_size_and_starts_from_the_study_in_force(sqlite_data_env, capsys):
    from core import db
    from experiment import repository
    from experiment.settings import StudySettings
    from tests.results.conftest import add_clip

    db.migrate()
    with db.session_scope() as session:
        for source in ["human"] * 9 + ["ai"] * 9:
            add_clip(session, source)
        repository.save_settings(session, StudySettings().with_changes(n_trials=4), check_library=False)
    assert main(["plan", "--participants", "20,200", "--sims", "30", "--d-prime", "1.5"]) == 0
    out = capsys.readouterr().out
    assert "18 clips (9 ai, 9 human), 4 main trials per participant" in out
    assert "n_clips=18, n_trials=4" in out
    assert "80% power to detect d′ = 1.5: " in out and "participants (Monte Carlo 95% interval" in out


def test_plan_refuses_an_impossible_design(capsys):
    assert main(["plan", "--clips", "40", "--trials", "7"]) == 2
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
    assert list(table["Participants (n)"]) == [10, 30]
    assert not [name for name in table.columns if "_" in name]  # labels, not code names
    assert any("power to detect d′ = 1.5" in text.value for text in app.markdown)


def test_plan_page_starts_from_the_study_and_library_in_force(sqlite_data_env):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from core import db
    from experiment import repository
    from experiment.settings import StudySettings
    from tests.results.conftest import add_clip

    with db.session_scope() as session:
        for source in ["human"] * 9 + ["ai"] * 9:
            add_clip(session, source)
        repository.save_settings(session, StudySettings().with_changes(n_trials=4), check_library=False)
    root = Path(__file__).resolve().parents[2]
    app = AppTest.from_file(str(root / "results/pages/plan.py"), default_timeout=120)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.number_input(key="plan_clips").value == 18
    assert app.number_input(key="plan_trials").value == 4


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
    argv = [
        "plan",
        "--participants",
        "20,60",
        "--sims",
        "10",
        "--clips",
        "40",
        "--trials",
        "12",
        "--d-prime",
        "0",
        "--json",
    ]
    assert main([*argv, "--d-prime-margin", "0.2"]) == 0
    equivalence = json.loads(capsys.readouterr().out)["equivalence"]
    assert equivalence["n_equivalence"] is None and equivalence["clips_needed"] > 40
    assert "no number of participants reaches it" in equivalence["sentence"]
    assert equivalence["margins"]["accuracy"] == pytest.approx(
        stats.norm.cdf(0.2 / 2 / np.sqrt(1 + 0.5**2 + 0.3**2 + 0.3**2 / 4)) - 0.5
    )
