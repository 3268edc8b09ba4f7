"""Similar versus random pairs as a design factor (experiment.pairing_design) through the real services."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from audio import repository as audio_repository
from core import db
from core.models import Clip, Participant, Trial
from core.vocabulary import Source
from experiment.pairing_design import pairing_types
from tests.experiment.drive import add_clips, configure, reach_trials

N_PER_SOURCE = 10


def add_clips_with_planted_neighbours() -> dict[int, int]:
    """Clips whose features put AI clip k next to human clip k (far from every other); {human: AI}."""
    add_clips(N_PER_SOURCE, N_PER_SOURCE)
    with db.session_scope() as s:
        clips = s.scalars(select(Clip).order_by(Clip.id)).all()
        humans = [c.id for c in clips if c.source == Source.HUMAN]
        ais = [c.id for c in clips if c.source == Source.AI]
        for k, (human, ai) in enumerate(zip(humans, ais, strict=True)):
            for clip_id, nudge in ((human, 0.0), (ai, 0.1)):
                values = {f"mfcc_{i}_mean": 10.0 * k + nudge for i in range(1, 14)}
                audio_repository.put_features(s, clip_id, values, "test")
        return dict(zip(humans, ais, strict=True))


def pairs_of(token_participant_id: int) -> list[tuple[str, int, int]]:
    """(pairing, human clip, AI clip) of each scored pair of a participant."""
    with db.session_scope() as s:
        trials = s.scalars(select(Trial).where(Trial.participant_id == token_participant_id)).all()
        pairs: dict[int, dict] = {}
        for t in trials:
            if t.pair_trial:
                pairs.setdefault(t.pair_trial, {"pairing": t.pairing})[t.clip.source] = t.clip_id
        return [(p["pairing"], p[Source.HUMAN], p[Source.AI]) for _n, p in sorted(pairs.items())]


def participant_ids() -> list[int]:
    with db.session_scope() as s:
        return list(s.scalars(select(Participant.id).order_by(Participant.id)))


def test_pairing_types_within_are_half_and_half_and_between_are_one_type():
    assert Counter(pairing_types("within", 5, None, 1)) == {"similar": 3, "random": 2}
    assert pairing_types("between", 4, "random", 1) == ["random"] * 4
    assert pairing_types("similar", 3, None, 1) == ["similar"] * 3


@pytest.mark.usefixtures("sqlite_data_env")
def test_within_participants_similar_pairs_are_nearest_neighbours_and_random_ones_never_are():
    planted = add_clips_with_planted_neighbours()
    configure(trial_format="paired", n_trials=8, screening="off", pairing_design="within")
    for _ in range(3):
        reach_trials()
    for participant_id in participant_ids():
        pairs = pairs_of(participant_id)
        assert Counter(kind for kind, _h, _a in pairs) == {"similar": 2, "random": 2}
        for kind, human, ai in pairs:
            assert (planted[human] == ai) == (kind == "similar")
        random_clips = {c for kind, h, a in pairs if kind == "random" for c in (h, a)}
        assert {planted[h] for kind, h, _a in pairs if kind == "random"} == random_clips - set(planted)


@pytest.mark.usefixtures("sqlite_data_env")
def test_between_participants_the_types_are_balanced_over_arrivals():
    planted = add_clips_with_planted_neighbours()
    configure(trial_format="paired", n_trials=6, screening="off", pairing_design="between")
    for _ in range(6):
        reach_trials()
    with db.session_scope() as s:
        kinds = list(s.scalars(select(Participant.pairing).order_by(Participant.id)))
    assert Counter(kinds) == {"similar": 3, "random": 3}
    for i in range(0, 6, 2):  # block randomisation: every two arrivals hold one of each
        assert set(kinds[i : i + 2]) == {"similar", "random"}
    for participant_id, kind in zip(participant_ids(), kinds, strict=True):
        pairs = pairs_of(participant_id)
        assert {k for k, _h, _a in pairs} == {kind}
        assert all((planted[h] == a) == (kind == "similar") for _k, h, a in pairs)


@pytest.mark.slow
@pytest.mark.usefixtures("sqlite_data_env")
def test_a_within_study_taken_through_the_services_reaches_the_overview_by_pairing_type():
    """From stored trials to the Overview: the tidy table's pairing column feeds the pairing comparison."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from experiment.simulate import simulate_participants
    from tests.staff_accounts import log_in_as_admin

    add_clips_with_planted_neighbours()
    configure(trial_format="paired", n_trials=8, screening="off", pairing_design="within")
    simulate_participants(db.session_scope, 16, d_prime=1.0, seed=2, echo=lambda _: None)
    page = Path(__file__).resolve().parents[2] / "results" / "pages" / "overview.py"
    app = AppTest.from_file(str(page), default_timeout=300)
    log_in_as_admin(app)
    app.run()
    app.sidebar.checkbox(key="rf_include_simulated").check().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "#### Similar versus random pairs" in [m.value for m in app.markdown]
    table = next(d.value for d in app.dataframe if "Pairs" in d.value.columns)
    assert list(table["Pairs"]) == ["similar pairs", "random pairs", "difference (similar − random)"]
    assert list(table["Answered pairs"]) == ["32", "32", "64"]  # 16 participants x 2 pairs of each type
