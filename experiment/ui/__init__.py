"""Streamlit drawing for the participant journey and the organiser's study pages (the only
part of ``experiment`` that imports streamlit)."""
