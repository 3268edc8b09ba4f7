"""Time the researchers' data path on a large simulated study: load, filter, export, report.

Stores a simulated study (default 2,000 participants x 20 trials = 40,000 answers, 200 clips with
45 features) in a fresh SQLite database (or the database given with ``--database-url``, whose
tables must be empty), then prints the median time of each step over repeats.

    .venv/bin/python benchmarks/results_table.py [--participants 2000] [--trials 20] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sqlalchemy import insert

from core import db
from core.models import Clip, ClipFeatures, Participant, Response, StudyVersion, Trial
from results.analysis import Analysis
from results.data import table
from results.data.dataset import Filters, load_dataset
from results.planning.simulate import simulate_study
from results.rendering import export
from results.rendering.report import build_report_html
from results.rendering.stats import analysis_stats

T = TypeVar("T")


def store(engine, trials, n_features: int) -> None:
    """Bulk-insert a simulated trial table as study version, clips, participants, trials and responses."""
    rng = np.random.default_rng(0)
    clips = trials.groupby("clip_id").first().reset_index()
    participants = trials.groupby("participant_id").first().reset_index()
    with db.session_scope(engine) as session:
        session.execute(insert(StudyVersion), [{"id": 1, "config": {}}])
        session.execute(
            insert(Clip),
            [
                {
                    "id": int(c.clip_id),
                    "served_sha256": f"{c.clip_id:064x}",
                    "served_name": f"{c.clip_id:064x}.m4a",
                    "original_sha256": f"{c.clip_id + 10**9:064x}",
                    "original_name": f"{c.clip_id}.wav",
                    "duration_s": 20.0,
                    "sample_rate": 44100,
                    "channels": 2,
                    "codec": "aac",
                    "source": c.source,
                    "title": c.clip_title,
                    "genre": c.genre,
                    "processing": {},
                }
                for c in clips.itertuples()
            ],
        )
        session.execute(
            insert(ClipFeatures),
            [
                {
                    "clip_id": int(c),
                    "extractor_version": "bench",
                    "values": {f"f{k}": float(v) for k, v in enumerate(rng.normal(size=n_features))},
                }
                for c in clips["clip_id"]
            ],
        )
        session.execute(
            insert(Participant),
            [
                {
                    "id": int(p.participant_id),
                    "resume_token": f"t{p.participant_id}",
                    "study_version_id": 1,
                    "seed": 1,
                    "completed_at": p.answered_at if p.completed else None,
                    "flags": {},
                    "questionnaire": {"age_band": p.age_band, "instrument_training_years": "2"},
                }
                for p in participants.itertuples()
            ],
        )
        rows = trials.reset_index(drop=True)
        session.execute(
            insert(Trial),
            [
                {
                    "id": i + 1,
                    "participant_id": int(r.participant_id),
                    "trial_index": int(r.trial_index),
                    "clip_id": int(r.clip_id),
                    "kind": r.kind,
                    "audio_nonce": f"n{i}",
                }
                for i, r in enumerate(rows.itertuples())
            ],
        )
        session.execute(
            insert(Response),
            [
                {
                    "trial_id": i + 1,
                    "participant_id": int(r.participant_id),
                    "trial_index": int(r.trial_index),
                    "study_version_id": 1,
                    "answered_at": r.answered_at.floor("us").to_pydatetime(),
                    "guess": r.guess,
                    "confidence": int(r.confidence),
                    "valence": int(r.valence),
                    "arousal": int(r.arousal),
                    "moved": int(r.moved),
                    "liking": int(r.liking),
                    "plays": 1,
                    "pauses": 0,
                    "seeks": 0,
                    "listened_s": 20.0,
                    "extra": {},
                }
                for i, r in enumerate(rows.itertuples())
            ],
        )


def median_seconds(step: Callable[[], T], repeats: int) -> tuple[float, T]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result  # repeats >= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--features", type=int, default=45)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url", help="an empty, migrated database (default: a temporary SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        db.migrate(url)
        engine = db.get_engine(url)
        simulated = simulate_study(args.participants, args.trials, n_clips=args.clips, share_incomplete=0.1, seed=1)
        start = time.perf_counter()
        store(engine, simulated, args.features)
        print(f"stored {len(simulated)} answers in {time.perf_counter() - start:.1f} s ({engine.dialect.name})")

        seconds, trials = median_seconds(lambda: table.load_trial_table(engine), args.repeats)
        print(f"load_trial_table: {len(trials)} rows x {trials.shape[1]} columns: median {seconds * 1000:.0f} ms")
        seconds, dataset = median_seconds(lambda: load_dataset(Filters(), engine), args.repeats)
        print(f"load_dataset (trials + participants + clips, filtered): median {seconds * 1000:.0f} ms")
        seconds, _ = median_seconds(lambda: export.export_files(dataset), args.repeats)
        print(f"export_files (CSV + Parquet + codebook): median {seconds * 1000:.0f} ms")
        seconds, _ = median_seconds(lambda: analysis_stats(Analysis(dataset)), 1)
        print(f"analysis_stats (a fresh Analysis, headline GLMM included): {seconds * 1000:.0f} ms (one run)")
        seconds, html = median_seconds(lambda: build_report_html(Analysis(dataset)), 1)
        print(f"build_report_html (a fresh Analysis): {seconds:.1f} s (one run), {len(html) / 1e6:.1f} MB")
        db.dispose_engines()


if __name__ == "__main__":
    main()
