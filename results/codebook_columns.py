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
