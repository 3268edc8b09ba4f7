"""Trial assignment: which clips a participant hears, and in what order. Pure functions.

Policy
------
Selection
    Each participant gets ``n_trials / 2`` distinct human and ``n_trials / 2`` distinct AI clips.
    Clips are taken least-exposed first (exposure = main trials already stored for the clip across
    earlier participants), ties broken by the participant's seeded RNG, so that when participants
    are assigned one after another every clip of a source collects the same number of ratings
    to within one.
Pairs
    When ``use_pairs`` is on and the library holds at least ``n_trials / 2`` *complete* pairs
    (a ``pair_id`` shared by at least one human and one AI clip), whole pairs are drawn instead
    (least-exposed pairs first) and both members are included, with at least ``pair_gap`` other
    trials between them. Clips without a complete pair are then not used at all, so an organiser
    who wants pairs should pair every clip. With too few complete pairs, pairs are ignored.
Extras
    ``practice``: one "practice" trial first, always with a clip from outside the main list (and
    other than the attention clip), least exposed of the unused clips; a library without such a
    spare clip is refused. ``repeat_check``: one main clip, chosen at random, is heard again as a
    "repeat" trial at least :data:`REPEAT_MIN_GAP` trials later (never right after it, however
    short the study). ``attention_check``: one "attention" trial (never first) whose clip comes
    from outside the main list when the library allows, of the opposite source to the repeat so
    the two extras keep the sources balanced; when it must reuse a main clip it is spaced from
    that clip's main trial as a repeat is. Extras do not count as exposure. Extras are served
    like every trial, as their own per-trial copy (:func:`audio.library.served_audio_for_listener`),
    so their bytes never match the main trial's.
Counting
    Every trial after the practice is a "clip" for the participant: :attr:`AssignmentRules.n_rated`
    = main + repeat + attention trials, numbered 1..n_rated in presentation order
    (:mod:`experiment.clip_count`).
Order
    A seeded random order in which no more than ``max_same_source_run`` consecutive trials
    (everything after the practice trial, extras included) share a source. It is found by a
    randomised depth-first search with a feasibility bound, so it never loops forever; if the
    pair gap cannot be met (very short studies) it is relaxed one trial at a time.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.vocabulary import SOURCES, Source, TrialKind

REPEAT_MIN_GAP = 3
"""Other trials between a clip and its deliberate repeat (relaxed in very short studies)."""
REPEAT_MIN_GAP_ALWAYS = 1
"""Other trials between a clip and its repeat however short the study: never right after it."""

_NODE_BUDGET = 20_000


class AssignmentError(ValueError):
    """The library or the rules cannot produce a valid trial list; the message says why."""


@dataclass(frozen=True)
class ClipInfo:
    """What assignment needs to know about one active clip (nothing else about it)."""

    clip_id: int
    source: str  # a core.vocabulary.Source value
    pair_id: str | None = None


@dataclass(frozen=True)
class AssignmentRules:
    """The parts of :class:`experiment.settings.StudySettings` that shape a trial list."""

    n_trials: int = 12
    max_same_source_run: int = 3
    use_pairs: bool = True
    pair_gap: int = 2
    practice: bool = True
    attention_check: bool = True
    repeat_check: bool = True

    @classmethod
    def from_settings(cls, settings) -> AssignmentRules:
        """Rules from a :class:`~experiment.settings.StudySettings`."""
        return cls(
            n_trials=settings.n_trials,
            max_same_source_run=settings.max_same_source_run,
            use_pairs=settings.use_pairs,
            pair_gap=settings.pair_gap,
            practice=settings.practice_trial,
            attention_check=settings.attention_check,
            repeat_check=settings.repeat_check,
        )

    @property
    def n_rated(self) -> int:
        """Trials after the practice (main + repeat + attention): the "clips" a participant is told about."""
        return self.n_trials + int(self.repeat_check) + int(self.attention_check)


@dataclass(frozen=True)
class PlannedTrial:
    """One entry of a trial list, in presentation order.

    ``kind`` is a :class:`core.vocabulary.TrialKind` (as stored in ``Trial.kind``).
    """

    kind: str
    clip_id: int


@dataclass(frozen=True)
class _Item:
    kind: str
    clip_id: int
    source: str
    partner: int | None = None  # index of the other pair member
    original: int | None = None  # repeat (or attention reusing a main clip): index of that main trial


def complete_pairs(clips: Sequence[ClipInfo]) -> dict[str, dict[str, list[ClipInfo]]]:
    """Pair ids that have at least one human and one AI clip, with their members per source.

    Returns
    -------
    dict
        ``{pair_id: {"human": [...], "ai": [...]}}``, members sorted by clip id.
    """
    grouped: dict[str, dict[str, list[ClipInfo]]] = {}
    for clip in sorted(clips, key=lambda c: c.clip_id):
        if clip.pair_id:
            grouped.setdefault(clip.pair_id, {s: [] for s in SOURCES})[clip.source].append(clip)
    return {pid: members for pid, members in grouped.items() if all(members[s] for s in SOURCES)}


def longest_source_run(sources: Sequence[str]) -> int:
    """Length of the longest stretch of equal consecutive values in ``sources`` (0 if empty)."""
    longest = run = 0
    previous = None
    for source in sources:
        run = run + 1 if source == previous else 1
        previous = source
        longest = max(longest, run)
    return longest


def assign_trials(
    clips: Sequence[ClipInfo],
    exposure: Mapping[int, int],
    rules: AssignmentRules,
    seed: int,
) -> list[PlannedTrial]:
    """A participant's trial list: balanced, exposure-spread, seeded, run-limited.

    Parameters
    ----------
    clips : sequence of ClipInfo
        The active clips of the library.
    exposure : mapping clip id -> int
        Main trials already stored per clip (missing ids count as 0).
    rules : AssignmentRules
    seed : int
        The participant's seed; the same inputs and seed give the same list.

    Returns
    -------
    list of PlannedTrial
        Practice first (if on), then main, repeat and attention trials interleaved.

    Raises
    ------
    AssignmentError
        Too few clips of a source, an odd ``n_trials``, or no order satisfying the run limit.
    """
    _check_inputs(clips, rules)
    picker = _Picker(exposure, random.Random(seed))
    items = _main_items(clips, rules, picker)
    main_ids = {item.clip_id for item in items}
    unused = [c for c in clips if c.clip_id not in main_ids]
    practice = None
    if rules.practice:
        if not unused:
            raise AssignmentError(
                f"the practice trial needs a clip outside the {rules.n_trials} main clips; "
                "add a clip or switch the practice trial off"
            )
        practice = picker.least_exposed(unused, 1)[0]
        unused.remove(practice)
    _add_extras(items, unused, rules, picker)
    order = _order(items, rules, picker.rng)
    planned = [PlannedTrial(items[i].kind, items[i].clip_id) for i in order]
    if practice is not None:
        planned.insert(0, PlannedTrial(TrialKind.PRACTICE, practice.clip_id))
    return planned


class _Picker:
    """Least-exposed-first choice of clips, ties broken by the participant's seeded RNG."""

    def __init__(self, exposure: Mapping[int, int], rng: random.Random) -> None:
        self.exposure = exposure
        self.rng = rng

    def load(self, clip: ClipInfo) -> int:
        return self.exposure.get(clip.clip_id, 0)

    def least_exposed(self, candidates: Sequence[ClipInfo], k: int) -> list[ClipInfo]:
        ordered = sorted(candidates, key=lambda c: c.clip_id)
        keys = {c.clip_id: (self.load(c), self.rng.random()) for c in ordered}
        return sorted(ordered, key=lambda c: keys[c.clip_id])[:k]


