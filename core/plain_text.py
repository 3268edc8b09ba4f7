"""Text typed by staff or imported with clips, shown to participants exactly as typed (no Streamlit).

Streamlit renders Markdown in ``st.markdown``, ``st.write`` and in the cells of ``st.table``: a clip's
creator ``![x](https://elsewhere.example/pixel.png)`` would load an image from another host into
the participant's browser (and a link or heading could pose as part of the study). Escaping every
Markdown and HTML special character makes it plain text while looking the same.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that start syntax.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def as_plain_markdown(text: str) -> str:
    """``text`` escaped so that a Markdown renderer shows it literally (no links, images, HTML or maths)."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")
