"""Streamlit drawing shared by the researchers' pages (the only part of ``results`` that
imports streamlit)."""
