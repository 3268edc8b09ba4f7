"""The public study page (the app's default page): consent, questionnaire, audio check, trials, debrief.

Entry: ``/`` (anonymous) or ``/?PROLIFIC_PID=..&STUDY_ID=..&SESSION_ID=..``; after consent the URL
carries only ``?resume=<token>``. All drawing lives in :mod:`experiment.ui.journey`.
"""

from experiment.ui import journey as ui_journey

ui_journey.participant_page()
