"""A codebook entry (:class:`Column`) and the design-condition columns of the trials table.

Split from :mod:`results.codebook`, which assembles the full tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One codebook entry.

    Attributes
    ----------
    name : column name.
    dtype : pandas dtype the loader guarantees (``Int64``/``boolean`` allow missing values).
    unit : unit of measurement, or "" when the value has none.
    allowed : allowed values or range in words.
    description : what the value means and where it comes from.
    """

    name: str
    dtype: str
    unit: str
    allowed: str
    description: str


DESIGN_COLUMNS: tuple[Column, ...] = (
    Column(
        "condition",
        "str",
        "",
        "blind, rate_only, labelled, missing",
        "Design condition the participant was randomised to (balanced over arrivals): blind = rated and "
        "guessed the source of each clip; rate_only = rated only, asked about AI once at the end; labelled = "
        "each clip announced as made by a person or by AI before it played, rated only. Missing: before "
        "conditions existed (blind).",
    ),
    Column(
        "label_shown",
        "str",
        "",
        "human, ai, missing",
        "Labelled condition: the source announced before the clip played (missing in other conditions).",
    ),
    Column(
        "label_mode",
        "str",
        "",
        "true, reversed, random, missing",
        "Labelled condition: how the label was chosen - the true source, the other source, or at random "
        "(in the proportions set in the study version).",
    ),
    Column(
        "label_true",
        "boolean",
        "",
        "true, false, missing",
        "Labelled condition: the announced source was the clip's true source.",
    ),
)
"""The design columns: the participant's condition and, in the labelled condition, each trial's label."""

PAIR_COLUMNS: tuple[Column, ...] = (
    Column(
        "pair_trial",
        "Int64",
        "",
        "1, 2 ... missing",
        "Paired (2AFC) studies: the number of the pair this clip was heard in (1 = first pair). Each pair "
        "holds one human and one AI clip (a matched pair when the clips share a pair_id) and is two rows, "
        "one per clip. Missing for single-clip trials.",
    ),
    Column(
        "pair_position",
        "Int64",
        "",
        "1, 2, missing",
        "Paired studies: where the clip played in its pair (1 = first, 2 = second); which position held the "
        "AI clip is counterbalanced within each participant.",
    ),
    Column(
        "pair_choice",
        "Int64",
        "",
        "1, 2, missing",
        'Paired studies: the answer to "Which one was made by AI?" - the position chosen. One answer per '
        "pair, repeated on both clips' rows: count it once per pair (e.g. the rows with pair_position 1).",
    ),
    Column(
        "pair_confidence",
        "Int64",
        "scale points",
        "1..3, missing",
        "Paired studies: how sure the participant was of the pair choice (1 = guessing, 2 = fairly sure, "
        "3 = sure); repeated on both clips' rows like pair_choice.",
    ),
    Column(
        "pair_correct",
        "boolean",
        "",
        "true, false, missing",
        "Paired studies: the position chosen held the AI clip (the 2AFC outcome; d' = sqrt(2) z(proportion "
        "correct)). Same value on both rows of a pair.",
    ),
)
"""The paired (2AFC) columns: which pair and position each clip had, and the pair's one choice."""
