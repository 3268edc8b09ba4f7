"""``human-touch clips ...`` as an organiser runs it."""

from __future__ import annotations

import json

import pytest

from audio import library
from core import db
from core.models import Clip
from human_touch.cli import main
from tests.audio.signals import music_like, write


@pytest.fixture
def short_clips(sqlite_data_env):
    """Five-second clips keep the command-line tests quick."""
    from audio.processing import ProcessingSettings

    with db.session_scope() as session:
        library.save_processing_settings(session, ProcessingSettings(excerpt_seconds=5.0))
    return sqlite_data_env


def test_import_a_folder_recursively_with_shared_metadata_and_a_failure(tmp_path, short_clips, capsys):
    folder = tmp_path / "batch"
    (folder / "inner").mkdir(parents=True)
    write(folder / "one", music_like(8.0, seed=1))
    write(folder / "inner" / "two", music_like(8.0, seed=2), kind="flac")
    (folder / "readme.txt").write_text("not audio, and not collected from a folder")
    broken = folder / "broken.mp3"
    broken.write_bytes(b"\x00" * 1000)

    code = main(
        [
            "clips",
            "import",
            str(folder),
            "--source",
            "ai",
            "--ai-system",
            "GenSys",
            "--ai-version",
            "3",
            "--genre",
            "pop",
            "--licence",
            "CC BY 4.0",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "imported 2, failed 1" in err
    assert "broken.mp3: could not be read as audio" in err
    assert "readme" not in err
    with db.session_scope() as session:
        clips = library.list_clips(session)
        assert sorted(c.uploaded_filename for c in clips) == ["one.wav", "two.flac"]
        assert {(c.source, c.ai_system, c.ai_version, c.genre, c.licence) for c in clips} == {
            ("ai", "GenSys", "3", "pop", "CC BY 4.0")
        }

    assert main(["clips", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["source"] for row in listed] == ["ai", "ai"]
    assert all(row["duration_s"] == 5.0 for row in listed)
    assert main(["clips", "list"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["clip_id", "source", "title"]


def test_import_from_a_manifest_with_relative_paths_and_per_clip_start(tmp_path, short_clips, capsys):
    audio = tmp_path / "set" / "audio"
    audio.mkdir(parents=True)
    write(audio / "h1", music_like(12.0, seed=3))
    write(audio / "a1", music_like(12.0, seed=4), kind="ogg_vorbis")
    manifest = tmp_path / "set" / "clips.csv"
    manifest.write_text(
        "path,source,title,creator,ai_system,ai_version,prompt,genre,vocals,pair_id,licence,provenance,notes,"
        "start_offset_s\n"
        "audio/h1.wav,human,Morning,A. Composer,,,,folk,instrumental,p1,CC0,own recording,,2.5\n"
        'audio/a1.ogg,ai,Morning (AI),,GenSys,3,"folk tune, morning",folk,instrumental,p1,,generated,,\n'
    )
    assert main(["clips", "import", "--manifest", str(manifest)]) == 0
    assert "imported 2, failed 0" in capsys.readouterr().err
    with db.session_scope() as session:
        by_title = {c.title: c for c in session.query(Clip)}
        human, ai = by_title["Morning"], by_title["Morning (AI)"]
        assert (human.creator, human.pair_id, human.start_offset_s) == ("A. Composer", "p1", 2.5)
        assert (ai.ai_system, ai.prompt, ai.start_offset_s) == ("GenSys", "folk tune, morning", 4.0)


def test_an_invalid_manifest_imports_nothing_and_names_the_lines(tmp_path, short_clips, capsys):
    manifest = tmp_path / "clips.csv"
    manifest.write_text("path,source,start_offset_s\nx.wav,robot,\ny.wav,ai,-3\n")
    assert main(["clips", "import", "--manifest", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert "line 2: source must be 'human' or 'ai'" in err
    assert "line 3: start_offset_s" in err
    with db.session_scope() as session:
        assert library.list_clips(session) == []


def test_import_needs_a_source_and_report_runs_on_an_empty_library(tmp_path, short_clips, capsys):
    path = write(tmp_path / "x", music_like(8.0))
    assert main(["clips", "import", str(path)]) == 2
    assert "--source human|ai is required" in capsys.readouterr().err
    assert main(["clips", "report", "--json"]) == 0
    json.loads(capsys.readouterr().out)
