"""How far the stored tempo and key estimates can be trusted: offline sets with known answers.

Modules
-------
chorales   Bach chorales from music21's corpus rendered at known tempi in the key their score
           states, split by hymn tune into a development and a held-out half.
synthetic  chord progressions in all 24 keys (with and without drums) and click tracks.
produced   produced-style multi-track clips not rendered by the General MIDI synthesiser (FM,
           additive and plucked-string instruments, drums, reverb, compression, mastering; a
           strathspey style whose dotted rhythm sets the 4:3 tempo trap), in all 24 keys.
sets       the sets, full (benchmark) or small (test), as lazily rendered cases; development sets
           (where methods are chosen) and held-out sets (which only score the choice).
scoring    tempo within 4 % (x2 and /2 allowed) with 4:3 / 3:2 errors counted apart, the MIREX
           weighted key score, and the plain librosa reference (``chroma_cqt`` +
           Krumhansl-Schmuckler, ``librosa.feature.tempo``).
evaluate   both estimators over the sets.
published  the measured numbers the results pages and codebook quote.

``benchmarks/key_method_selection.py`` chooses the key method on the development sets;
``benchmarks/feature_accuracy.py`` prints the table (``benchmarks/results/feature_accuracy.md``);
``tests/audio/test_key_accuracy.py`` checks the app's key and tempo are at least as accurate as
plain librosa's on the small sets.
"""
