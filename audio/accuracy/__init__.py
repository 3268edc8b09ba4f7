"""How far the stored tempo and key estimates can be trusted: offline sets with known answers.

Modules
-------
chorales   Bach chorales from music21's corpus rendered at known tempi in the key their score
           states, split by hymn tune into a development and a held-out half.
synthetic  chord progressions in all 24 keys (with and without drums) and click tracks.
sets       the sets, full (benchmark) or small (test), as lazily rendered cases.
scoring    tempo within 4 % (x2 and /2 allowed), the MIREX weighted key score, and the plain
           librosa reference (``chroma_cqt`` + Krumhansl-Schmuckler, ``librosa.feature.tempo``).
evaluate   both estimators over the sets.
published  the measured numbers the results pages and codebook quote.

``benchmarks/feature_accuracy.py`` prints the table; ``tests/audio/test_key_accuracy.py`` checks
the app's key is at least as accurate as plain librosa on the small sets.
"""
