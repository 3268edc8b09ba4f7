"""The organiser's clip pages, driven through Streamlit's AppTest against a real SQLite library."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from audio import library
from audio.catalogue import ClipMetadata
from audio.ingest import ingest_bytes
from audio.processing import ProcessingSettings
from core import db
from core.models import Clip, ClipFeatures
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]
PAGES = {name: str(ROOT / "audio" / "pages" / f"{name}.py") for name in ("add_clips", "library", "balance")}
SHORT = ProcessingSettings(excerpt_seconds=2.0, fade_seconds=0.1)


def tone_wav(frequencies: list[float], seconds: float = 3.0, sr: int = 44100, seed: int = 0) -> bytes:
    """A stereo 16-bit WAV of summed sines with a little noise (distinct bytes per seed)."""
    t = np.arange(int(seconds * sr)) / sr
    mono = sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate(frequencies))
    mono = mono + 0.01 * np.random.default_rng(seed).normal(size=t.size)
    buffer = io.BytesIO()
    sf.write(buffer, np.column_stack([mono, mono]) * 0.2, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def library_template(tmp_path_factory) -> Path:
    """A data folder with 2 human and 2 AI clips ingested once; AI clips are much brighter."""
    data = tmp_path_factory.mktemp("template") / "data"
    url = f"sqlite:///{data / 'human_touch.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUMAN_TOUCH_DATA", str(data))
        patch.setenv("HUMAN_TOUCH_DATABASE_URL", url)
        db.migrate(url)
        with db.session_scope() as session:
            library.save_processing_settings(session, SHORT)
        for i in range(2):
            ingest_bytes(
                tone_wav([220.0 + 30 * i, 440.0 + 60 * i], seed=i),
                f"human-{i}.wav",
                ClipMetadata(source="human", title=f"Human piece {i}", genre="folk", pair_id=f"p{i}"),
                start_offset_s=0.5,
            )
            ingest_bytes(
                tone_wav([2500.0 + 300 * i, 5000.0 + 600 * i], seed=10 + i),
                f"ai-{i}.wav",
                ClipMetadata(
                    source="ai",
                    title=f"AI piece {i}",
                    genre="folk",
                    pair_id=f"p{i}",
                    ai_system="TestGen",
                    ai_version="1",
                ),
                start_offset_s=0.5,
            )
        db.dispose_engines()
    return data


@pytest.fixture
def clip_library(library_template: Path, tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A private copy of the template library for one test (the pages change it)."""
    data = tmp_path / "data"
    shutil.copytree(library_template, data)
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", f"sqlite:///{data / 'human_touch.db'}")
    yield data
    db.dispose_engines()


def staff_page(name: str) -> AppTest:
    at = AppTest.from_file(PAGES[name], default_timeout=60)
    log_in_as_admin(at)
    return at.run()


def clips_by_title() -> dict[str, Clip]:
    with db.session_scope() as session:
        return {clip.title: clip for clip in library.list_clips(session, include_retired=True)}


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_stop_visitors_who_are_not_logged_in(name, clip_library):
    at = AppTest.from_file(PAGES[name], default_timeout=60).run()
    no_exceptions(at)
    assert [e.value for e in at.error] == ["This page is for study staff. Please log in."]
    assert not at.title and not at.dataframe and not at.file_uploader
    assert not at.get("audio")


def test_library_lists_clips_and_plays_the_selected_one(clip_library):
    at = staff_page("library")
    no_exceptions(at)
    table = at.dataframe[0].value
    assert sorted(table["title"]) == ["AI piece 0", "AI piece 1", "Human piece 0", "Human piece 1"]
    assert set(table["source"]) == {"human", "ai"}
    assert "2 human and 2 AI clips active, 0 retired" in at.caption[0].value

    at.multiselect(key="library_filter_source").set_value(["ai"]).run()
    assert sorted(at.dataframe[0].value["title"]) == ["AI piece 0", "AI piece 1"]

    ai_clip = clips_by_title()["AI piece 1"]
    at.selectbox(key="library_clip").set_value(ai_clip.id).run()
    no_exceptions(at)
    assert at.subheader[0].value == f"#{ai_clip.id} AI piece 1"
    assert len(at.get("audio")) == 1
    features = at.dataframe[2].value.set_index("feature")["value"]
    assert features["spectral_centroid_hz_mean"] > 1500
    facts = at.dataframe[1].value.set_index("fact")["value"]
    assert facts["tempo"].startswith(f"{features['tempo_estimate_bpm']:.0f} BPM")  # and the other reading if close


