"""The settings page's own labels, remembered as the form draws them, for messages about the settings.

The settings' checks (:func:`experiment.settings.settings_problems`) name fields as the code does
(``n_trials``); an organiser knows them by the label beside the field. Each widget of the form is
drawn with ``labelled(field, label)``, which keeps the label; :func:`readable` then writes every
problem with those labels, so a message points at the field the organiser sees.
"""

from __future__ import annotations

import re

FIELD_LABELS: dict[str, str] = {}
"""Setting name -> the label the settings form shows for it (filled as the form draws)."""


def labelled(name: str, label: str) -> str:
    """Remember ``label`` as the page's name for the setting ``name``; returns the label for the widget."""
    FIELD_LABELS[name] = label
    return label


def short(label: str) -> str:
    """A label without its explanation in brackets ("Main trials per participant (even: ...)": the part before)."""
    return label.split(" (")[0].strip()


def readable(problem: str) -> str:
    """``problem`` with each setting's code name replaced by its label on the page, in quotes."""
    for name in sorted(FIELD_LABELS, key=len, reverse=True):  # longest first: "screening_pass" before "screening"
        label = f"“{short(FIELD_LABELS[name])}”"
        problem = re.sub(rf"\b{re.escape(name)}\b=", label + " = ", problem)
        problem = re.sub(rf"\b{re.escape(name)}\b", label, problem)
    return problem
