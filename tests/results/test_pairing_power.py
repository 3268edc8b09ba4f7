"""The planner for similar versus random pairs (results.planning.pairing_power): calibrated, near the GLMM."""

from __future__ import annotations

import math

import pytest

from results.planning.paired_simulate import simulate_paired_study
from results.planning.pairing_power import PairingPlan, fast_pairing_test, pairing_plan_sentence, pairing_power_curve
from results.statistics.paired_detection import pair_choices


def test_the_fast_test_rejects_about_5_percent_of_studies_without_a_difference():
    """200 null studies, clips and participants varying (the benchmark's design): 3-7 % false positives."""
    rejected = 0
    for seed in range(200):
        table = simulate_paired_study(40, 8, d_prime=0.5, clip_sd=0.5, n_clips=40, pairing="within", seed=seed)
        _estimate, p_value, df = fast_pairing_test(pair_choices(table))
        rejected += p_value < 0.05
    assert df == 18  # 20 clips of each source - 2
    assert 0.03 <= rejected / 200 <= 0.07


def test_power_rises_with_participants_and_is_near_the_glmms_measured_power():
    # benchmarks/pairing_effect_calibration.py measured the GLMM's power at this design (within, 40 x 8
    # pairs, 40 clips, clip SD 0.5, d' 0.5, difference 0.6): 69.0 % (Monte Carlo SE 3.3 %).
    curve = pairing_power_curve(PairingPlan(pairing_effect=0.6), sizes=(20, 40, 80), n_worlds=150, seed=3)
    power = dict(zip(curve["n_participants"], curve["power"], strict=True))
    assert power[20] < power[40] < power[80]
    assert 0.5 <= power[40] <= 0.8
    sentence = pairing_plan_sentence(PairingPlan(pairing_effect=0.6), curve)
    assert sentence.startswith("80 participants give") and "generalising over participants and clips" in sentence


def test_impossible_plans_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least 4 pairs"):
        pairing_power_curve(PairingPlan(n_pairs=2))
    assert PairingPlan(design="sideways").problems()[0].startswith("the pairing design must be one of")
    assert math.isnan(
        fast_pairing_test(
            pair_choices(simulate_paired_study(10, 4, n_clips=20, pairing="within", seed=1).assign(pairing="similar"))
        )[0]
    )


def test_plan_command_plans_a_pairing_difference(capsys):
    import json

    from human_touch.cli import main

    argv = ["plan", "--participants", "20,80", "--sims", "40", "--clips", "40", "--trials", "16"]
    assert main([*argv, "--pairing-effect", "1.0", "--pairing-design", "between", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["pairing_plan"]["n_pairs"] == 8 and payload["pairing_plan"]["design"] == "between"
    power = [row["power"] for row in payload["curve"]]
    assert power[0] < power[1] and power[1] > 0.8
    assert "a d′ difference (similar − random) of 1, pairing between participants" in payload["sentence"]
    assert main([*argv[:-2], "--trials", "4", "--pairing-effect", "0.5"]) == 2
    assert "at least 4 pairs" in capsys.readouterr().err


def test_plan_page_plans_the_pairing_comparison_from_the_study_in_force(sqlite_data_env):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from core import db
    from experiment import repository
    from experiment.settings import StudySettings
    from tests.results.conftest import add_clip
    from tests.staff_accounts import log_in_as_admin

    with db.session_scope() as session:
        for source in ["human"] * 10 + ["ai"] * 10:
            add_clip(session, source)
        paired = StudySettings().with_changes(
            n_trials=8, trial_format="paired", pairing_design="between", practice_trial=False,
            attention_check=False, repeat_check=False,
        )  # fmt: skip
        repository.save_settings(session, paired, check_library=False)
    root = Path(__file__).resolve().parents[2]
    app = AppTest.from_file(str(root / "results/pages/plan.py"), default_timeout=180)
    log_in_as_admin(app)
    app.run()
    assert not app.exception
    assert app.radio(key="pp_design").value == "between"  # the study's own pairing design
    assert app.number_input(key="pp_clips").value == 20 and app.number_input(key="pp_pairs").value == 4
    app.number_input(key="pp_worlds").set_value(20)
    app.number_input(key="pp_effect").set_value(1.5)
    next(b for b in app.button if b.label == "Plan the pairing comparison").click().run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[-1].value
    assert list(table["Participants (n)"]) == [20, 40, 60, 80, 120, 160]
    assert any("a d′ difference (similar − random) of 1.5, pairing between" in m.value for m in app.markdown)
