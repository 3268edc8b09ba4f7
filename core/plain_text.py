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


_IMAGE = re.compile(r"(?<!\\)!\[")


def markdown_without_images(markdown: str) -> str:
    """Staff-written Markdown (information sheet, consent, debrief) with every image turned into a plain link.

    The texts keep their formatting and links (a link loads nothing until clicked), but an image
    ``![alt](https://elsewhere/…)`` would be fetched by every participant's browser from another host
    the moment the page opens; escaping its ``!`` leaves the link ``[alt](…)``. Raw HTML is already
    shown as text by ``st.markdown``.
    """
    return _IMAGE.sub(r"\\![", markdown)
