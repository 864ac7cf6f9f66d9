"""Where `link_records` spends its time, step by step, and whether two versions give the same output.

Runs tfnis's batch engine in this process on a generated data set (bench/hard_generator.py, or tfnis.generate's
household data as bench/dedupe_bench.py makes it), prints the CPU seconds (all threads, `time.process_time`) and
wall seconds of each step, peak RSS and the scores, and with --save DIR writes the predicted pairs (ids,
probability and comparison levels, before the vetoes) and each distinct record's cluster. --compare DIR_A DIR_B
says whether two saved outputs are the same: same pairs and levels, probabilities within 1e-12, same clusters.
To compare two versions of the code, run one with PYTHONPATH pointing at the other's layers/tfnis.

    .venv/bin/python bench/link_steps.py --data hard --records 200000 [--save DIR]
    .venv/bin/python bench/link_steps.py --compare DIR_A DIR_B
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

STEPS = {
    "batch": ("match_fields", "distinct_records", "deterministic_links", "score_with_model", "consistent_components"),
    "model": ("with_representatives", "train", "_predicted_pairs"),
    "second_look": ("candidate_pairs", "scored"),
}


def records_of(data: str, records: int, seed: int, cache: Path | None = None) -> pd.DataFrame:
    """The generated records, read from `cache` when an earlier run wrote them there (a 1M hard set takes a while)."""
    from dedupe_bench import IDENTIFIER_COLUMNS, people  # bench/ is on the path when a benchmark runs

    stored = cache / f"{data}-{records}-{seed}.parquet" if cache is not None else None
    if stored is not None and stored.exists():
        return pd.read_parquet(stored).astype({c: "string[pyarrow]" for c in IDENTIFIER_COLUMNS})

    if data == "hard":
        from hard_generator import hard_records

        frame = hard_records(records, seed).drop(columns=["la_code"])
    else:
        families = max(1, round(records * 4_200 / 1_005_378))  # dedupe_bench's 4,200 families a return: 1,005,378
        frame = people(families=families, councils=10, periods=6, seed=seed, error_rate=0.02)
    frame = frame.astype({c: "string[pyarrow]" for c in IDENTIFIER_COLUMNS})
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(stored)
    return frame


def _high_water_gib() -> float:
    peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    return int(peak.split()[1]) / 1024**2


def _timed(module: object, name: str, spent: dict[str, list[float]]) -> None:
    step = getattr(module, name)

    @functools.wraps(step)
    def timed(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            total = spent.setdefault(name, [0.0, 0.0, 0.0])
            total[0] += time.process_time() - cpu
            total[1] += time.perf_counter() - wall
            total[2] = max(total[2], _high_water_gib())  # the process's peak so far, when this step ended

    setattr(module, name, timed)


def run(records: pd.DataFrame, save: Path | None) -> None:
    from scoring import cluster_scores

    from tfnis.linkage import DEFAULT_THRESHOLD, batch, model, second_look

    spent: dict[str, list[float]] = {}
    modules = ((batch, STEPS["batch"]), (model, STEPS["model"]), (second_look, STEPS["second_look"]))
    for module, names in modules:
        for name in names:
            _timed(module, name, spent)
    scored, clusters = [], []
    vetoed, link_fields = model.vetoed, batch.link_fields
    model.vetoed = lambda pairs: (scored.append(pairs.copy()), vetoed(pairs))[1]
    batch.link_fields = lambda *a, **k: (links := link_fields(*a, **k), clusters.append(links.person))[0]
    cpu, wall = time.process_time(), time.perf_counter()
    linked = batch.link_records(records.drop(columns=["person"]), threshold=DEFAULT_THRESHOLD)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = _high_water_gib()
    scores = cluster_scores(records["person"].to_numpy(), linked["person_key"].to_numpy())
    figures = {"records": len(records), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}
    figures["peak_gib"] = round(peak, 2)
    print(json.dumps({**figures, **{name: round(value, 4) for name, value in scores.items()}}))
    for name, (step_cpu, step_wall, high) in sorted(spent.items(), key=lambda item: -item[1][0]):
        print(f"  {name:24} cpu {step_cpu:7.2f} s  wall {step_wall:7.2f} s  peak at its end {high:5.2f} GiB")
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        pairs = pd.concat(scored, ignore_index=True).sort_values(["uid_l", "uid_r"], ignore_index=True)
        pairs.to_parquet(save / "pairs.parquet")
        np.save(save / "clusters.npy", clusters[0])


def compare(a: Path, b: Path) -> bool:
    pairs_a, pairs_b = pd.read_parquet(a / "pairs.parquet"), pd.read_parquet(b / "pairs.parquet")
    levels = [c for c in pairs_a.columns if c != "match_probability"]
    # Each distinct pair once: the second look scored some vetoed pairs of the first pass again (before wt-speed3).
    pairs_a, pairs_b = (p.drop_duplicates(levels, ignore_index=True) for p in (pairs_a, pairs_b))
    same_pairs = list(pairs_a.columns) == list(pairs_b.columns) and pairs_a[levels].equals(pairs_b[levels])
    close = same_pairs and bool(np.allclose(pairs_a["match_probability"], pairs_b["match_probability"], 0, 1e-12))
    clusters_a, clusters_b = np.load(a / "clusters.npy"), np.load(b / "clusters.npy")
    same_clusters = clusters_a.shape == clusters_b.shape and bool((clusters_a == clusters_b).all())
    print(f"pairs {len(pairs_a):,} / {len(pairs_b):,}; same pairs and levels: {same_pairs}; probabilities within "
          f"1e-12: {close}; same clusters: {same_clusters}")  # fmt: skip
    return same_pairs and close and same_clusters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["hard", "household"], default="hard")
    parser.add_argument("--records", type=int, default=200_000, help="about this many records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="write the predicted pairs and clusters here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("DIR_A", "DIR_B"))
    parser.add_argument("--cache", type=Path, help="keep the generated records here and read them from here")
    args = parser.parse_args()
    if args.compare:
        sys.exit(0 if compare(*args.compare) else 1)
    run(records_of(args.data, args.records, args.seed, args.cache), args.save)


if __name__ == "__main__":
    main()
