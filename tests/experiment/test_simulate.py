"""Simulated demo participants: made through the real services, marked, left out unless asked for."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from core import db
from experiment.simulate import EMOTION_EFFECTS, clip_draws, simulate_participants
from human_touch.cli import main
from results.data.dataset import Filters, load_dataset
from tests.experiment.drive import add_clips, complete_participant, configure


@pytest.fixture
def study(sqlite_data_env):
    add_clips(8, 8)
    configure()
    return sqlite_data_env


def test_simulated_participants_recover_their_d_prime_and_emotion_effect_and_stay_out_of_real_results(study):
    real = complete_participant()
    made = simulate_participants(db.session_scope, 40, d_prime=1.5, seed=3, echo=lambda _: None)
    assert len(made) == 40 and abs(np.mean([m.d_prime for m in made]) - 1.5) < 0.2

    default = load_dataset()
    assert default.n_participants == 1 and real  # only the real participant
    assert not default.participants["simulated"].any() and not default.trials["simulated"].any()

    included = load_dataset(Filters(include_simulated=True))
    assert included.n_participants == 41
    assert included.participants["simulated"].sum() == 40 and included.participants["completed"].all()
    assert "INCLUDING SIMULATED" in included.filters.describe()
    trials = included.trials[included.trials["simulated"] & (included.trials["kind"] == "main")]
    hits = trials.loc[trials["is_ai"], "guessed_ai"].mean()
    false_alarms = trials.loc[~trials["is_ai"], "guessed_ai"].mean()
    # Clip spread (u_j) and criterion spread attenuate the pooled d' a little below the mean d_p; over
    # 480 trials its standard error is about 0.13, so the band is the mean d_p (1.5 +- 0.2) -0.5/+0.3.
    assert 1.0 < norm.ppf(hits) - norm.ppf(false_alarms) < 1.8
    # The clip offsets are known: take them out, and the built-in effect is what remains.
    moved_index = list(EMOTION_EFFECTS).index("moved")
    offsets = trials["clip_id"].map(lambda clip_id: clip_draws(3, int(clip_id))[1][moved_index])
    moved = (trials["moved"] - offsets).groupby(trials["is_ai"]).mean()
    assert moved[True] - moved[False] == pytest.approx(EMOTION_EFFECTS["moved"], abs=0.25)


def test_demo_participants_command_refuses_a_real_library_unless_forced(study, capsys):
    assert main(["demo", "participants", "--n", "3"]) == 2
    assert "not demo clips" in capsys.readouterr().err
    assert main(["demo", "participants", "--n", "3", "--force"]) == 0
    assert "Added 3 simulated participants" in capsys.readouterr().out
    assert load_dataset().n_participants == 0
    assert load_dataset(Filters(include_simulated=True)).n_participants == 3


def test_simulated_participants_of_a_paired_study_answer_every_pair_once_and_detect(sqlite_data_env):
    add_clips(8, 8)
    configure(trial_format="paired", n_trials=8, screening="off")
    simulate_participants(db.session_scope, 20, d_prime=1.5, seed=5, echo=lambda _: None)
    trials = load_dataset(Filters(include_simulated=True)).trials
    pairs = trials[trials["pair_trial"].notna()]
    assert len(pairs) == 20 * 8 and (pairs.groupby(["participant_id", "pair_trial"]).size() == 2).all()
    assert (pairs.groupby(["participant_id", "pair_trial"])["pair_choice"].nunique() == 1).all()
    first = pairs[pairs["pair_position"] == 1]
    assert 0.6 < first["pair_correct"].mean() < 0.95  # d' 1.5 gives about 0.86 in 2AFC, less the clip spread
