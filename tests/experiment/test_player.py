"""The blind player's Python side: wire format, keys, and reading what the browser reports."""

from __future__ import annotations

import json
import struct

from streamlit.testing.v1 import AppTest

from experiment.ui.player import ListeningReport, encode_payload, player_key


def test_payload_frames_header_and_audio_bytes_unchanged():
    audio = bytes(range(256)) * 10
    framed = encode_payload(audio, {"required_s": 2.5, "label": "Music clip"})
    assert framed[:4] == b"HTP1"
    (length,) = struct.unpack(">I", framed[4:8])
    assert json.loads(framed[8 : 8 + length]) == {"required_s": 2.5, "label": "Music clip"}
    assert framed[8 + length :] == audio


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
