"""``human-touch export`` and ``human-touch stats``: the same rows and numbers as the app."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from core import db
from human_touch.cli import main
from results.data.dataset import Filters, load_dataset
from results.planning.simulate import simulate_study
from results.statistics import detection
from tests.results.conftest import write_simulated_study


@pytest.fixture
def study(sqlite_data_env):
    simulated = simulate_study(24, 8, n_clips=16, share_incomplete=0.25, share_flagged=0.2, seed=5)
    write_simulated_study(db.get_engine(), simulated)
    return db.get_engine()


def test_export_writes_the_chosen_formats_under_the_filters(study, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", "--out", str(out), "--format", "parquet", "--include-incomplete", "--exclude-too-fast"]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.rsplit("/", 1)[-1] for p in printed) == sorted(
        [
            *("trials.parquet", "participants.parquet", "clips.parquet", "versions.parquet", "flow.parquet"),
            "reasons.parquet",  # one row per reason x cue code (issue 26), written even when empty
            *("codebook.csv", "codebook.md", "codebook.json"),
        ]
    )
    trials = pd.read_parquet(out / "trials.parquet")
    expected = load_dataset(Filters(completed_only=False, exclude_too_fast=True), study).trials
    pd.testing.assert_frame_equal(trials, expected)
    assert not trials["flag_too_fast"].any() and not trials["completed"].all()


def test_stats_prints_the_headline_numbers_as_json(study, capsys):
    assert main(["stats", "--exclude-attention-failed"]) == 0
    payload = json.loads(capsys.readouterr().out)
    dataset = load_dataset(Filters(exclude_attention_failed=True), study)
    app = detection.detection_summary(dataset.trials)
    assert "failed an attention check" in payload["filters"]
    assert payload["exclusions"]["n_participants_after"] == dataset.n_participants
    printed = payload["fixed_clips"]["detection"]
    assert (printed["n_participants"], printed["n_trials"]) == (app.n_participants, app.n_trials)
    assert printed["hit_rate"]["successes"] == app.hit_rate.successes
    assert printed["d_prime"]["mean"] == pytest.approx(app.d_prime.mean)
    assert printed["accuracy"]["ci_low"] == pytest.approx(app.accuracy.ci_low)


def test_bad_flags_are_refused_with_a_message(study, tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path / "x"), "--format", "xlsx"]) == 2
    assert "xlsx" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["stats", "--from", "2025-05-01", "--to", "2025-04-01"]) == 2
    assert "after" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stats", "--from", "yesterday"])


def test_report_command_and_export_report_write_the_same_report(study, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", "--out", str(out)]) == 0
    alone = out.read_text(encoding="utf-8")
    assert alone.startswith("<!DOCTYPE html>")
    assert main(["export", "--out", str(tmp_path / "bundle"), "--format", "csv", "--report"]) == 0
    bundled = (tmp_path / "bundle" / "report.html").read_text(encoding="utf-8")
    drop_time = re.compile(r"Generated [^.]*UTC")
    assert drop_time.sub("", bundled) == drop_time.sub("", alone)


def test_stats_bootstrap_reports_the_small_sample_p_with_its_monte_carlo_error_beside_the_chi2_lr(study, capsys):
    assert main(["stats", "--bootstrap", "19"]) == 0
    payload = json.loads(capsys.readouterr().out)
    test = payload["headline"]["d_prime_bootstrap"]
    assert test["n_samples"] + test["n_failed"] == 19 and test["n_samples"] >= 15
    # p = (1 + #{LR* >= LR}) / (1 + B): a multiple of 1 / (B + 1), with its binomial Monte-Carlo error.
    exceed = test["p_value"] * (test["n_samples"] + 1) - 1
    assert exceed == pytest.approx(round(exceed)) and 0 <= round(exceed) <= test["n_samples"]
    assert test["mc_se"] == pytest.approx((test["p_value"] * (1 - test["p_value"]) / test["n_samples"]) ** 0.5)
    # The chi-square LR p beside it is that of the headline model's own LR statistic of d' = 0.
    model = payload["headline"]["detection"]["model"]["d_prime"]
    assert test["statistic"] == pytest.approx(model["lr_statistic"], rel=1e-4, abs=1e-6)
    assert 0 < test["chi2_p_value"] <= 1 and "parametric-bootstrap" in test["method"]
    # Without the option the JSON has no bootstrap block; a bad count is refused with a message.
    assert main(["stats"]) == 0
    assert "d_prime_bootstrap" not in json.loads(capsys.readouterr().out)["headline"]
    with pytest.raises(SystemExit):
        main(["stats", "--bootstrap", "0"])
    assert "must be at least 1" in capsys.readouterr().err
