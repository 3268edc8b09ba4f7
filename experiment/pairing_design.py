"""Similar versus random pairs as a design factor of a paired study (issue 26). Pure, but for the draw.

Policy
------
Pairs
    The study's clips are matched by similarity (:func:`audio.pairing.pairs_among`): each similar
    pair gets a pair id of its own, and :func:`experiment.assignment.assign_trials` draws whole
    similar pairs, least exposed first, as it draws an organiser's ``pair_id`` pairs.
    :func:`experiment.paired.arrange_pairs` then orders and counterbalances them. A "random" pair
    re-pairs the human clips of the participant's random-type pairs among themselves (a random
    permutation without a fixed point, so no similar pair is left as it was), each clip keeping its
    position. So the two pairing types use the same clips, drawn the same way: a difference in
    detection is the pairing's, not the clips'.
Types
    ``similar`` / ``random``: every pair of every participant. ``within``: half of each
    participant's pairs random (the larger half similar when odd), which half at random.
    ``between``: each participant all similar or all random, randomised when the trial list is
    stored and balanced over arrivals as the design conditions are (:mod:`experiment.conditions`:
    the type fewest real participants have, ties at random), under the same lock.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from audio import pairing
from core.models import Participant
from core.vocabulary import PAIRING_TYPES, PairingDesign
from experiment import repository
from experiment.assignment import AssignmentError, ClipInfo, PlannedTrial
from experiment.paired import PRACTICE_PAIR, PairedPlan
from experiment.settings import StudySettings


def has_pairing_design(settings: StudySettings) -> bool:
    """Whether the study makes its pairs by similarity (any design but "off")."""
    return settings.pairing_design != PairingDesign.OFF


def with_similar_pairs(session: Session, clips: Sequence[ClipInfo], settings: StudySettings) -> list[ClipInfo]:
    """``clips`` with the similarity pairs as their pair ids (clips left unmatched get none)."""
    pairs = pairing.pairs_among(session, [c.clip_id for c in clips], settings.pairing_features)
    pair_of = {}
    for pair in pairs:
        pair_id = f"similar-{pair.human_clip_id}-{pair.ai_clip_id}"
        pair_of[pair.human_clip_id] = pair_of[pair.ai_clip_id] = pair_id
    return [replace(clip, pair_id=pair_of.get(clip.clip_id)) for clip in clips]


def ensure_pairing(session: Session, participant: Participant, settings: StudySettings) -> str | None:
    """A between-participants study's pairing type for ``participant``, drawn (balanced) if not yet set.

    The caller holds the ``assign-trials`` lock (see the module docstring); None for other designs.
    """
    if settings.pairing_design != PairingDesign.BETWEEN:
        return None
    if participant.pairing is None:
        counts = repository.pairing_counts(session, participant.study_id)
        fewest = min(counts.get(kind, 0) for kind in PAIRING_TYPES)
        rng = random.Random(f"pairing-{participant.seed}")
        participant.pairing = rng.choice([kind for kind in PAIRING_TYPES if counts.get(kind, 0) == fewest])
    return participant.pairing


def pairing_types(design: str, n_pairs: int, participant_type: str | None, seed: int) -> list[str]:
    """The pairing type of each of a participant's ``n_pairs`` scored pairs, in pair order."""
    if design == PairingDesign.WITHIN:
        types = ["similar"] * (n_pairs - n_pairs // 2) + ["random"] * (n_pairs // 2)
        random.Random(f"pairing-types-{seed}").shuffle(types)
        return types
    fixed = participant_type if design == PairingDesign.BETWEEN else str(design)
    return [str(fixed)] * n_pairs


def apply_pairing(
    plan: Sequence[PairedPlan], types: Sequence[str], info: Mapping[int, ClipInfo], seed: int
) -> list[PairedPlan]:
    """Re-pair the humans of the random-type pairs (module docstring) and mark every scored pair's type.

    ``types`` holds one type per scored pair (pair 1 first); ``info`` maps clip id -> ClipInfo.

    Raises
    ------
    AssignmentError
        A single random pair (nothing to re-pair it with).
    """
    numbers = sorted({p.pair_trial for p in plan if p.pair_trial not in (None, PRACTICE_PAIR)})
    type_of = dict(zip(numbers, types, strict=True))
    random_numbers = [n for n in numbers if type_of[n] == "random"]
    if len(random_numbers) == 1:
        raise AssignmentError("random pairs need at least two pairs to re-pair")
    humans = {
        p.pair_trial: p.trial.clip_id for p in plan if p.pair_trial in type_of and info[p.trial.clip_id].source != "ai"
    }
    moved = _derangement(random_numbers, random.Random(f"random-pairs-{seed}"))
    result = []
    for entry in plan:
        if entry.pair_trial not in type_of:
            result.append(entry)
            continue
        clip_id = entry.trial.clip_id
        if entry.pair_trial in moved and info[clip_id].source != "ai":
            clip_id = humans[moved[entry.pair_trial]]
        result.append(replace(entry, trial=PlannedTrial(entry.trial.kind, clip_id), pairing=type_of[entry.pair_trial]))
    return result


def _derangement(numbers: Sequence[int], rng: random.Random) -> dict[int, int]:
    """Pair number -> the pair whose human clip it takes: a permutation of ``numbers`` moving every one."""
    if len(numbers) < 2:
        return {}
    while True:
        shuffled = list(numbers)
        rng.shuffle(shuffled)
        if all(a != b for a, b in zip(numbers, shuffled, strict=True)):
            return dict(zip(numbers, shuffled, strict=True))
