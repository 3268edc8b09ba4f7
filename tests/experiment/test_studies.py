"""Several studies in one deployment: settings, clips, participants, counts and results never mix.

Driven through the real services (experiment.entry, progress, trials) and the real command line, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest

from core import access, audit, db
from experiment import entry, repository, studies, withdrawal
from experiment.entry import Entry, parse_entry
from experiment.progress import JourneyError
from experiment.settings import StudySettings
from results.data.dataset import Filters, load_dataset
from tests.cli_runner import run_cli as _run_cli
from tests.experiment.drive import add_clips, complete_participant, configure, consent

OPERATOR = access.operator().actor()


def _second_study(name: str = "Replication", **changes) -> studies.StudyRef:
    """A second study whose settings are the fast test defaults with ``changes``, open."""
    settings = StudySettings().with_changes(min_answer_seconds=0.0, screening="optional", **changes)
    with db.session_scope() as session:
        return studies.create(session, name, OPERATOR, settings=settings)


def _arrive_at(slug: str) -> Entry:
    return parse_entry({"study": slug})


def test_two_studies_keep_their_own_settings_clips_participants_and_results(data_env):
    add_clips(6, 6)
    configure(n_trials=4)
    with db.session_scope() as session:
        first = studies.default(session)
        library_ids = [clip.clip_id for clip in repository.active_clips(session)]
    chosen = tuple(sorted(library_ids)[:3] + sorted(library_ids)[6:9])  # 3 human and 3 AI clips
    second = _second_study(n_trials=2, clip_ids=chosen, practice_trial=False)

    for _ in range(2):
        complete_participant(_arrive_at(first.slug))
    complete_participant(_arrive_at(second.slug))

    with db.session_scope() as session:
        heard_in_second = {
            c for c, n in repository.exposure_counts(session, second.id, _settings(session, second)).items() if n
        }
        assert heard_in_second <= set(chosen) and len(heard_in_second) == 2
        assert sum(repository.exposure_counts(session, first.id).values()) == 2 * 4
        assert repository.study_participant_counts(session, first.id) == {"started": 2, "completed": 2}
        assert repository.study_participant_counts(session, second.id) == {"started": 1, "completed": 1}
    first_results = load_dataset(Filters(study_id=first.id))
    second_results = load_dataset(Filters(study_id=second.id))
    assert first_results.n_participants == 2 and second_results.n_participants == 1
    assert set(first_results.trials["study"]) == {first.slug}
    assert set(second_results.trials["study"]) == {second.slug}
    assert set(second_results.trials["clip_id"]) <= set(chosen)


def _settings(session, study: studies.StudyRef) -> StudySettings:
    return repository.current_settings(session, study.id)[1]


def test_a_resume_link_returns_to_the_participants_own_study_whatever_the_link_says(data_env):
    add_clips(4, 4)
    configure(n_trials=4)
    second = _second_study(n_trials=2, title="The second study")
    token = consent(_arrive_at(second.slug))
    with db.session_scope() as session:
        arrival = entry.arrive(session, parse_entry({"resume": token, "study": "study"}))
        assert arrival.participant is not None and arrival.participant.study_id == second.id
        assert arrival.settings.title == "The second study"


@pytest.mark.parametrize("slug", ["no-such-study", "Bad Slug!", "-x"])
def test_a_link_to_no_study_gets_a_message_and_stores_nothing(data_env, slug):
    add_clips(4, 4)
    configure(n_trials=4)
    with pytest.raises(JourneyError, match="does not lead to a study here"):
        with db.session_scope() as session:
            entry.begin(session, parse_entry({"study": slug}))
    with db.session_scope() as session:
        assert repository.study_participant_counts(session, studies.default(session).id)["started"] == 0


def test_links_name_their_study():
    assert (
        entry.participant_link("https://lab.example.org/", "pilot-2027") == "https://lab.example.org/?study=pilot-2027"
    )
    assert entry.prolific_study_url("https://lab.example.org/", "pilot").startswith(
        "https://lab.example.org/?study=pilot&PROLIFIC_PID={{%PROLIFIC_PID%}}"
    )


def test_a_slug_is_never_reused_and_bad_names_are_refused(data_env):
    with db.session_scope() as session:
        made = studies.create(session, "Pilot: strings 2027", OPERATOR)
        assert made.slug == "pilot-strings-2027"
        with pytest.raises(ValueError, match="taken"):
            studies.create(session, "Another", OPERATOR, slug="pilot-strings-2027")
        with pytest.raises(ValueError, match="short name"):
            studies.create(session, "Another", OPERATOR, slug="Not a slug")
        studies.delete(session, made, OPERATOR)
        assert studies.free_slug(session, "pilot-strings-2027") == "pilot-strings-2027-2"
        with pytest.raises(studies.UnknownStudy):
            studies.resolve(session, "pilot-strings-2027")


def test_settings_saves_and_opening_are_audited_with_the_diff(data_env):
    add_clips(4, 4)
    configure(n_trials=4)
    alice = audit.Actor("alice", None, "192.0.2.7")
    with db.session_scope() as session:
        study = studies.default(session)
        _version, settings = repository.current_settings(session, study.id)
        studies.save_settings(session, study.id, settings.with_changes(n_trials=6), alice, note="more trials")
        version_before_close = repository.current_settings(session, study.id)[0]
        assert studies.set_open(session, study.id, False, alice)
        assert not studies.set_open(session, study.id, False, alice)  # already closed: nothing to audit
        events = audit.events(session, study_id=study.id)
        # Closing is a state of the study: audited, but the version in force stays the saved one.
        assert repository.current_settings(session, study.id)[0] == version_before_close
        assert not studies.is_open(session, study.id)
    assert [e.action for e in events[:2]] == ["study.close", "settings.save"]
    assert events[0].target == f"version {version_before_close}" and events[0].actor == "alice"
    assert events[1].detail["changes"] == {"n_trials": [4, 6]}
    assert (events[1].actor, events[1].client) == ("alice", "192.0.2.7")


def test_staff_withdraw_only_their_own_studys_participants_and_it_is_audited(data_env):
    add_clips(4, 4)
    configure(n_trials=4)
    second = _second_study(n_trials=2)
    token = consent(_arrive_at(second.slug))
    with db.session_scope() as session:
        number = entry.load_participant(session, token).id
        first = studies.default(session)
        with pytest.raises(LookupError):
            withdrawal.withdraw_on_request(session, participant_id=number, study_id=first.id, actor=OPERATOR)
    with db.session_scope() as session:
        assert (
            withdrawal.withdraw_on_request(session, participant_id=number, study_id=second.id, actor=OPERATOR) == number
        )
        (event,) = [e for e in audit.events(session, study_id=second.id) if e.action == "participant.withdraw"]
    assert event.target == f"participant {number}" and event.detail["by"] == "staff"


def test_the_command_line_lists_studies_and_refuses_a_researcher_elsewhere(data_env, monkeypatch, capsys):
    add_clips(4, 4)
    configure(n_trials=4)
    second = _second_study(n_trials=2)
    with db.session_scope() as session:
        first = studies.default(session)
        operator = access.operator()
        access.create_account(session, operator, OPERATOR, "rita")
        access.set_role(session, operator, OPERATOR, first.id, "rita", access.Role.RESEARCHER)
        token = access.create_token(session, operator, OPERATOR, "rita", "laptop")

    code, out, _err = _run_cli(monkeypatch, capsys, "study", "list", "--json")
    assert code == 0 and [row["slug"] for row in json.loads(out)] == [first.slug, second.slug]
    code, out, _err = _run_cli(monkeypatch, capsys, "study", "list", "--json", token=token)
    assert code == 0 and [row["slug"] for row in json.loads(out)] == [first.slug]

    code, _out, err = _run_cli(monkeypatch, capsys, "study", "show", "--study", second.slug, token=token)
    assert code == 2 and "does not allow" in err
    code, _out, err = _run_cli(monkeypatch, capsys, "study", "close", "--study", first.slug, token=token)
    assert code == 2 and "does not allow opening or closing" in err
    code, out, _err = _run_cli(monkeypatch, capsys, "study", "show", "--study", first.slug, token=token)
    assert code == 0 and json.loads(out)["study"]["slug"] == first.slug
    with db.session_scope() as session:
        assert studies.is_open(session, first.id)  # the refused close changed nothing


def test_simulated_demo_participants_go_into_the_study_named(data_env, monkeypatch, capsys):
    from experiment import records

    add_clips(4, 4)
    configure(n_trials=4)
    second = _second_study(n_trials=2)
    code, _out, err = _run_cli(
        monkeypatch, capsys, "demo", "participants", "--n", "2", "--force", "--study", second.slug
    )
    assert code == 0, err
    with db.session_scope() as session:
        first = studies.default(session)
        in_second = records.participant_records(session, include_simulated=True, study_id=second.id)
        in_first = records.participant_records(session, include_simulated=True, study_id=first.id)
    assert [row["simulated"] for row in in_second] == [True, True] and in_first == []
