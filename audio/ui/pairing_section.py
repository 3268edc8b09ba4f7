"""The Clip library page's similarity pairs: each pair's distance in words, and the organiser's overrides.

The pairs are those :mod:`audio.pairing` makes from the active library; a study with a pairing
design matches its own clips the same way, on the feature groups of its settings. An override is
library-wide (every study pairing those clips keeps it), checked on the server (library
permission) and written to the audit trail, as is giving a pair back to the matching.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from audio import pairing
from core import audit, ui
from core.access import Permission
from core.db import session_scope
from core.vocabulary import Source


def pairs_section(frame: pd.DataFrame, may_manage: bool) -> None:
    """Draw the similar pairs of the active clips (``frame``) under the chosen feature groups, and the overrides."""
    st.subheader("Similarity pairs")
    st.caption(
        "Each AI clip with the human clip nearest to it in the served clips' standardised features (the "
        "matching with the smallest total distance; a pair set by hand is kept and the rest are matched "
        "around it). Paired studies with similar pairs match their own clips this way; random pairs are "
        "drawn for contrast. Staff information: participants never see it."
    )
    groups = st.multiselect(
        "Features to pair on",
        list(pairing.FEATURE_GROUPS),
        default=list(pairing.DEFAULT_GROUPS),
        key="library_pairing_groups",
        help="timbre = MFCC means; key on the circle of fifths; tempo in octaves; each group weighs the same.",
    )
    if not groups:
        st.info("Choose at least one feature group.")
        return
    with session_scope() as session:
        pairs = pairing.library_pairs(session, groups)
        matrix, sources = pairing.library_matrix(session, groups)
    if not pairs:
        st.info("Similarity pairs need active human and AI clips.")
        return
    titles = {int(c): t for c, t in zip(frame["clip_id"], frame["title"].fillna("(untitled)"), strict=True)}
    humans = sorted(c for c, s in sources.items() if s == Source.HUMAN)
    ais = sorted(c for c, s in sources.items() if s == Source.AI)
    _pairs_table(pairs, pairing.describe_pairs(pairs, humans, ais, matrix, groups), titles)
    contrast = [np.median([p.distance for p in pairing.random_pairs(humans, ais, matrix, seed)]) for seed in range(20)]
    st.caption(
        f"Paired on {', '.join(groups)}. Median distance {np.median([p.distance for p in pairs]):.2f} for these "
        f"pairs, {np.median(contrast):.2f} for random pairs of the same clips (20 draws); 0 = identical features, "
        f"about {np.sqrt(2 * len(groups)):.1f} = two clips drawn at random."
    )
    if may_manage:
        _override_form(pairs, humans, ais, titles)


def _pairs_table(pairs: list[pairing.ClipPair], words: list[str], titles: dict[int, str]) -> None:
    table = pd.DataFrame(
        {
            "Human clip": [f"#{p.human_clip_id} {titles.get(p.human_clip_id, '')}" for p in pairs],
            "AI clip": [f"#{p.ai_clip_id} {titles.get(p.ai_clip_id, '')}" for p in pairs],
            "Distance": [p.distance for p in pairs],
            "How alike": words,
            "Set by hand": [p.overridden for p in pairs],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"Distance": st.column_config.NumberColumn("Distance", format="%.2f")},
    )


def _override_form(pairs: list[pairing.ClipPair], humans: list[int], ais: list[int], titles: dict[int, str]) -> None:
    """Pair two clips by hand, or give a hand-set pair back to the matching (both audited)."""
    st.caption(
        "A pair set by hand holds for every study; studies with similar pairs that are open use it for "
        "participants who start from now."
    )
    with st.form("library_pair_override", border=False):
        left, right = st.columns(2)
        label = lambda c: f"#{c} {titles.get(c, '')}"  # noqa: E731 (a label shared by both boxes)
        # No preselected clip: a choice whose clip left the list meanwhile (retired) comes back as None,
        # never as the first clip of the list, which nobody chose.
        human = left.selectbox("Human clip", humans, None, label, key="library_pair_human", placeholder="Choose")
        ai = right.selectbox("AI clip", ais, None, label, key="library_pair_ai", placeholder="Choose")
        pair_them = st.form_submit_button("Pair these two clips")
    if pair_them and (human is None or ai is None):
        st.error("Not paired: choose an active human clip and an active AI clip (one may have been retired meanwhile).")
    elif pair_them and human is not None and ai is not None:
        ui.require(Permission.MANAGE_LIBRARY, None)
        try:
            with session_scope() as session:
                pairing.override_pair(session, int(human), int(ai))
                detail = {"human_clip": int(human), "ai_clip": int(ai)}
                audit.record(session, ui.current_actor(), "clip.pair", target=f"clip #{human}", detail=detail)
        except ValueError:  # a clip retired by someone else meanwhile
            st.error(f"Not paired: clips #{human} and #{ai} are no longer an active human and AI clip.")
            return
        st.session_state["library_notice"] = f"Clips #{human} and #{ai} are paired by hand."
        st.rerun()
    overridden = [p.human_clip_id for p in pairs if p.overridden]
    if not overridden:
        return
    release = st.selectbox(
        "Give a pair set by hand back to the matching",
        overridden,
        format_func=lambda c: f"#{c} {titles.get(c, '')}",
        key="library_pair_release_choice",
    )
    if st.button("Undo this pair", key="library_pair_release") and release is not None:
        ui.require(Permission.MANAGE_LIBRARY, None)
        with session_scope() as session:
            if pairing.clear_override(session, int(release)):  # a double click finds nothing the second time
                audit.record(session, ui.current_actor(), "clip.unpair", target=f"clip #{release}")
        st.session_state["library_notice"] = f"Clip #{release} is matched by similarity again."
        st.rerun()
