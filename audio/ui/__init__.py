"""Streamlit drawing of the organiser pages; each ``audio/pages/`` script calls one function here.

Importing a module here has no side effects: nothing is drawn until its page function is called.
"""