def test_editing_metadata_persists_and_bad_values_change_nothing(clip_library):
    clip = clips_by_title()["Human piece 0"]
    at = staff_page("library")
    at.selectbox(key="library_clip").set_value(clip.id).run()
    title = next(w for w in at.text_input if w.label == "Title")
    genre = next(w for w in at.text_input if w.label == "Genre")
    title.set_value("Morning song")
    genre.set_value("ballad")
    next(b for b in at.button if b.label == "Save metadata").click().run()
    no_exceptions(at)
    saved = clips_by_title()["Morning song"]
    assert saved.id == clip.id and saved.genre == "ballad"
    assert at.success[0].value == f"Metadata of clip #{clip.id} saved."

    at.selectbox(key="library_clip").set_value(clip.id).run()
    next(w for w in at.text_input if w.label == "Title").set_value("x" * 301)
    next(w for w in at.text_input if w.label == "Genre").set_value("changed")
    next(b for b in at.button if b.label == "Save metadata").click().run()
    assert "title is longer than 300 characters" in at.error[0].value
    unchanged = clips_by_title()["Morning song"]
    assert unchanged.genre == "ballad"


def test_retire_needs_confirmation_then_unretire_restores(clip_library):
    clip = clips_by_title()["AI piece 0"]
    at = staff_page("library")
    at.selectbox(key="library_clip").set_value(clip.id).run()
    assert at.button(key=f"library_retire_{clip.id}").disabled
    at.checkbox(key=f"library_confirm_retire_{clip.id}").check().run()
    at.button(key=f"library_retire_{clip.id}").click().run()
    no_exceptions(at)
    assert clips_by_title()["AI piece 0"].retired_at is not None
    assert at.success[0].value == f"Clip #{clip.id} retired."
    # Retired clips leave the default view and the active counts.
    assert "AI piece 0" not in list(at.dataframe[0].value["title"])
    assert "2 human and 1 AI clips active, 1 retired" in at.caption[0].value

    at.checkbox(key="library_show_retired").check().run()
    at.selectbox(key="library_clip").set_value(clip.id).run()
    at.checkbox(key=f"library_confirm_unretire_{clip.id}").check().run()
    at.button(key=f"library_unretire_{clip.id}").click().run()
    no_exceptions(at)
    assert clips_by_title()["AI piece 0"].retired_at is None


def test_balance_page_lists_brighter_ai_clips_as_a_note_while_two_clips_cannot_show_more_than_chance(clip_library):
    at = staff_page("balance")
    no_exceptions(at)
    assert not at.warning  # two clips per source: no difference can be beyond chance, so no flag
    notes = [info.value for info in at.info]
    assert any("by chance alone" in note for note in notes)
    assert any("spectral_centroid_hz_mean (g = +" in note for note in notes)
    table = at.dataframe[0].value.set_index("feature")
    assert table.loc["spectral_centroid_hz_mean", "g"] > 2 and not table["flagged"].any()
    assert "q_fdr" in table.columns
    assert len(at.get("vega_lite_chart")) == 2


def _insert_clip(session, clip_id: int, source: str, centroid: float) -> None:
    session.add(
        Clip(
            id=clip_id,
            served_sha256=f"{clip_id:064x}",
            served_name=f"{clip_id:064x}.mp3",
            original_sha256=f"{clip_id + 1000:064x}",
            original_name=f"{clip_id + 1000:064x}.wav",
            duration_s=2.0,
            sample_rate=44100,
            channels=2,
            codec="mp3-vbr",
            loudness_after_lufs=-23.0,
            true_peak_dbtp=-3.0,
            source=source,
            title=f"clip {clip_id}",
            genre="folk",
            pair_id=f"p{clip_id % 3}",
        )
    )
    session.add(ClipFeatures(clip_id=clip_id, extractor_version="test", values={"spectral_centroid_hz_mean": centroid}))


def test_balance_page_says_so_when_the_library_is_balanced(sqlite_data_env):
    centroids = [1800.0, 2000.0, 2200.0]
    with db.session_scope() as session:
        for i, centroid in enumerate(centroids):
            _insert_clip(session, i + 1, "human", centroid)
            _insert_clip(session, i + 4, "ai", centroids[::-1][i])
    at = staff_page("balance")
    no_exceptions(at)
    assert not at.warning
    assert at.success[0].value.startswith("No flags")
    # A stricter threshold cannot create a flag where g is 0.
    at.slider(key="balance_g_threshold").set_value(0.1).run()
    assert not at.warning


