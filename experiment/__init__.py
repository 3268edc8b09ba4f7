"""The participant side: study settings, trial assignment, the journey service, responses.

Logic modules here never import Streamlit; the pages in ``experiment/pages`` draw what
:mod:`experiment.journey` returns. All SQL lives in :mod:`experiment.repository`.
"""
