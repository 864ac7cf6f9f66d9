"""A later submission matched with the stored model reused against the same submission training it: wall and
CPU time of match_submission, the rule mix, and the model's estimated false- and missed-match counts
(tfnis.linkage.quality), each run in its own process, median of --runs. Data: tfnis.generate, one council,
three periods (cached under --cache): period 1 into an empty index (the prior), period 2 trains the model that
is stored, period 3 is timed both ways.

    .venv/bin/python bench/reuse_bench.py [--families 25000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from first_submission_bench import IDENTIFIERS, bench_arguments, peak_rss_mb


def prepare(families: int, cache: Path) -> Path:
    """Periods 1-2 matched (the index and the stored model), period 3's records: pickled once."""
    path = cache / f"reuse-{families}.pickle"
    if not path.exists():
        from tfnis.generate import generate_frames
        from tfnis.linkage import match_submission

        generated = generate_frames(councils=1, families=families, periods=3, seed=2, error_rate=0.02)
        people = generated.individuals.assign(true_person=generated.truth["true_person"].to_numpy())
        returns, truths = [], []
        for period_end, frame in people.groupby("period_end", sort=True):
            truths.append(frame["true_person"].to_numpy())
            frame = frame[IDENTIFIERS].reset_index(drop=True).astype("string")
            frame.insert(0, "record_token", [f"{period_end}-{i}" for i in range(len(frame))])
            returns.append(frame)
        first = match_submission(returns[0], None)
        second = match_submission(returns[1], first.index)
        if second.model is None:
            raise SystemExit("period 2 trained no model")
        # Each indexed person_key's true person (the most common among its records).
        keys = pd.concat([first.key_map["person_key"], second.key_map["person_key"]], ignore_index=True)
        true_of_key = pd.Series(np.concatenate(truths[:2])).groupby(keys.to_numpy()).agg(lambda t: t.mode().iloc[0])
        truth = (true_of_key.to_dict(), truths[2])
        path.write_bytes(pickle.dumps((second.index, second.model.to_json(), returns[2], truth)))
    return path


def _child(path: Path, mode: str) -> None:
    from tfnis.linkage import match_submission
    from tfnis.linkage.parameters import ModelParameters

    index, model_json, records, (true_of_key, true_person) = pickle.loads(path.read_bytes())
    # Reuse as a stack would if RETRAIN_GROWTH let it (the default trains whenever the index has grown).
    model = replace(ModelParameters.from_json(model_json), index_rows=len(index))
    start, cpu_start = time.perf_counter(), time.process_time()
    result = match_submission(records, index, model=model, retrain=mode == "trained")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    quality = {k: result.quality[k] for k in ("by_model", "estimated_false_matches", "estimated_missed_matches")}
    rule = result.key_map["match_rule"].to_numpy()
    linked_to = np.array([true_of_key.get(k) for k in result.key_map["person_key"]], dtype=object)
    model = rule == "probabilistic"
    quality["actual_false_model_links"] = int((linked_to[model] != true_person[model]).sum())
    indexed = set(true_of_key.values())
    new = rule == "new_person"
    quality["actual_missed"] = int(sum(p in indexed for p in true_person[new]))
    out = {"mode": result.model_source, "seconds": seconds, "cpu_seconds": cpu_seconds, "index_rows": len(index),
           "records": len(records), "peak_rss_mb": peak_rss_mb(), **quality}  # fmt: skip
    print(json.dumps(out))


def main() -> None:
    parser = bench_arguments(__doc__ or "")
    parser.add_argument("--mode", choices=["trained", "reused"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.mode)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    path = prepare(args.families, args.cache)
    runs: dict[str, list[dict]] = {"trained": [], "reused": []}
    for _ in range(args.runs):
        for mode in runs:  # alternating, so both see the same load
            command = [sys.executable, __file__, "--child", str(path), "--mode", mode]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(runs[mode][-1]), flush=True)
    for mode, done in runs.items():
        seconds, cpu = (statistics.median(r[f] for r in done) for f in ("seconds", "cpu_seconds"))
        print(
            f"{mode}: {done[0]['records']:,} records against {done[0]['index_rows']:,} index rows: median "
            f"{seconds:.2f} s, CPU {cpu:.2f} s, peak {statistics.median(r['peak_rss_mb'] for r in done):.0f} MB; "
            f"model links {done[0]['by_model']} (false: estimated {done[0]['estimated_false_matches']}, actual "
            f"{done[0]['actual_false_model_links']}); missed: estimated {done[0]['estimated_missed_matches']}, "
            f"actual {done[0]['actual_missed']}"
        )
    ratio = statistics.median(r["seconds"] for r in runs["reused"]) / statistics.median(
        r["seconds"] for r in runs["trained"]
    )
    print(f"reused / trained wall: {ratio:.2f}")


if __name__ == "__main__":
    main()
