"""The report's section on the design conditions: the causal label effect and the effect of being asked to guess.

Empty when the data hold no labelled participants, no rate-only ones and no paired (2AFC) trials
(:mod:`results.statistics.designs`, :mod:`results.statistics.paired_detection`).
"""

from __future__ import annotations

import pandas as pd

from results.analysis import Analysis, Failure
from results.rendering.formatting import format_number, format_p
from results.rendering.report_html import esc, format_interval, html_table
from results.rendering.sentences import pairing_sentence
from results.statistics.designs import (
    DesignEffects,
)
from results.statistics.paired_detection import METHODS as PAIRED_METHODS
from results.statistics.pairing_effect import PairingEffect
from results.statistics.roles import role_tag

TERM_LABELS = {
    "label_ai": "AI label (vs person)",
    "is_ai": "AI clip (vs human)",
    "label_ai:is_ai": "label × source",
    "asked": "asked the source (blind vs rate-only)",
    "asked:is_ai": "asked × source",
}


def effects_rows(effects: DesignEffects) -> list[list[str]]:
    """Table rows: scale, term, estimate [95 % CI], t(df), p, Holm p."""
    return [
        [
            str(row.scale),
            TERM_LABELS.get(str(row.term), str(row.term)),
            f"{format_number(row.estimate)} {format_interval(row.ci_low, row.ci_high)}",
            f"{format_number(row.t)} ({row.df:.0f})",
            format_p(row.p_value),
            format_p(row.p_holm) if pd.notna(row.p_holm) else "",
        ]
        for row in effects.table.itertuples()
    ]


HEADER = ["Scale", "Term", "Difference in scale points [95% CI]", "t (df)", "p", "p (Holm)"]
SIDE_BY_SIDE_HEADER = ["Design", "Participants", "Answers", "Proportion correct", "d' [95% CI]", "p (vs chance)"]


def side_by_side_rows(side: pd.DataFrame) -> list[list[str]]:
    """Table rows of :func:`results.statistics.paired_detection.detection_side_by_side` ("not estimable: why")."""
    return [
        [
            str(row.design),
            str(row.participants),
            str(row.answers),
            format_number(row.proportion_correct),
            f"not estimable: {row.not_estimable}"
            if row.not_estimable
            else f"{format_number(row.dprime)} {format_interval(row.ci_low, row.ci_high)}",
            "" if row.not_estimable else format_p(row.p_value),
        ]
        for row in side.itertuples()
    ]


PAIRING_HEADER = ["Pairs", "Participants", "Answered pairs", "Proportion correct", "d' [95% CI]", "p"]
PAIRING_GENERALISES = (
    "Each d' and the difference generalise over participants and clips: both are random effects of the models "
    "(participants, the AI clip and the human clip of each pair). The interval assumes the difference itself "
    "is the same for every participant and clip (no random slopes); p of each type is against chance, p of the "
    "difference against no difference."
)
PAIRING_TITLE = "Similar versus random pairs"


def pairing_rows(effect: PairingEffect) -> list[list[str]]:
    """Table rows: each pairing type's paired d' (vs chance), then the difference similar − random."""

    def estimate(value: float, low: float, high: float, why: str) -> str:
        return f"not estimable: {why}" if why else f"{format_number(value)} {format_interval(low, high)}"

    rows = [
        [
            f"{kind} pairs",
            str(result.n_participants),
            str(result.n_pairs),
            format_number(result.pc),
            estimate(result.dprime, result.ci_low, result.ci_high, result.not_estimable),
            "" if result.not_estimable else format_p(result.p_value),
        ]
        for kind, result in effect.by_type.items()
    ]
    difference = estimate(effect.difference, effect.ci_low, effect.ci_high, effect.not_estimable)
    p = "" if effect.not_estimable else format_p(effect.p_value)
    rows.append(["difference (similar − random)", str(effect.n_participants), str(effect.n_pairs), "", difference, p])
    return rows


def pairing_block(effect: PairingEffect | Failure) -> str:
    """The report's similar-versus-random section."""
    heading = f'<h3>{PAIRING_TITLE}</h3><p class="meta">{esc(role_tag("pairing"))}.</p>'
    if isinstance(effect, Failure):
        return f"{heading}<p>Not modelled: {esc(effect.reason)}</p>"
    return "\n".join(
        [
            heading,
            f"<p>{esc(pairing_sentence(effect))}</p>",
            html_table(PAIRING_HEADER, pairing_rows(effect), numeric=(1, 2, 3, 4, 5)),
            f'<p class="meta">{esc(PAIRING_GENERALISES)} {esc(effect.methods)} Fit: {esc(effect.fit_status)}</p>',
        ]
    )


def _block(title: str, role: str, effects: DesignEffects | Failure) -> str:
    """One design effect's section: its title, its preregistered role (a key of :data:`results.statistics.roles.ROLES`)
    and its table, or why it was not modelled."""
    heading = f'<h3>{esc(title)}</h3><p class="meta">{esc(role_tag(role))}.</p>'
    if isinstance(effects, Failure):
        return f"{heading}<p>Not modelled: {esc(effects.reason)}</p>"
    return "\n".join(
        [
            heading,
            f'<p class="meta">{effects.n_participants} participants, {effects.n_clips} clips, '
            f"{effects.n_ratings} ratings. {esc(effects.method)}"
            + "".join(f"<br>{esc(structure)}" for structure in effects.structures)
            + "</p>",
            html_table(HEADER, effects_rows(effects), numeric=(2, 3, 4, 5)),
        ]
    )


def design_section(analysis: Analysis) -> str:
    """HTML for the design conditions that have data ('' when none has)."""
    parts = []
    if analysis.label_effects is not None:
        parts.append(_block("Effect of the AI label", "label", analysis.label_effects))
    if analysis.guess_question_effects is not None:
        parts.append(_block("Effect of being asked to guess", "asked", analysis.guess_question_effects))
    if analysis.paired_side_by_side is not None:
        parts += [
            "<h3>Single-clip vs paired detection</h3>",
            f'<p class="meta">{esc(role_tag("paired_detection"))}. {esc(PAIRED_METHODS)}</p>',
            html_table(SIDE_BY_SIDE_HEADER, side_by_side_rows(analysis.paired_side_by_side), numeric=(1, 2, 3, 4, 5)),
        ]
    if analysis.pairing_effect is not None:
        parts.append(pairing_block(analysis.pairing_effect))
    if not parts:
        return ""
    return "\n".join(["<h2>Study designs</h2>", *parts])
