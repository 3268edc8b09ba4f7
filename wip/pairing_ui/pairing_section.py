"""The Clip library page's similarity pairs: each pair's feature distance, and the organiser's overrides.

The pairs are those :mod:`audio.pairing` makes from the active library (a study with a pairing
design uses them among its own clips, with the feature groups of its settings). Overrides are
checked server-side (library permission) and written to the audit trail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from audio import pairing
from core import audit, ui
from core.access import Permission
from core.db import session_scope


def pairs_section(frame: pd.DataFrame, may_manage: bool) -> None:
    """Draw the similar pairs of the active clips under the chosen feature groups, and the override form."""
    st.subheader("Similarity pairs")
    st.caption(
        "Each AI clip with the human clip nearest to it in the served clips' standardised features (the "
        "matching with the smallest total distance). Paired studies with a pairing design use these pairs "
        "among their own clips; random pairs are drawn for contrast."
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
    titles = dict(zip(frame["clip_id"], frame["title"].fillna("(untitled)"), strict=True))
    table = pd.DataFrame(
        {
            "Human clip": [f"#{p.human_clip_id} {titles.get(p.human_clip_id, '')}" for p in pairs],
            "AI clip": [f"#{p.ai_clip_id} {titles.get(p.ai_clip_id, '')}" for p in pairs],
            "Distance": [p.distance for p in pairs],
            "Set by hand": [p.overridden for p in pairs],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"Distance": st.column_config.NumberColumn("Distance", format="%.2f")},
    )
    humans = [c for c, s in sources.items() if s == "human"]
    ais = [c for c, s in sources.items() if s == "ai"]
    contrast = [np.median([p.distance for p in pairing.random_pairs(humans, ais, matrix, seed)]) for seed in range(20)]
    st.caption(
        f"Median distance: {np.median([p.distance for p in pairs]):.2f} for these pairs, "
        f"{np.median(contrast):.2f} for random pairs of the same clips (20 draws)."
    )
    if may_manage:
        _override_form(pairs, humans, ais, titles)


def _override_form(pairs: list[pairing.ClipPair], humans: list[int], ais: list[int], titles: dict) -> None:
    """Pair two clips by hand, or give a hand-set pair back to the matching."""
    with st.form("library_pair_override", border=False):
        left, right = st.columns(2)
        human = left.selectbox("Human clip", sorted(humans), format_func=lambda c: f"#{c} {titles.get(c, '')}")
        ai = right.selectbox("AI clip", sorted(ais), format_func=lambda c: f"#{c} {titles.get(c, '')}")
        pair_them = st.form_submit_button("Pair these two clips")
    if pair_them and human is not None and ai is not None:
        ui.require(Permission.MANAGE_LIBRARY, None)
        with session_scope() as session:
            pairing.override_pair(session, int(human), int(ai))
            detail = {"human_clip": int(human), "ai_clip": int(ai)}
            audit.record(session, ui.current_actor(), "clip.pair", target=f"clip #{human}", detail=detail)
        st.session_state["library_notice"] = f"Clips #{human} and #{ai} are paired by hand."
        st.rerun()
    overridden = [p for p in pairs if p.overridden]
    if not overridden:
        return
    release = st.selectbox(
        "Give a hand-set pair back to the matching",
        [p.human_clip_id for p in overridden],
        format_func=lambda c: f"#{c} {titles.get(c, '')}",
        key="library_pair_release_choice",
    )
    if st.button("Release this pair", key="library_pair_release") and release is not None:
        ui.require(Permission.MANAGE_LIBRARY, None)
        with session_scope() as session:
            if pairing.clear_override(session, int(release)):
                audit.record(session, ui.current_actor(), "clip.unpair", target=f"clip #{release}")
        st.session_state["library_notice"] = f"Clip #{release} is matched by similarity again."
        st.rerun()
