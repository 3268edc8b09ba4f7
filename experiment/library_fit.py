"""Whether a clip library can serve a study's settings (enough clips of each source per participant)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from core.vocabulary import SOURCES

if TYPE_CHECKING:
    from experiment.settings import StudySettings


def library_problems(settings: StudySettings, clips_per_source: Mapping[str, int]) -> list[str]:
    """Problems running ``settings`` with a library of ``clips_per_source`` active clips.

    Parameters
    ----------
    settings : StudySettings
    clips_per_source : mapping
        Active (not retired) clip count per source, e.g. ``{"human": 20, "ai": 18}``.

    Returns
    -------
    list of str
        Empty when every participant can get n_trials/2 distinct clips of each source and, with a
        practice trial, one more clip for it (the practice clip is never a main clip).
    """
    need = settings.n_trials // 2
    problems = []
    for source in SOURCES:
        have = int(clips_per_source.get(source, 0))
        if have < need:
            problems.append(
                f"n_trials={settings.n_trials} needs {need} {source} clips per participant, "
                f"but the library has only {have} active {source} clip{'s' if have != 1 else ''}"
            )
    total = sum(int(clips_per_source.get(source, 0)) for source in SOURCES)
    if not problems and settings.practice_trial and total <= settings.n_trials:
        problems.append(
            f"the practice trial needs a clip outside the {settings.n_trials} main clips, but the library has "
            f"only {total} active clips: add a clip or switch the practice trial off"
        )
    return problems