def test_add_clips_stores_good_files_and_explains_bad_ones(clip_library):
    before = set(clips_by_title())
    at = staff_page("add_clips")
    no_exceptions(at)
    at.file_uploader(key="add_clips_files").set_value(
        [
            ("violin.wav", tone_wav([330.0, 660.0], seed=42), "audio/wav"),
            ("broken.wav", b"RIFF this is not audio at all", "audio/wav"),
        ]
    ).run()
    editor = at.data_editor[0]
    assert list(editor.value["file"]) == ["violin.wav", "broken.wav"]

    # Without a source nothing is processed.
    at.button(key="add_clips_process").click().run()
    assert "Choose the source" in at.error[0].value
    assert set(clips_by_title()) == before

    at.radio(key="add_clips_source").set_value("human")
    at.text_input(key="add_clips_creator").set_value("A. Composer")
    at.text_input(key="add_clips_genre").set_value("classical")
    at.session_state[editor.key] = {
        "edited_rows": {0: {"title": "Violin study", "pair_id": "p9", "start_offset_s": 0.25}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="add_clips_process").click().run()
    no_exceptions(at)
    results = at.dataframe[-1].value.set_index("file")
    assert results.loc["violin.wav", "result"] == "added"
    assert results.loc["broken.wav", "result"] == "not added"
    assert not results.loc["broken.wav", "message"].startswith("broken.wav")
    assert at.success[0].value == "1 clip(s) added to the library."
    assert at.error[0].value.startswith("1 file(s) not added; nothing was stored for them.")
    # The whole reason, not cut off in a table cell, naming the file once.
    assert "- **broken.wav**: " in at.error[0].value
    assert at.error[0].value.count("broken.wav") == 1
    assert len(at.get("progress")) == 1

    added = set(clips_by_title()) - before
    assert added == {"Violin study"}
    clip = clips_by_title()["Violin study"]
    assert (clip.source, clip.creator, clip.genre, clip.pair_id) == ("human", "A. Composer", "classical", "p9")
    assert clip.start_offset_s == pytest.approx(0.25)
    assert clip.uploaded_filename == "violin.wav"
    # Nothing of the broken file was kept.
    assert len(list((clip_library / "originals").iterdir())) == len(before) + 1


def test_processing_settings_save_and_reprocess(clip_library):
    at = staff_page("add_clips")
    clip_length = next(w for w in at.number_input if w.label == "Clip length (s)")
    assert clip_length.value == 2.0
    clip_length.set_value(1.5)
    next(b for b in at.button if b.label == "Save settings").click().run()
    no_exceptions(at)
    with db.session_scope() as session:
        assert library.current_processing_settings(session).excerpt_seconds == 1.5
    assert any("4 active clip(s) were processed with other settings" in w.value for w in at.warning)

    at.button(key="add_clips_reprocess").click().run()
    no_exceptions(at)
    assert any(s.value == "4 clip(s) re-processed." for s in at.success)
    durations = [clip.duration_s for clip in clips_by_title().values()]
    assert durations == pytest.approx([1.5] * 4)
    # Nothing is outdated any more.
    assert not any("processed with other settings" in w.value for w in at.warning)


def test_add_clips_ai_batch_records_the_system_and_refuses_duplicates(clip_library):
    before = set(clips_by_title())
    violin = tone_wav([330.0, 660.0], seed=42)
    at = staff_page("add_clips")
    at.radio(key="add_clips_source").set_value("ai").run()
    # AI clips ask for the system, version and prompt instead of a composer.
    assert not any(w.key == "add_clips_creator" for w in at.text_input)
    at.text_input(key="add_clips_ai_system").set_value("TestGen")
    at.text_input(key="add_clips_ai_version").set_value("2.1")
    at.text_area(key="add_clips_prompt").set_value("a calm violin etude")
    at.file_uploader(key="add_clips_files").set_value(
        [
            ("etude.wav", violin, "audio/wav"),
            ("same-audio.wav", violin, "audio/wav"),
        ]
    ).run()
    at.button(key="add_clips_process").click().run()
    no_exceptions(at)
    results = at.dataframe[-1].value.set_index("file")
    assert results.loc["etude.wav", "result"] == "added"
    assert results.loc["same-audio.wav", "result"] == "not added"
    assert results.loc["same-audio.wav", "message"].startswith("this audio is already in the library as clip #")
    assert "same-audio.wav: same-audio.wav" not in at.error[0].value
    assert at.error[0].value.count("same-audio.wav") == 1
    added = {title: clip for title, clip in clips_by_title().items() if title not in before}
    assert list(added) == ["etude"]
    clip = added["etude"]
    assert (clip.source, clip.ai_system, clip.ai_version, clip.prompt, clip.creator) == (
        "ai",
        "TestGen",
        "2.1",
        "a calm violin etude",
        None,
    )


def _pairs_table(at: AppTest):
    return at.dataframe[-1].value  # the similarity pairs close the page


def test_library_shows_similarity_pairs_in_words_and_a_hand_set_pair_is_kept_undone_and_audited(clip_library):
    from audio import pairing
    from core import audit

    clips = clips_by_title()
    at = staff_page("library")
    no_exceptions(at)
    with db.session_scope() as session:
        expected = pairing.library_pairs(session)
    table = _pairs_table(at)
    assert list(table["Distance"]) == [p.distance for p in expected] and len(expected) == 2
    assert all("of the 4 possible pairs); most alike in" in words for words in table["How alike"])
    assert not table["Set by hand"].any()
    assert any("Paired on timbre, tempo, key, loudness range, spectral shape." in c.value for c in at.caption)

    at.multiselect(key="library_pairing_groups").set_value(["tempo"]).run()
    assert not any("most alike" in words for words in _pairs_table(at)["How alike"])  # one group named, no ranking

    human = clips["Human piece 0"].id
    chosen = {p.human_clip_id: p.ai_clip_id for p in expected}
    other_ai = next(c.id for c in clips.values() if c.source == "ai" and c.id != chosen[human])
    at.selectbox(key="library_pair_human").set_value(human)
    at.selectbox(key="library_pair_ai").set_value(other_ai)
    next(b for b in at.button if b.label == "Pair these two clips").click().run()
    no_exceptions(at)
    with db.session_scope() as session:
        kept = {p.human_clip_id: (p.ai_clip_id, p.overridden) for p in pairing.library_pairs(session)}
        paired = [e for e in audit.events(session) if e.action == "clip.pair"]
    assert kept[human] == (other_ai, True)
    assert [e.detail for e in paired] == [{"human_clip": human, "ai_clip": other_ai}]
    assert list(_pairs_table(at)["Set by hand"]).count(True) == 1
    assert f"Clips #{human} and #{other_ai} are paired by hand." in [s.value for s in at.success]

    at.button(key="library_pair_release").click().run()
    no_exceptions(at)
    with db.session_scope() as session:
        assert [(p.human_clip_id, p.ai_clip_id) for p in pairing.library_pairs(session)] == sorted(chosen.items())
        assert [e.target for e in audit.events(session) if e.action == "clip.unpair"] == [f"clip #{human}"]
    assert not _pairs_table(at)["Set by hand"].any() and not [b for b in at.button if b.label == "Undo this pair"]


def test_staff_without_the_library_permission_see_the_pairs_but_cannot_set_one(clip_library):
    from core import repository
    from experiment import studies
    from tests.staff_accounts import make_account

    account_id = make_account("olga", is_admin=False)
    with db.session_scope() as session:
        repository.set_member_role(session, studies.default(session).id, account_id, "organiser")
        epoch = repository.account(session, account_id).session_epoch
    at = AppTest.from_file(PAGES["library"], default_timeout=60)
    at.session_state["_staff_authenticated"] = True
    at.session_state["_staff_account_id"] = account_id
    at.session_state["_staff_session_epoch"] = epoch
    at.run()
    no_exceptions(at)
    assert len(_pairs_table(at)) == 2
    assert not [b for b in at.button if b.label in ("Pair these two clips", "Undo this pair")]
    assert not [s for s in at.selectbox if s.key == "library_pair_human"]


def test_a_pair_with_a_clip_retired_meanwhile_is_refused_and_nothing_is_stored(clip_library):
    from audio import pairing
    from core import audit

    clips = clips_by_title()
    at = staff_page("library")
    at.selectbox(key="library_pair_human").set_value(clips["Human piece 0"].id)
    at.selectbox(key="library_pair_ai").set_value(clips["AI piece 1"].id)
    with db.session_scope() as session:  # another admin retires the AI clip before the click arrives
        library.retire(session, clips["AI piece 1"].id)
    next(b for b in at.button if b.label == "Pair these two clips").click().run()
    no_exceptions(at)
    assert at.error[0].value.startswith("Not paired: choose an active human clip and an active AI clip")
    with db.session_scope() as session:
        assert not any(p.overridden for p in pairing.library_pairs(session))
        assert not [e for e in audit.events(session) if e.action == "clip.pair"]
