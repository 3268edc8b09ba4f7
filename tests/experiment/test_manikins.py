"""The SAM figures: well-formed SVG drawn here, five per scale, placed over points 1, 3, 5, 7 and 9."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from core.i18n import using_language
from experiment.ui.manikins import N_FIGURES, SAM_SCALES, manikin_row_html, manikin_svg

SVG = "{http://www.w3.org/2000/svg}"


def _burst_radius(svg: str) -> float:
    """How far the body's burst reaches from its centre (50, 88), in SVG units (the dot: 2.5)."""
    root = ET.fromstring(svg)
    polygon = root.find(f"{SVG}polygon")
    if polygon is None:
        return float(root.findall(f"{SVG}circle")[-1].get("r"))
    points = [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
    return max(((x - 50) ** 2 + (y - 88) ** 2) ** 0.5 for x, y in points)


@pytest.mark.parametrize("scale", SAM_SCALES)
def test_five_distinct_well_formed_figures_that_fetch_nothing(scale):
    figures = [manikin_svg(scale, level) for level in range(N_FIGURES)]
    assert len(set(figures)) == N_FIGURES
    for svg in figures:
        root = ET.fromstring(svg)  # well-formed XML
        assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 100 120"
        assert "href" not in svg and "url(" not in svg  # nothing to load from anywhere


def test_valence_goes_from_a_frown_to_a_smile_and_arousal_from_a_dot_to_a_burst():
    def mouth_bend(svg: str) -> float:  # control point below the corners (> 0) is a smile
        corner_y, control_y = map(float, re.search(r'd="M[\d.]+ ([\d.]+) Q50 ([\d.-]+)', svg).groups())
        return control_y - corner_y

    bends = [mouth_bend(manikin_svg("valence", level)) for level in range(N_FIGURES)]
    assert bends[0] < 0 < bends[-1] and bends == sorted(bends)
    radii = [_burst_radius(manikin_svg("arousal", level)) for level in range(N_FIGURES)]
    assert radii == sorted(radii) and radii[0] < 3 and radii[-1] > 25


def test_the_row_puts_the_figures_over_points_1_3_5_7_9_of_nine():
    html = manikin_row_html("valence", 9)
    lefts = [float(x) for x in re.findall(r"left:([\d.]+)%", html)]
    assert lefts == pytest.approx([(point - 0.5) / 9 * 100 for point in (1, 3, 5, 7, 9)], abs=1e-3)
    sources = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert [base64.b64decode(s).decode() for s in sources] == [manikin_svg("valence", i) for i in range(5)]
    # Each figure says what it shows, in the participant's language (issue 24: no text alternative).
    alts = re.findall(r'alt="([^"]*)"', html)
    assert alts[0] == "a figure with a deep frown (at 1 on the scale)"
    assert alts[-1] == "a figure with a broad smile (at 9 on the scale)"
    assert "aria-hidden" not in html
    with using_language("de"):
        german = re.findall(r'alt="([^"]*)"', manikin_row_html("arousal", 7))
    assert german[0] == "eine schläfrige Figur mit geschlossenen Augen (bei 1 auf der Skala)"
    assert german[1].endswith("(bei 2,5 auf der Skala)") and len(set(german)) == 5


def test_only_the_sam_scales_have_figures():
    with pytest.raises(ValueError):
        manikin_svg("liking", 0)
