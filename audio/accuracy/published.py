"""The measured accuracy of the tempo and key estimates, as the results pages and codebook quote it.

Numbers from ``benchmarks/feature_accuracy.py`` (full sets, see :mod:`audio.accuracy`); rerun it
and update :data:`MEASURED_ACCURACY` whenever :data:`audio.features.FEATURE_VERSION` changes.
Per set: the share of clips right (tempo within 4 % allowing x2 / /2; key exactly right) and the
MIREX weighted key score, for the app and for plain librosa on the same audio. The audio is
synthetic with a steady tempo; real recordings (rubato, dense mixes, modal harmony) score lower.
"""

from __future__ import annotations

#: Feature version the numbers were measured for.
MEASURED_FOR_VERSION = "5"

#: set name -> (n clips, app tempo, app key exact, app key MIREX, plain key exact, plain key MIREX);
#: None where a set has no key (click tracks). The app's key is plain librosa's (see :mod:`audio.key`).
#: Measured 2026-12-08 (benchmarks/feature_accuracy.py, 40 chorales a side at 20 s, produced clips
#: 12 s; table and commands in benchmarks/results/feature_accuracy.md).
MEASURED_ACCURACY: dict[str, tuple[int, float, float | None, float | None, float | None, float | None]] = {
    "chorales, development tunes": (40, 1.000, 0.525, 0.722, 0.525, 0.722),
    "chorales, held-out tunes": (40, 1.000, 0.800, 0.885, 0.800, 0.885),
    "progressions": (24, 1.000, 0.958, 0.979, 0.958, 0.979),
    "progressions + drums": (24, 1.000, 0.917, 0.946, 0.917, 0.946),
    "click tracks": (8, 1.000, None, None, None, None),
    "produced pop, development": (24, 1.000, 0.625, 0.717, 0.625, 0.717),
    "produced pop, held-out": (24, 1.000, 0.542, 0.683, 0.542, 0.683),
    "produced band, held-out": (24, 1.000, 0.708, 0.792, 0.708, 0.792),
    "produced electronic, held-out": (24, 1.000, 0.667, 0.767, 0.667, 0.767),
    "produced strathspey, development": (24, 1.000, 0.750, 0.821, 0.750, 0.821),
    "produced strathspey, held-out": (24, 1.000, 0.792, 0.842, 0.792, 0.842),
}
#: Sets quoted in the sentences: the held-out sets, progressions and click tracks (the development
#: sets chose the methods, so they are left out).
_QUOTED = (
    "chorales, held-out tunes",
    "produced pop, held-out",
    "produced band, held-out",
    "produced electronic, held-out",
    "produced strathspey, held-out",
    "progressions",
    "progressions + drums",
    "click tracks",
)


def _key_sentence() -> str:
    parts = []
    for name in _QUOTED:
        n, _, app_exact, app_mirex, plain_exact, plain_mirex = MEASURED_ACCURACY[name]
        if app_exact is not None and app_mirex is not None and plain_exact is not None and plain_mirex is not None:
            parts.append(
                f"{name} (n = {n}) {app_exact:.0%} right, MIREX score {app_mirex:.2f} "
                f"(plain librosa {plain_exact:.0%}, {plain_mirex:.2f})"
            )
    return "Measured key accuracy on audio with known keys: " + "; ".join(parts) + "."


def _tempo_sentence() -> str:
    parts = [f"{name} (n = {MEASURED_ACCURACY[name][0]}) {MEASURED_ACCURACY[name][1]:.0%}" for name in _QUOTED]
    return (
        "Measured tempo accuracy (within 4 % of the beat, its double or half) on audio with known tempi: "
        + "; ".join(parts)
        + ". Music can be felt at two metrical levels (a strathspey's dotted rhythm at 4:3 of the beat); "
        "where the other reading is nearly as strong, tempo_alternative_bpm names it."
    )


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
