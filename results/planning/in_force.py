"""The design a plan starts from: the study version in force and the clips it can play.

A planner that starts from made-up numbers (40 clips, 12 trials) plans another study than the one
that will run; the Plan page and ``human-touch plan`` start from this one and let the researcher
change any number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from experiment import repository
from results.planning.power import PlanDesign


@dataclass(frozen=True)
class DesignInForce:
    """The design of the study in force, and where its numbers came from.

    Attributes
    ----------
    design : PlanDesign
        Clips and trials of the study in force; the effect and SDs are :class:`PlanDesign`'s defaults.
    source : str
        One sentence naming the study version and its clips, for the page and the command.
    pairing_design : str
        The version's :class:`core.vocabulary.PairingDesign` ("off" for single clips), for the pairing planner.
    """

    design: PlanDesign
    source: str
    pairing_design: str = "off"


def design_in_force(session: Session, study_id: int | None = None) -> DesignInForce:
    """The design of ``study_id``'s version in force (None: the default study).

    Clips are those the study can play (its selection, else the active library; both sources);
    trials its main trials per participant. When these cannot be simulated (e.g. an empty library),
    the defaults of :class:`PlanDesign` stand in and the sentence says why.
    """
    version_id, settings = repository.current_settings(session, study_id)
    counts = repository.study_clip_counts(session, settings)
    n_clips = int(sum(counts.values()))
    candidate = replace(PlanDesign(), n_clips=n_clips, n_trials=settings.n_trials)
    clips = f"{n_clips} clips ({', '.join(f'{n} {source}' for source, n in sorted(counts.items()))})"
    if candidate.problems():
        fallback = PlanDesign()
        return DesignInForce(
            fallback,
            f"The study version in force ({version_id}: {clips}, {settings.n_trials} trials per participant) "
            f"cannot be simulated ({'; '.join(candidate.problems())}); starting from {fallback.n_clips} clips "
            f"and {fallback.n_trials} trials instead.",
            str(settings.pairing_design),
        )
    return DesignInForce(
        candidate,
        f"Starting from the study version in force ({version_id}): {clips}, "
        f"{settings.n_trials} main trials per participant.",
        str(settings.pairing_design),
    )
