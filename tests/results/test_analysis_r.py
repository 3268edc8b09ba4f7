"""``results/analysis.R`` (shipped with exports and the replication package) gives a 95 % interval for every
fixed effect: lme4's profile interval, else a Wald interval with a note (issue 22: profiling used to stop with
"profiling detected new, lower deviance" and print NULL). Needs ``Rscript`` with lme4 (skipped locally without)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from results.planning.simulate import simulate_study
from results.rendering.export import table_to_csv
from results.statistics.emotion_ordinal import emotion_ordinal_model
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

SCRIPT = Path(__file__).resolve().parents[2] / "results" / "analysis.R"


def _run(folder: Path, **env: str) -> tuple[pd.DataFrame, str]:
    run = subprocess.run(
        ["Rscript", str(SCRIPT), "trials.csv", "estimates.csv"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "HUMAN_TOUCH_SCALES": "none", **env},
    )
    return pd.read_csv(folder / "estimates.csv").set_index("term"), run.stderr


@pytest.mark.slow
def test_analysis_r_gives_an_interval_for_every_fixed_effect_profile_or_wald_with_a_note(tmp_path):
    require_or_skip(r_package_available("lme4"), "Rscript with lme4 (r-base-core, r-cran-lme4)")
    # Small and singular (the participant d' SD is estimated at 0): the case where profiles used to fail.
    study = simulate_study(20, 8, d_prime=0.8, n_clips=10, cue_weight=0.5, label_effects={}, seed=2)
    (tmp_path / "trials.csv").write_bytes(table_to_csv(study))
    profiled, log = _run(tmp_path)
    wald, wald_log = _run(tmp_path, HUMAN_TOUCH_DETECTION_ONLY="1")
    for estimates, note in ((profiled, log), (wald, wald_log)):
        fixed = estimates.loc[["(Intercept)", "is_ai"]]
        assert (fixed["ci_low"] < fixed["estimate"]).all() and (fixed["estimate"] < fixed["ci_high"]).all()
        if (fixed["ci_method"] == "Wald").any():
            assert "note: Wald 95% intervals instead of profile intervals" in note
    assert set(profiled.loc[["(Intercept)", "is_ai"], "ci_method"]) <= {"profile", "Wald"}
    assert (wald.loc[["(Intercept)", "is_ai"], "ci_method"] == "Wald").all()
    # Wald: estimate +- 1.96 SE.
    is_ai = wald.loc["is_ai"]
    assert is_ai["ci_high"] - is_ai["estimate"] == pytest.approx(1.959964 * is_ai["se"], rel=1e-6)


@pytest.mark.slow
def test_analysis_r_fits_the_apps_ordinal_emotion_model_and_reports_its_numbers(tmp_path):
    """The clmm row of analysis.R is the Overview's ordinal model: crossed participant and clip intercepts, no
    participant slope, interval and test on t(clips - 2). (It used to fit a by-participant slope and print clmm's
    z-test, so its numbers differed from the page's.)"""
    require_or_skip(r_package_available("ordinal"), "Rscript with lme4 and ordinal (r-cran-lme4, r-cran-ordinal)")
    study = simulate_study(40, 12, d_prime=1.0, n_clips=24, label_effects={}, source_effects={"moved": 0.6}, seed=11)
    (tmp_path / "trials.csv").write_bytes(table_to_csv(study))
    estimates, _ = _run(tmp_path, HUMAN_TOUCH_SCALES="moved", HUMAN_TOUCH_EMOTION_ONLY="1")
    theirs = estimates[estimates["model"] == "emotion_clmm moved"].loc["is_ai"]
    ours = emotion_ordinal_model(study, "moved")
    assert ours.df == 22
    assert theirs["ci_method"] == "Wald t(22)"
    for column in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert theirs[column] == pytest.approx(ours.effect[column], rel=0.02), column
    # clmm's own z-test (p_value_chisq) treats the 24 clips as infinitely many: smaller than the app's t-test.
    assert theirs["p_value_chisq"] < theirs["p_value"]
