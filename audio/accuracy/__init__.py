"""How far the stored tempo and key estimates can be trusted: offline sets with known answers.

:mod:`audio.accuracy.chorales` renders Bach chorales from music21's corpus at known tempi in the
key their score states; :mod:`audio.accuracy.synthetic` builds chord progressions in all 24 keys
(with and without drums) and click tracks at known BPM; :mod:`audio.accuracy.scoring` scores
estimates (tempo within 4 % allowing x2 / /2, MIREX weighted key score) and holds the plain
librosa reference the app is compared with. ``benchmarks/feature_accuracy.py`` prints the table;
:data:`audio.accuracy.published.MEASURED_ACCURACY` is what the results pages and codebook quote.
"""
