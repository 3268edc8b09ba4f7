"""The participant side: study settings, trial assignment, the journey services, responses.

Logic modules here never import Streamlit; the pages in ``experiment/pages`` draw (through
``experiment/ui``) what the journey services return. :mod:`experiment.journey` is the ordered
registry of steps, :mod:`experiment.progress` moves a participant along it, and each step has its
service: :mod:`experiment.entry`, :mod:`experiment.questionnaire`, :mod:`experiment.audio_check`,
:mod:`experiment.trials` (with :mod:`experiment.answers`) and :mod:`experiment.debrief`. All SQL
lives in :mod:`experiment.repository` (what the services use) and :mod:`experiment.records`
(read-only queries for ``results``); neither commits: the caller's ``session_scope`` does.
"""
