"""A 100,000-person submission matched against linkage indexes of 0.5M, 1M, 2M and 5M rows held as Parquet
(tfnis.linkage.index.ParquetIndex, DuckDB under the match function's memory limit), beside the anchor: the
same submission against the index read whole into pandas (the match stage before issue 14), at the sizes
where that still fits (--anchor-up-to). Prints wall time and peak RSS (the child's own VmHWM), each run in its
own process.

Data: bench/hard_generator.py, one draw of (largest index + the submission's records), seeded; the index at
size N is the normalised match fields of its first N records keyed by the generator's true person, the
submission one record of each of the 100,000 persons of the remaining records (some in the index, most not).
Generated data is cached under --cache (a temp dir by default; personal-looking data, never the repository):
the 5M index takes about 10 minutes to generate on a loaded machine, so reuse the cache between runs.

    .venv/bin/python bench/index_bench.py [--sizes 500000,1000000,2000000,5000000] [--persons 100000]
        [--anchor-up-to 500000] [--cache /tmp/tfnis-index-bench] [--steps]

--steps also prints, per run, the resident memory at the end of each step of match_submission and the highest
sampled during it (every 20 ms): where the peak is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SEED = 5
MEMORY_LIMIT = "1052MB"  # 0.35 x the match function's 3008 MB, as tfnis.pipeline.match sets it
MODEL_MEMORY_LIMIT = "451MB"  # 0.15 x 3008 MB: the model's DuckDB, as tfnis.pipeline.match sets it


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _records(total: int, cache: Path) -> pd.DataFrame:
    path = cache / f"records-{total}-{SEED}.parquet"
    if not path.exists():
        from hard_generator import hard_records  # bench/ is on the path when a benchmark runs

        records = hard_records(total, SEED)
        records["person_id"] = "P" + records["person"].astype(str)
        records["family_id"] = "F" + (records["person"] // 3).astype(str)
        records["record_token"] = "r" + records["record_id"].astype(str)
        records.to_parquet(path)
    return pd.read_parquet(path)


def prepare(sizes: list[int], persons: int, cache: Path, largest: int = 0) -> tuple[dict[int, Path], Path]:
    """Index files (one per size) and the submission, generated once and cached: one draw of the largest
    index's records (at least `largest`, so a run of the small sizes reuses the 5M run's draw)."""
    from tfnis.linkage.incremental import INDEX_COLUMNS
    from tfnis.linkage.index import write_parquet
    from tfnis.linkage.normalise import match_fields

    biggest = max(*sizes, largest)
    submission_path = cache / f"submission-{biggest}-{persons}.parquet"
    paths = {n: cache / f"index-{n}.parquet" for n in sizes}
    if submission_path.exists() and all(p.exists() for p in paths.values()):
        return paths, submission_path
    records = _records(biggest + round(persons * 1.9), cache)
    rest = records.iloc[biggest:].drop_duplicates("person").head(persons)
    rest.to_parquet(submission_path)
    head = records.iloc[:biggest]
    fields = match_fields(head, allow_non_uk_postcodes=False)
    for column in ("la_code", "person_id", "family_id"):
        fields[column] = head[column].astype("string").to_numpy()
    fields["person_key"] = [_key(f"p{p}") for p in head["person"]]
    fields["family_key"] = [_key(f"f{p // 3}") for p in head["person"]]
    for n, path in paths.items():
        write_parquet(fields.iloc[:n][list(INDEX_COLUMNS)].drop_duplicates().reset_index(drop=True), path)
    return paths, submission_path


def peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM starts afresh at exec; ru_maxrss carries the parent's RSS
    at fork, here the generator's gigabytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# The steps of match_submission, in order (tfnis.linkage.incremental's own functions).
STEPS = ("_index_rows", "_by_council_person_id", "_by_match_keys", "_index_rows_for_model", "_by_model",
         "_model_links", "score_with_model",
         "family_keys", "rows_not_in", "linkage_quality")  # fmt: skip


class StepMemory:
    """Samples RSS every 20 ms on a thread and wraps each step of match_submission to record the highest RSS
    seen while it ran (a profiler for this bench only: the wrapped functions are called unchanged)."""

    def __init__(self) -> None:
        import threading

        self.current, self.high = 0.0, 0.0
        self.steps: list[tuple[str, float, float, str]] = []  # (step, highest during, at its end, rows out)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.high = max(self.high, _rss_mb())

    def wrap(self) -> None:
        import functools

        from tfnis.linkage import incremental

        for name in STEPS:
            original = getattr(incremental, name)

            @functools.wraps(original)
            def timed(*args, _name=name, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                self.high = _rss_mb()
                result = _original(*args, **kwargs)
                out = result[0] if isinstance(result, tuple) else result
                rows = f" ({len(out):,} rows)" if hasattr(out, "iloc") else ""
                self.steps.append((_name, max(self.high, _rss_mb()), _rss_mb(), rows))
                return result

            setattr(incremental, name, timed)
        self._thread.start()

    def report(self) -> str:
        self._stop.set()
        return "; ".join(f"{name} {high:,.0f}/{end:,.0f}{rows}" for name, high, end, rows in self.steps)


def _child(mode: str, index_path: Path, submission_path: Path, steps: bool = False) -> None:
    from tfnis.linkage import match_submission
    from tfnis.linkage.index import ParquetIndex

    memory = StepMemory() if steps else None
    if memory:
        memory.wrap()

    submission = pd.read_parquet(submission_path)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tfnis-index-spill-") as spill:
        engine_memory = None
        if mode == "parquet":
            from tfnis.linkage.model import EngineMemory

            index = ParquetIndex((index_path,), memory_limit=MEMORY_LIMIT, temp_directory=Path(spill))
            engine_memory = EngineMemory(MODEL_MEMORY_LIMIT, Path(spill))
        else:
            from tfnis.storage.parquet import frame_from_parquet

            index = frame_from_parquet(index_path.read_bytes())
        result = match_submission(submission, index, engine_memory=engine_memory)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    rules = result.key_map["match_rule"].value_counts().to_dict()
    row = {"seconds": seconds, "peak_rss_mb": peak, "new_rows": len(result.new_rows), "rules": rules}
    if memory:
        row["steps"] = memory.report()
    print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500000,1000000,2000000,5000000")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--anchor-up-to", type=int, default=500_000, help="largest index read whole (anchor)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tfnis-index-bench")
    parser.add_argument("--largest", type=int, default=5_000_000, help="the draw's index size (its cache)")
    parser.add_argument("--steps", action="store_true", help="peak RSS MB per step of match_submission")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--submission", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.index, args.submission, args.steps)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    args.cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths, submission = prepare(sizes, args.persons, args.cache, args.largest)
    print(f"data ready in {time.perf_counter() - started:.1f} s (cache {args.cache}); DuckDB limit {MEMORY_LIMIT}")
    print(f"{'index rows':>10} {'mode':14} {'time s':>7} {'peak RSS MB':>12} {'new rows':>9}  rules")
    for n in sizes:
        for mode in ("parquet", "whole_frame") if n <= args.anchor_up_to else ("parquet",):
            done = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--index", str(paths[n]), "--submission", str(submission),
                 *(["--steps"] if args.steps else [])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{n:>10,} {mode:14} {row['seconds']:7.1f} {row['peak_rss_mb']:12.0f} {row['new_rows']:>9,}  "
                f"{row['rules']}",
                flush=True,
            )
            if "steps" in row:
                print(f"{'':>10} steps (MB, highest/at end): {row['steps']}", flush=True)


if __name__ == "__main__":
    main()
