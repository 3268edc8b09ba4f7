"""Organisers' package: clip ingest, processing, features and the clip library.

Modules
-------
decode      read and validate an uploaded audio file (soundfile / libsndfile).
processing  pure DSP: format, excerpt, fades, loudness normalisation, true peak, MP3 encoding.
features    librosa features of exactly what participants hear.
ingest      one pipeline for every clip (page upload, command line, demo) and bulk import.
library     the clip library repository (all SQL of this package).
cli         ``human-touch clips ...`` subcommands.

This package imports nothing from ``experiment`` or ``results``.
"""
