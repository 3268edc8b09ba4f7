"""The participant row that a browser session's step-fragment runs draw from, loaded once per change.

A fragment run of the audio check, practice or trials step (a player report, a click) used to
load the participant through the ORM by token, and so did every callback: about a quarter of a
trial page's database time (issue 23). What a fragment run reads of the row (id, step, study
version, condition, seed, language, screening) changes only when progress is stored, so the row
loaded by the first fragment run of a browser session is kept (detached, never written through)
until something may have changed it:

- every callback that stores progress (:func:`experiment.ui.steps.act`) forgets it, so the run
  it starts draws from a fresh load (its answer, the next step);
- every full page run forgets it (a refresh, a new tab, another replica: a new browser session
  starts empty anyway), and a step that finds the stored progress moved on under it (another
  tab) returns "changed", which reruns the whole page;
- the token is part of the key (a preview restarted under another token loads afresh).

Answers never come from here: a submit loads the participant in its own transaction and the
trial service checks the stored trials and answers, and a trial page reads its trials and the
answered set from the database on every run.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from core.models import Participant
from experiment.entry import load_participant

_KEY = "_ht_participant_row"


def participant_for_run(session: Session, token: str) -> Participant:
    """The participant with resume ``token``: kept from this browser session's last load, else loaded.

    Raises
    ------
    experiment.progress.JourneyError
        Malformed or unknown token (only when it is loaded).
    """
    kept = st.session_state.get(_KEY)
    if isinstance(kept, Participant) and kept.resume_token == token:
        return kept
    participant = load_participant(session, token)
    st.session_state[_KEY] = participant
    return participant


def forget_participant() -> None:
    """Progress may have changed: the next run loads the participant again."""
    st.session_state.pop(_KEY, None)
