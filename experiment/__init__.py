"""The participant side: study settings, trial assignment, the journey services, responses.

Logic modules here never import Streamlit; the pages in ``experiment/pages`` draw what the
journey services return: :mod:`experiment.journey` (the steps and moving between them),
:mod:`experiment.entry`, :mod:`experiment.questionnaire`, :mod:`experiment.audio_check`,
:mod:`experiment.trials` and :mod:`experiment.debrief` (one per step). All SQL lives in
:mod:`experiment.repository`.
"""