def _check_inputs(clips: Sequence[ClipInfo], rules: AssignmentRules) -> None:
    if rules.n_trials < 2 or rules.n_trials % 2:
        raise AssignmentError(f"n_trials must be an even number of at least 2, got {rules.n_trials}")
    if rules.max_same_source_run < 1:
        raise AssignmentError("max_same_source_run must be at least 1")
    unknown = sorted({c.source for c in clips} - set(SOURCES))
    if unknown:
        raise AssignmentError(f"clips with unknown source {unknown}")
    need = rules.n_trials // 2
    for source in SOURCES:
        have = sum(1 for c in clips if c.source == source)
        if have < need:
            raise AssignmentError(f"n_trials={rules.n_trials} needs {need} {source} clips, but only {have} are active")


def _main_items(clips: Sequence[ClipInfo], rules: AssignmentRules, picker: _Picker) -> list[_Item]:
    """The main trials: whole pairs when the rules and the library allow, else independent clips."""
    need = rules.n_trials // 2
    items: list[_Item] = []
    pairs = complete_pairs(clips)
    if rules.use_pairs and len(pairs) >= need:
        candidates = []
        for pair_id in sorted(pairs):
            human = picker.least_exposed(pairs[pair_id][Source.HUMAN], 1)[0]
            ai = picker.least_exposed(pairs[pair_id][Source.AI], 1)[0]
            candidates.append((picker.load(human) + picker.load(ai), picker.rng.random(), human, ai))
        candidates.sort(key=lambda entry: entry[:2])
        for _, _, human, ai in candidates[:need]:
            items.append(_Item(TrialKind.MAIN, human.clip_id, Source.HUMAN, partner=len(items) + 1))
            items.append(_Item(TrialKind.MAIN, ai.clip_id, Source.AI, partner=len(items) - 1))
        return items
    for source in SOURCES:
        of_source = [c for c in clips if c.source == source]
        items.extend(_Item(TrialKind.MAIN, c.clip_id, source) for c in picker.least_exposed(of_source, need))
    return items


