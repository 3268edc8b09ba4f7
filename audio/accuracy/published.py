"""The measured accuracy of the tempo and key estimates, as the results pages and codebook quote it.

Numbers from ``benchmarks/feature_accuracy.py`` (full sets, see :mod:`audio.accuracy`); rerun it
and update :data:`MEASURED_ACCURACY` whenever :data:`audio.features.FEATURE_VERSION` changes.
Per set: the share of clips right (tempo within 4 % allowing x2 / /2; key exactly right) and the
MIREX weighted key score, for the app and for plain librosa on the same audio.
"""

from __future__ import annotations

#: Feature version the numbers were measured for.
MEASURED_FOR_VERSION = "3"

#: set name -> (n clips, app tempo, app key exact, app key MIREX, plain key exact, plain key MIREX);
#: None where a set has no key (click tracks).
MEASURED_ACCURACY: dict[str, tuple[int, float, float | None, float | None, float | None, float | None]] = {}


def _key_sentence() -> str:
    parts = [
        f"{name} {app_exact:.0%} (plain librosa {plain_exact:.0%})"
        for name, (_, _, app_exact, _, plain_exact, _) in MEASURED_ACCURACY.items()
        if app_exact is not None and plain_exact is not None
    ]
    return "Measured key accuracy (exactly right) on ground-truth sets: " + "; ".join(parts) + "."


def _tempo_sentence() -> str:
    parts = [f"{name} {tempo:.0%}" for name, (_, tempo, *_) in MEASURED_ACCURACY.items()]
    return "Measured tempo accuracy (within 4 %, half or double counted right): " + "; ".join(parts) + "."


#: feature name -> one sentence on its measured accuracy (codebook and features page).
ACCURACY_NOTES: dict[str, str] = (
    {
        "tempo_estimate_bpm": _tempo_sentence(),
        "key_estimate": _key_sentence(),
        "key_mode_estimate": _key_sentence(),
        "key_name": _key_sentence(),
    }
    if MEASURED_ACCURACY
    else {}
)
