"""Organisers' package: clip ingest, processing, features and the clip library.

Modules
-------
library       the package's service API: the one door other packages use to read clips.
repository    every SQL statement on audio's tables (clips, clip_features, clip_blobs, library_settings).
served_bytes  served clip bytes for any replica: memory LRU -> data-folder cache -> database.
catalogue     catalogue facts of a clip (ClipMetadata) and their validation.
decode        read and validate an uploaded audio file (soundfile / libsndfile).
containers    byte-level container checks libsndfile does not make.
processing    pure DSP: format, excerpt, fades, loudness normalisation, true peak, MP3 encoding.
features      librosa features of exactly what participants hear.
pipeline      decode -> excerpt -> fades -> loudness -> encode -> features for one file (pure).
storage       a processed clip becomes files under content-hash names and its clip, features, blob rows.
isolation     decoding in worker processes: a decoder crash fails one file, never the app.
ingest        add one clip (page upload, file on disk).
bulk_import   many files: folders, manifest CSV, worker pool.
reprocess     rebuild a stored clip from its kept original with the current settings.
balance       the human-vs-AI balance report (package).
ui            Streamlit drawing of the organiser pages (``pages/`` holds the thin entry scripts).
cli           ``human-touch clips ...`` subcommands.
demo          the built-in demo corpus.

This package imports only ``core``: it never imports ``experiment`` or ``results``.
"""