def _add_extras(items: list[_Item], unused: Sequence[ClipInfo], rules: AssignmentRules, picker: _Picker) -> None:
    """Append the repeat and attention trials to ``items`` (``unused``: clips in no trial yet)."""
    repeat_source = None
    if rules.repeat_check:
        original = picker.rng.randrange(len(items))
        repeat_source = items[original].source
        items.append(_Item(TrialKind.REPEAT, items[original].clip_id, repeat_source, original=original))
    if rules.attention_check:
        wanted = _other_source(repeat_source) if repeat_source is not None else picker.rng.choice(SOURCES)
        spare = [c for c in unused if c.source == wanted]
        if spare:
            attention = picker.least_exposed(spare, 1)[0]
            items.append(_Item(TrialKind.ATTENTION, attention.clip_id, attention.source))
            return
        repeated = {item.original for item in items}
        mains = [
            i
            for i, item in enumerate(items)
            if item.kind == TrialKind.MAIN and item.source == wanted and i not in repeated
        ]
        reused = picker.least_exposed([ClipInfo(items[i].clip_id, wanted) for i in mains], 1)[0]
        original = next(i for i in mains if items[i].clip_id == reused.clip_id)
        items.append(_Item(TrialKind.ATTENTION, reused.clip_id, wanted, original=original))


def _other_source(source: str) -> Source:
    return Source.AI if source == Source.HUMAN else Source.HUMAN


def _run_feasible(counts: Mapping[str, int], last: str | None, run: int, limit: int) -> bool:
    """Can ``counts`` still be laid out after a run of ``run`` x ``last`` with runs <= ``limit``?"""
    for source in SOURCES:
        other = counts[_other_source(source)]
        head_room = limit - run if source == last else limit
        if counts[source] > head_room + limit * other:
            return False
    return True


