"""Paired two-alternative forced-choice (2AFC) trials: how clips are paired and how choices are scored. Pure.

Design
------
With ``trial_format == "paired"`` every scored trial presents two clips, one human and one AI;
both are played in full and rated, then the participant says which one was made by AI and how sure
they are. The clips come from :func:`experiment.assignment.assign_trials` (balanced sources,
least-exposed first, whole ``pair_id`` pairs when ``use_pairs`` is on and the library has enough
complete pairs), without its repeat and attention trials (a single-clip check does not fit a
paired page). :func:`arrange_pairs` then joins each human clip to its ``pair_id`` partner (a matched
pair) or, without pairs, to an AI clip drawn at random, shuffles the pairs, and counterbalances the
order within the participant: exactly half the pairs (one more or less when the number is odd)
play the AI clip first, which half being random.

The practice is a pair too (``pair_trial`` 0, both clips "practice" trials): the task practised is
the task scored. Its second clip is a spare clip of the other source than the practice clip
:func:`~experiment.assignment.assign_trials` chose, so neither is a main clip; its order is random.

Each clip stays one ``Trial`` row (so every rating and listening record keeps its own row and the
export stays one row per clip), numbered by ``pair_trial`` (1..n pairs) and ``pair_position``
(1 = heard first). The one choice is kept on both clips' responses (``pair_choice`` = the position
chosen as AI, ``pair_confidence`` 1..3); analyses count it once per pair (position 1).

Scoring
-------
Proportion correct ``pc`` over pairs and the 2AFC sensitivity d' = sqrt(2) * z(pc)
(Macmillan & Creelman 2005, ch. 7: an unbiased observer in 2AFC compares two observations, so the
decision variable has sqrt(2) times the single-interval standard deviation). 0 and 1 are
moved in by the log-linear correction, pc = (k + 0.5) / (n + 1), as for yes/no d'.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from scipy.stats import norm

from core.vocabulary import Source, TrialFormat, TrialKind
from experiment.assignment import AssignmentError, AssignmentRules, ClipInfo, PlannedTrial

PRACTICE_PAIR = 0
"""The ``pair_trial`` number of the practice pair (scored pairs are numbered from 1)."""

PAIR_CONFIDENCE_OPTIONS: tuple[int, ...] = (1, 2, 3)
"""How sure the participant is of the pair choice: 1 = guessing, 2 = fairly sure, 3 = sure."""


@dataclass(frozen=True)
class PairedPlan:
    """One stored trial of a paired study: the planned clip and its place in a pair.

    ``pair_trial`` is 0 for the practice pair, 1..n for the scored pairs.
    """

    trial: PlannedTrial
    pair_trial: int | None = None
    pair_position: int | None = None
    pairing: str | None = None  # "similar" or "random" under a pairing design (experiment.pairing_design)


def is_paired(settings) -> bool:
    """Whether a :class:`~experiment.settings.StudySettings` asks for paired trials."""
    return getattr(settings, "trial_format", TrialFormat.SINGLE) == TrialFormat.PAIRED


def paired_rules(rules: AssignmentRules) -> AssignmentRules:
    """The assignment rules for a paired study: no repeat or attention trial."""
    return replace(rules, repeat_check=False, attention_check=False)


def arrange_pairs(planned: Sequence[PlannedTrial], clips: Sequence[ClipInfo], seed: int) -> list[PairedPlan]:
    """Join the planned main trials into human/AI pairs, shuffled and order-counterbalanced.

    Parameters
    ----------
    planned : sequence of PlannedTrial
        :func:`~experiment.assignment.assign_trials` output under :func:`paired_rules`: an optional
        practice trial and ``n`` main trials, half human and half AI.
    clips : sequence of ClipInfo
        The active clips (their source and ``pair_id``).
    seed : int
        The participant's seed; the same inputs give the same plan.

    Returns
    -------
    list of PairedPlan
        The practice pair (if any) first, then pairs 1..n/2, each as position 1 then position 2.

    Raises
    ------
    AssignmentError
        Unequal sources, or a practice without a spare clip of the other source.
    """
    rng = random.Random(f"pairs-{seed}")
    info = {c.clip_id: c for c in clips}
    mains = [p for p in planned if p.kind == TrialKind.MAIN]
    humans = [p for p in mains if info[p.clip_id].source == Source.HUMAN]
    ais = [p for p in mains if info[p.clip_id].source == Source.AI]
    if len(humans) != len(ais) or not humans:
        raise AssignmentError("paired trials need as many human as AI clips in the trial list")
    partners = _matched(humans, ais, info)
    if partners is None:  # no complete pairs: balanced random pairing
        shuffled = list(ais)
        rng.shuffle(shuffled)
        partners = list(zip(humans, shuffled, strict=True))
    rng.shuffle(partners)
    n_pairs = len(partners)
    ai_first = [True] * (n_pairs // 2) + [False] * (n_pairs // 2)
    if n_pairs % 2:
        ai_first.append(rng.random() < 0.5)
    rng.shuffle(ai_first)
    result = _practice_pair(planned, clips, rng)
    for number, ((human, ai), first_is_ai) in enumerate(zip(partners, ai_first, strict=True), start=1):
        order = (ai, human) if first_is_ai else (human, ai)
        result += [PairedPlan(order[0], number, 1), PairedPlan(order[1], number, 2)]
    return result


def _practice_pair(planned: Sequence[PlannedTrial], clips: Sequence[ClipInfo], rng: random.Random) -> list[PairedPlan]:
    """The practice pair: the planned practice clip and a spare clip of the other source, in random order."""
    practice = next((p for p in planned if p.kind == TrialKind.PRACTICE), None)
    if practice is None:
        return []
    used = {p.clip_id for p in planned}
    source = next(c.source for c in clips if c.clip_id == practice.clip_id)
    spare = sorted(c.clip_id for c in clips if c.source != source and c.clip_id not in used)
    if not spare:
        raise AssignmentError("the practice pair needs a human and an AI clip outside the main clips")
    partner = PlannedTrial(TrialKind.PRACTICE, rng.choice(spare))
    order = [practice, partner]
    rng.shuffle(order)
    return [PairedPlan(order[0], PRACTICE_PAIR, 1), PairedPlan(order[1], PRACTICE_PAIR, 2)]


def _matched(
    humans: Sequence[PlannedTrial], ais: Sequence[PlannedTrial], info: dict[int, ClipInfo]
) -> list[tuple[PlannedTrial, PlannedTrial]] | None:
    """Human/AI partners sharing a ``pair_id``, or None unless every clip has its partner."""
    by_pair = {info[a.clip_id].pair_id: a for a in ais if info[a.clip_id].pair_id}
    partners = [(h, by_pair.get(info[h.clip_id].pair_id)) for h in humans if info[h.clip_id].pair_id]
    if len(partners) != len(humans) or any(a is None for _h, a in partners):
        return None
    if len({a.clip_id for _h, a in partners if a is not None}) != len(ais):
        return None
    return [(h, a) for h, a in partners if a is not None]


def guess_in_pair(position: int | None, choice: int | None) -> Source | None:
    """What the pair choice says about the clip at ``position``: AI if chosen, else human (None if unpaired)."""
    if position is None or choice is None:
        return None
    return Source.AI if int(position) == int(choice) else Source.HUMAN


def chose_correctly(choice: int, ai_position: int) -> bool:
    """Whether the position chosen as AI (1 or 2) is the AI clip's position."""
    return int(choice) == int(ai_position)


def proportion_correct(n_correct: int, n_pairs: int) -> float:
    """Correct pair choices / pairs (nan for no pairs)."""
    return n_correct / n_pairs if n_pairs else math.nan


def dprime_2afc(pc: float) -> float:
    """2AFC sensitivity d' = sqrt(2) * z(pc) (Macmillan & Creelman 2005); pc in (0, 1).

    >>> round(dprime_2afc(0.76), 2)
    1.0
    """
    return float(math.sqrt(2.0) * norm.ppf(pc))


def dprime_2afc_from_counts(n_correct: int, n_pairs: int) -> float:
    """d' from counts with the log-linear correction pc = (k + 0.5) / (n + 1) (finite at 0 and n)."""
    if n_pairs <= 0:
        return math.nan
    return dprime_2afc((n_correct + 0.5) / (n_pairs + 1))
