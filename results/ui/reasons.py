"""The Reasons page: what listeners say made them think so, coded by the study's cue words (issue 26).

Drawing only; the coding and the shares are :mod:`results.statistics.reasons`, read from the page's
:class:`~results.analysis.Analysis`. The cue list is a study setting (Study settings -> Reasons for the
guess): every change is a new version, in the audit trail with its diff and among the deviations.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.statistics.reasons import cue_examples, mentions_by_guess_and_truth
from results.ui.filters import page_analysis
from results.ui.tables import show_table


def reasons_page() -> None:
    """The whole page under the sidebar's filters."""
    st.title("Reasons")
    analysis = page_analysis()
    coded = analysis.coded_reasons
    if coded.empty:
        st.info(
            'No reasons under these filters. A study asks "What made you think so?" when Study settings → '
            "Reasons for the guess is on (after every guess, or once after the last clip)."
        )
        return
    reasons = coded.drop_duplicates("reason_id")
    st.write(
        f"{len(reasons)} reasons from {reasons['participant_id'].nunique()} participants, coded by the study's "
        "cue words (Study settings → Reasons for the guess; the list of the newest version). A cue is mentioned "
        "when the reason holds a word beginning with one of its terms, in English or German."
    )
    cue_section(analysis.reason_cues)
    examples_section(coded)
    by_guess_section(coded, reasons)


def cue_section(summary: pd.DataFrame) -> None:
    """Which cues go with correct and with incorrect guesses."""
    st.subheader("Cues and correct guesses")
    table = pd.DataFrame(
        {
            "Cue": summary["cue"],
            "Reasons mentioning it": summary["n_reasons"],
            "Participants": summary["n_participants"],
            "Guesses": summary["n_guesses"],
            "Share correct (95 % interval)": [
                _share_text(*shares)
                for shares in zip(summary["share_correct"], summary["ci_low"], summary["ci_high"], strict=True)
            ],
            "Share correct without the cue": [_percent(share) for share in summary["share_correct_without"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="reason_cues")
    st.caption(
        "Share correct: among the guesses whose reason mentions the cue (a reason given once after the last "
        "clip speaks for all that participant's guesses). The interval takes participants as the unit, so it "
        "generalises over listeners who name the cue, for these clips and this coding, not over other clips. "
        "Descriptive: no test is made across the cues, so there is no p-value to correct."
    )


def _percent(share: float) -> str:
    return "–" if pd.isna(share) else f"{100 * share:.0f} %"


def _share_text(share: float, low: float, high: float) -> str:
    """``75 % [60 %, 88 %]``; the interval left out where it cannot be had (fewer than 2 participants)."""
    if pd.isna(share):
        return "–"
    interval = "" if pd.isna(low) else f" [{_percent(low)}, {_percent(high)}]"
    return _percent(share) + interval


def examples_section(coded: pd.DataFrame) -> None:
    st.subheader("Examples")
    examples = cue_examples(coded)
    if not examples:
        st.caption("No reason mentions a cue.")
    for cue, texts in examples.items():
        st.markdown(f"**{cue}**: " + " · ".join(f"“{text}”" for text in texts))


def by_guess_section(coded: pd.DataFrame, reasons: pd.DataFrame) -> None:
    """Mentions per guess and truth, then every reason under its guess and truth."""
    st.subheader("Reasons by guess and truth")
    show_table(
        mentions_by_guess_and_truth(coded).reset_index(), empty="No reason mentions a cue.", key="reason_mentions"
    )
    for (guess, truth), group in reasons.groupby(["guess", "truth"], sort=True):
        with st.expander(f"Guess: {guess}; truth: {truth} ({len(group)} reasons)"):
            shown = group[["participant_id", "asked", "reason"]].rename(
                columns={"participant_id": "Participant", "asked": "Asked", "reason": "Reason"}
            )
            st.dataframe(shown, hide_index=True, width="stretch")
