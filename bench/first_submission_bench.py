"""A council's first return of about 100,000 persons matched against an empty index (what the match stage
does for the first submission of a new stack): wall time, CPU time (every thread's: DuckDB's too) and peak RSS
of match_submission under the match stage's model memory limit (15 % of 3,008 MB, spilling to a temporary
directory), each run in its own process, median of --runs. Data: tfnis.generate (one council, one period),
cached under --cache.

    .venv/bin/python bench/first_submission_bench.py [--families 25000] [--runs 3]
Compare two checkouts with PYTHONPATH=<checkout>/layers/tfnis in front (it shadows the editable install).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

IDENTIFIERS = ["la_code", "family_id", "person_id", "forename", "middle_names", "surname", "date_of_birth", "sex"]
IDENTIFIERS += ["postcode", "nino", "upn", "nhs_number"]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(families: int, cache: Path) -> Path:
    path = cache / f"first-submission-{families}.parquet"
    if not path.exists():
        from tfnis.generate import generate_frames

        people = generate_frames(councils=1, families=families, periods=1, seed=2, error_rate=0.02).individuals
        frame = people[IDENTIFIERS].reset_index(drop=True).astype("string")
        frame.insert(0, "record_token", [f"r{i}" for i in range(len(frame))])
        frame.to_parquet(path)
    return path


def _child(path: Path) -> None:
    from tfnis.linkage import match_submission
    from tfnis.pipeline.match import _engine_memory  # the match stage's own: DuckDB's limit and spill directory

    records = pd.read_parquet(path)
    with tempfile.TemporaryDirectory(prefix="tfnis-first-submission-spill-") as spill:
        start, cpu_start = time.perf_counter(), time.process_time()
        result = match_submission(records, None, engine_memory=_engine_memory(Path(spill)))
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rules = result.key_map["match_rule"].value_counts().to_dict()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": peak_rss_mb(),
                "records": len(records),
                "rules": rules,
            }
        )
    )


def bench_arguments(doc: str) -> argparse.ArgumentParser:
    """The options this bench and bench/reuse_bench.py share (the same cached generated data)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--families", type=int, default=25_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tfnis-first-submission")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = bench_arguments(__doc__ or "").parse_args()
    if args.child:
        _child(args.child)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    path = prepare(args.families, args.cache)
    runs = []
    for _ in range(args.runs):
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        run = runs[-1]
        print(
            f"run: {run['seconds']:.2f} s (CPU {run['cpu_seconds']:.2f} s), peak RSS {run['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    print(
        f"{runs[0]['records']:,} records: median {statistics.median(r['seconds'] for r in runs):.2f} s, CPU "
        f"{statistics.median(r['cpu_seconds'] for r in runs):.2f} s (all threads), "
        f"peak RSS median {statistics.median(r['peak_rss_mb'] for r in runs):.0f} MB; rules {runs[0]['rules']}"
    )


if __name__ == "__main__":
    main()