def _order(items: list[_Item], rules: AssignmentRules, rng: random.Random) -> list[int]:
    """Indices of ``items`` in a valid presentation order (see module docstring)."""
    n = len(items)
    limit = rules.max_same_source_run
    counts: dict[str, int] = {s: sum(1 for item in items if item.source == s) for s in SOURCES}
    if not _run_feasible(counts, None, 0, limit):
        raise AssignmentError(
            f"no order of {counts['human']} human and {counts['ai']} AI trials keeps runs "
            f"of one source at most {limit} long"
        )
    # Relax the spacing rules one trial at a time only when a short study cannot meet them.
    for repeat_gap in range(max(REPEAT_MIN_GAP_ALWAYS, min(REPEAT_MIN_GAP, n - 2)), REPEAT_MIN_GAP_ALWAYS - 1, -1):
        for pair_gap in range(rules.pair_gap, -1, -1):
            for _attempt in range(20):
                order, exhausted = _search(items, limit, pair_gap, repeat_gap, rng)
                if order is not None:
                    return order
                if exhausted:  # the whole tree was searched: no order with these gaps
                    break
    raise AssignmentError("could not find a trial order meeting the run limit; raise max_same_source_run")


def _search(
    items: list[_Item], limit: int, pair_gap: int, repeat_gap: int, rng: random.Random
) -> tuple[list[int] | None, bool]:
    """Randomised depth-first search for an order.

    Returns ``(order, exhausted)``: ``order`` is None when no order was found, and
    ``exhausted`` tells whether that is certain (whole tree searched) or the node budget ran out.
    """
    search = _OrderSearch(items, limit, pair_gap, repeat_gap, rng)
    if search.extend(None, 0):
        return list(search.order), False
    return None, search.budget >= 0


class _OrderSearch:
    """State of one :func:`_search`: the partial order and what is left to place."""

    def __init__(self, items: list[_Item], limit: int, pair_gap: int, repeat_gap: int, rng: random.Random) -> None:
        self.items, self.limit, self.pair_gap, self.repeat_gap, self.rng = items, limit, pair_gap, repeat_gap, rng
        self.n = len(items)
        self.position: dict[int, int] = {}
        self.order: list[int] = []
        self.counts: dict[str, int] = {s: sum(1 for item in items if item.source == s) for s in SOURCES}
        self.repeated = {item.original for item in items if item.original is not None}
        self.budget = _NODE_BUDGET

    def allowed(self, index: int, pos: int, last: str | None, run: int) -> bool:
        """May ``items[index]`` go at ``pos`` after a run of ``run`` x ``last``?"""
        item, n = self.items[index], self.n
        if item.source == last and run >= self.limit:
            return False
        if item.kind == TrialKind.ATTENTION and pos == 0 and n > 1:
            return False
        if item.partner is not None:
            placed = self.position.get(item.partner)
            if placed is not None and pos - placed - 1 < self.pair_gap:
                return False
            if placed is None and (n - 1) - pos - 1 < self.pair_gap:
                return False
        if item.original is not None:
            placed = self.position.get(item.original)
            if placed is None or pos - placed - 1 < self.repeat_gap:
                return False
        if index in self.repeated and (n - 1) - pos - 1 < self.repeat_gap:
            return False
        return True

    def extend(self, last: str | None, run: int) -> bool:
        """Place the remaining items after the current partial order; True once all are placed."""
        pos = len(self.order)
        if pos == self.n:
            return True
        self.budget -= 1
        if self.budget < 0:
            return False
        candidates = [i for i in range(self.n) if i not in self.position]
        self.rng.shuffle(candidates)
        tried_sources_kinds = set()
        for index in candidates:
            item = self.items[index]
            if not self.allowed(index, pos, last, run):
                continue
            new_run = run + 1 if item.source == last else 1
            self.counts[item.source] -= 1
            if _run_feasible(self.counts, item.source, new_run, self.limit):
                # Interchangeable plain items fail the same way: try one of each kind per source.
                signature = (item.source, item.kind, item.partner is None and index not in self.repeated)
                if signature[2] and signature in tried_sources_kinds:
                    self.counts[item.source] += 1
                    continue
                tried_sources_kinds.add(signature)
                self.position[index] = pos
                self.order.append(index)
                if self.extend(item.source, new_run):
                    return True
                self.order.pop()
                del self.position[index]
            self.counts[item.source] += 1
        return False
