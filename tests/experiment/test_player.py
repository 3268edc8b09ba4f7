"""The blind player's Python side: wire format, keys, and reading what the browser reports."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from core import handoff
from experiment.ui.player import ListeningReport, player_key


def test_player_keys_are_one_to_one_and_never_contain_a_double_underscore():
    nonces = ["a__b", "a_-b", "a-_b", "ab__", "__ab"]
    keys = [player_key(n) for n in nonces]
    assert len(set(keys)) == len(nonces)
    assert all("__" not in key for key in keys)


def test_reports_from_the_browser_are_read_defensively():
    assert ListeningReport.from_state(None) == ListeningReport()
    assert (
        ListeningReport.from_state(
            {"plays": -3, "listened_s": float("nan"), "ended": "yes", "first_play_ms": "soon", "requirement_met": 1}
        )
        == ListeningReport()
    )
    report = ListeningReport.from_state(
        {
            "plays": 2,
            "pauses": 1,
            "seeks": 4,
            "listened_s": 29.5,
            "first_play_ms": 1200.7,
            "ended": True,
            "requirement_met": True,
        }
    )
    assert report == ListeningReport(
        plays=2, pauses=1, seeks=4, listened_s=29.5, first_play_ms=1200, ended=True, requirement_met=True
    )


def _player_page() -> None:
    import streamlit as st

    from experiment.ui.player import blind_player, player_key

    report = blind_player(b"\x00" * 64, key=player_key("nonce__with_double_underscore"), required_s=3.0)
    st.write(f"heard {report.listened_s} s, unlocked {report.requirement_met}")


def test_player_mounts_with_a_nonce_containing_a_double_underscore_and_returns_its_state():
    at = AppTest.from_function(_player_page).run()
    assert not at.exception
    assert at.markdown[0].value == "heard 0.0 s, unlocked False"
    at.session_state[player_key("nonce__with_double_underscore")] = {
        "report": {"listened_s": 3.0, "requirement_met": True}
    }
    at.run()
    assert at.markdown[0].value == "heard 3.0 s, unlocked True"


def _two_runs_page() -> None:
    import streamlit as st

    from experiment.ui.player import blind_player

    def clip() -> bytes:
        st.session_state["made"] = st.session_state.get("made", 0) + 1
        return b"ID3" + bytes(range(200)) * 50

    blind_player(clip, key="player_aa", required_s=1.0, mime="audio/mpeg")


def _player_data(at: AppTest) -> dict:
    (element,) = [e for e in at.get("bidi_component")]
    return json.loads(element.proto.json)


def test_the_page_carries_a_one_time_url_not_the_bytes_and_makes_them_once_per_session():
    at = AppTest.from_function(_two_runs_page).run()
    assert not at.exception
    first = _player_data(at)
    assert re.fullmatch(r"/_ht/clip/[A-Za-z0-9_-]{43}", first["src"]), first["src"]
    assert "ID3" not in json.dumps(first)
    at.run()  # a rerun (a player report, a click) sends the same small data, no new copy
    assert _player_data(at)["src"] == first["src"] and at.session_state["made"] == 1
    token = first["src"].rsplit("/", 1)[1]
    assert handoff.take(token) == (b"ID3" + bytes(range(200)) * 50, "audio/mpeg")
    assert handoff.take(token) is None  # used up: a copied URL gives nothing


def test_a_new_session_gets_a_new_url_for_the_same_player():
    one = _player_data(AppTest.from_function(_two_runs_page).run())["src"]
    two = _player_data(AppTest.from_function(_two_runs_page).run())["src"]
    assert one != two
