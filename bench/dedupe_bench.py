"""1,000,000-record dedupes: tfnis's engine (match keys, then splink on what is left) beside splink alone, on two
generators' data in one run, each engine scored against the generator's truth.

Household data: tfnis.generate.generate_frames (councils x periods x about `families` families a return: nicknames,
typos, surname changes, moves, missing and invalid NINOs and UPNs, re-issued council ids, families moving
council), every return of every period in one file; the true person is truth.true_person. Engines see the
identifiers only (names, date of birth, sex, postcode, NINO, UPN, NHS number), not the council's ids.
Hard data: bench/hard_generator.py (the character of issue 14's held-out sets: many locales' names, Zipf
weights, households, twins, ~1.86 records a person over 10 councils, every record corrupted on its own, some
names in Cyrillic, Greek or Arabic script): the stress set.
Calibrated data: the same generator with its per-record corruption scaled (`--corruption`, default the
calibrated setting) and names ASCII-folded (`--script-share`), as hard as issue 14's held-out sets by its
anchors (docs/linkage-benchmarks.md, "Data as hard as the issue's held-out sets"). Prints time, peak RSS,
pairwise precision / recall / F1 and cluster F1 for each engine on each data set, each in its own process so
peak RSS is its own. `--tfnis-path` runs the tfnis engine from another checkout's layers/tfnis (an earlier
time's code), the rest of the run unchanged.

    .venv/bin/python bench/dedupe_bench.py [--families 4200 --councils 10 --periods 6] [--records 1000000]
        [--data household|hard|calibrated|both|all] [--engine tfnis|splink|both]
        [--corruption X --script-share Y] [--tfnis-path /other/checkout/layers/tfnis]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scoring import cluster_scores  # bench/ is on the path when a benchmark runs

IDENTIFIER_COLUMNS = (
    "forename",
    "middle_names",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "nino",
    "upn",
    "nhs_number",
)


def people(*, families: int, councils: int, periods: int, seed: int, error_rate: float) -> pd.DataFrame:
    """Every generated record: record_id, the identifier columns, and `person` (the true person)."""
    from tfnis.generate import generate_frames

    frames = generate_frames(councils=councils, families=families, periods=periods, seed=seed, error_rate=error_rate)
    individuals, truth = frames.individuals, frames.truth
    records = individuals[list(IDENTIFIER_COLUMNS)].copy()
    records.insert(0, "record_id", np.arange(len(records)))
    records["person"] = truth["true_person"].to_numpy()
    return records


MODELS = ("trained", "prior", "prior-u")  # tfnis's model: trained on the data, the shipped prior (u re-estimated)


def run_tfnis(records: pd.DataFrame, threshold: float, model: str = "trained") -> np.ndarray:
    from tfnis.linkage import link_records

    # Only a non-default model is asked for, so that an earlier time's link_records (--tfnis-path) runs too.
    options = {}
    if model != "trained":
        from tfnis.linkage.parameters import prior_model

        options = {"model": prior_model(), "reestimate_u": model == "prior-u"}
    linked = link_records(records.drop(columns=["person"]), threshold=threshold, **options)
    return linked["person_key"].to_numpy()


def run_splink(records: pd.DataFrame, threshold: float) -> np.ndarray:
    """Splink alone, configured the usual way for UK person data (its documented comparisons)."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = records.drop(columns=["person"]).replace("", None)
    db = DuckDBAPI()
    table = db.register(frame, dataset_display_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nino"),
            cl.ExactMatch("upn"),
            cl.ExactMatch("nhs_number"),
        ],
        # The same candidate pairs as the tfnis engine's model, without its match keys in front.
        blocking_rules_to_generate_predictions=[
            block_on("nino"),
            block_on("upn"),
            block_on("nhs_number"),
            block_on("forename", "surname"),
            block_on("date_of_birth", "surname"),
            block_on("date_of_birth", "forename"),
            block_on("date_of_birth", "postcode"),
            block_on("postcode", "forename"),
        ],
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"), max_pairs=5e5)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("nino"), max_pairs=5e5)
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    found = clusters.as_pandas_dataframe()[["record_id", "cluster_id"]]
    return frame[["record_id"]].merge(found, on="record_id", how="left")["cluster_id"].astype(str).to_numpy()


def peak_rss_gib() -> float:
    """This process's own high-water mark. VmHWM starts afresh at exec; ru_maxrss does not: it carries the
    parent's RSS at fork (here the generated million records), so it overstated both engines' peaks."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _child(engine: str, data: Path, threshold: float, model: str) -> None:
    # The identifiers as Arrow-backed strings, as `tfnis link` reads its CSV (and every table read in the project
    # is): the same input frame for both engines, a third of the memory of a million rows of Python strings.
    records = pd.read_parquet(data)
    records = records.astype({c: "string[pyarrow]" for c in IDENTIFIER_COLUMNS})
    start = time.perf_counter()
    predicted = run_tfnis(records, threshold, model) if engine == "tfnis" else run_splink(records, threshold)
    seconds = time.perf_counter() - start
    peak_gib = peak_rss_gib()
    scores = cluster_scores(records["person"].to_numpy(), predicted)
    print(json.dumps({"engine": engine, "seconds": seconds, "peak_rss_gib": peak_gib, **scores}))


def _data_set(data_set: str, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    """The records of one data set (identifiers and `person`) and how they were made."""
    if data_set == "household":
        records = people(
            families=args.families, councils=args.councils, periods=args.periods, seed=args.seed,
            error_rate=args.error_rate,
        )  # fmt: skip
        described = (
            f"tfnis.generate ({args.councils} councils x {args.periods} periods x {args.families:,} "
            f"families, error rate {args.error_rate})"
        )
        return records, described
    from hard_generator import CALIBRATED, hard_records

    if data_set == "hard":
        return hard_records(args.records, args.seed).drop(columns=["la_code"]), "bench/hard_generator.py (10 councils)"
    corruption = CALIBRATED["corruption"] if args.corruption is None else args.corruption
    script_share = CALIBRATED["script_share"] if args.script_share is None else args.script_share
    namesakes = bool(CALIBRATED["namesakes"]) if args.namesakes is None else args.namesakes == "yes"
    records = hard_records(
        args.records, args.seed, corruption=corruption, script_share=script_share, namesakes=namesakes
    )
    described = (
        f"bench/hard_generator.py (10 councils, corruption {corruption}, script share {script_share}, "
        f"housemates' namesakes {'yes' if namesakes else 'no'})"
    )
    return records.drop(columns=["la_code"]), described


def _run_child(engine: str, data: Path, threshold: float, args: argparse.Namespace) -> dict:
    """One engine on one data set in a process of its own (its own peak RSS); tfnis from --tfnis-path if given."""
    env = dict(os.environ)
    label = engine
    if engine == "tfnis" and args.tfnis_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.tfnis_path.resolve()), env.get("PYTHONPATH")]))
        label = f"tfnis@{args.tfnis_path.resolve().parent.parent.name}"
    command = [sys.executable, __file__, "--child", engine, "--data-file", str(data), "--threshold", str(threshold)]
    done = subprocess.run([*command, "--model", args.model], capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{label} failed on {data.name}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "engine": label}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=4200, help="families a return (about 4 people each)")
    parser.add_argument("--councils", type=int, default=10)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--error-rate", type=float, default=0.02, help="share of identifier cells made invalid")
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the hard data set")
    parser.add_argument(
        "--data",
        choices=["household", "hard", "calibrated", "both", "all"],
        default="both",
        help="both: household and hard; all: household, hard and calibrated",
    )
    parser.add_argument("--corruption", type=float, default=None, help="calibrated: default the calibrated setting")
    parser.add_argument("--script-share", type=float, default=None, help="calibrated: default the calibrated setting")
    parser.add_argument(
        "--namesakes", choices=["yes", "no"], default=None, help="calibrated: may housemates share a forename"
    )
    parser.add_argument("--tfnis-path", type=Path, default=None, help="tfnis engine from this layers/tfnis")
    parser.add_argument("--engine", choices=["tfnis", "splink", "both"], default="both")
    parser.add_argument("--threshold", type=float, default=None, help="default: the shipped threshold")
    parser.add_argument("--model", choices=MODELS, default="trained", help="tfnis: train, or the shipped prior")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from tfnis.linkage import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if args.child:
        _child(args.child, args.data_file, threshold, args.model)
        return
    engines = ["tfnis", "splink"] if args.engine == "both" else [args.engine]
    data_sets = {"both": ["household", "hard"], "all": ["household", "hard", "calibrated"]}.get(args.data, [args.data])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for data_set in data_sets:
            started = time.perf_counter()
            records, described = _data_set(data_set, args)
            generated = time.perf_counter() - started
            print(
                f"{data_set}: {len(records):,} records of {records['person'].nunique():,} true persons from "
                f"{described}, seed {args.seed}; generated in {generated:.1f} s"
            )
            data = Path(tmp) / f"{data_set}.parquet"
            records.to_parquet(data)
            del records
            for engine in engines:
                rows.append({"data": data_set, **_run_child(engine, data, threshold, args)})
    print(f"threshold {threshold}")
    print(
        f"{'data':10} {'engine':16} {'time s':>8} {'peak RSS GiB':>13} {'precision':>10} {'recall':>8} "
        f"{'pair F1':>8} {'cluster F1':>11}"
    )
    for row in rows:
        print(
            f"{row['data']:10} {row['engine']:16} {row['seconds']:8.1f} {row['peak_rss_gib']:13.2f} "
            f"{row['precision']:10.4f} {row['recall']:8.4f} {row['f1']:8.4f} {row['cluster_f1']:11.4f}"
        )


if __name__ == "__main__":
    main()
