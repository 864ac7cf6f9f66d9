"""Reference matching against truth: precision and recall of tfnis.reference.match_reference for N study
people (generated returns, linked into an index by the pipeline's own match_submission, council by council)
and an M-record national extract of each dataset (tfnis.generate.national). Each extract goes through the
reference stage's own reading, validation and matching (tfnis.reference.validation, match_reference) in a
process of its own: time and peak RSS (that process's VmHWM, not ru_maxrss, which a fork inherits from the
parent). Printed beside the truth: the match rate and estimated false-match rate the stage reports per upload,
and the true ones (study records / records, 1 - precision).

    .venv/bin/python bench/reference_bench.py [--study 100000] [--reference 1000000] [--datasets offending,...]
        [--misses]  the missed study records by class (bench/reference_misses.py)
        [--keep DIR]  build the study in DIR once and reuse it

Target (issue 15): precision >= 0.999, recall >= 0.97 on the generated data."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COUNCILS, PERSONS_PER_FAMILY = 10, 4.0  # about; the study size printed is the one generated


def build_study(n_study: int, seed: int, work: Path) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """Generated returns for about n_study people, linked council by council into an index."""
    from tfnis.generate import generate_frames
    from tfnis.generate.national import study_people
    from tfnis.linkage import match_submission
    from tfnis.spec.columns import LINKAGE_COLUMNS

    families = max(1, round(n_study / COUNCILS / PERSONS_PER_FAMILY))
    frames = generate_frames(councils=COUNCILS, families=families, periods=1, seed=seed)
    index = None
    for _la, _period, _families, people in frames.returns():
        identifiers = people[list(LINKAGE_COLUMNS)].assign(record_token=[f"t{i}" for i in range(len(people))])
        index = match_submission(identifiers, index).index
    assert index is not None
    owners = frames.truth.merge(
        index[["la_code", "person_id", "person_key"]].drop_duplicates(), on=["la_code", "person_id"]
    )
    owners = owners[["true_person", "person_key"]].drop_duplicates()
    index.to_parquet(work / "index.parquet")
    return study_people(frames), owners, frames.period_ends[-1]


def match_in_child(work: Path, dataset: str, period_end: object, misses: bool) -> dict:
    """Run the matching in a fresh process so its peak RSS is its own."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(work),
            "--datasets",
            dataset,
            "--period-end",
            str(period_end),
            *(["--misses"] if misses else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_gib() -> float:
    """This process's own peak resident set (VmHWM): ru_maxrss of a forked child starts at its parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20  # kB -> GiB
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(work: Path, dataset: str, period_end: str, misses: bool) -> None:
    """The stage's matching half on one extract: read, validate, match (as tfnis.pipeline.reference does)."""
    from datetime import date

    from tfnis.reference import contract
    from tfnis.reference.matching import match_reference
    from tfnis.reference.validation import check_extract, read_extract

    terms = contract(dataset)
    index = pd.read_parquet(work / "index.parquet")
    content = (work / f"{dataset}.csv").read_bytes()
    started = time.perf_counter()
    frame = read_extract(content)
    del content
    check, matchable = check_extract(frame, terms, "records.csv", date.fromisoformat(period_end))
    assert frame is not None and matchable is not None, "the generated extract was rejected"
    positions = np.flatnonzero(matchable.to_numpy())
    identifiers = frame.iloc[positions][list(terms.identifiers)].reset_index(drop=True).replace("", None)
    del frame
    result = match_reference(identifiers, index)
    seconds = time.perf_counter() - started
    # Positions back to the extract's rows, so truth lines up with unmatchable rows left out.
    matches = result.matches.assign(position=positions[result.matches["position"].to_numpy()])
    matches.to_parquet(work / f"{dataset}.matches.parquet")
    measured = {"seconds": seconds, "peak_gib": peak_rss_gib(), "records": check.records,
                "match_rate": len(result.matches) / check.records if check.records else 0.0,
                "fmr_estimate": result.estimated_false_match_rate}  # fmt: skip
    if misses:
        measured["misses"] = explain_misses(work, dataset, identifiers, index, result, positions)
    print(json.dumps(measured))


def explain_misses(work: Path, dataset: str, identifiers, index, result, positions) -> list[str]:
    """The missed study records by class (bench/reference_misses.py), after the timing and peak are taken."""
    from reference_misses import miss_breakdown

    from tfnis.linkage.incremental import INDEX_FIELDS
    from tfnis.reference.matching import _compact_fields

    fields = _compact_fields(identifiers)
    old = index[["person_key", *INDEX_FIELDS]].astype("string[pyarrow]").drop_duplicates().reset_index(drop=True)
    truth, owners = pd.read_parquet(work / f"{dataset}.truth.parquet"), pd.read_parquet(work / "owners.parquet")
    return miss_breakdown(fields, old, result, truth, owners, positions)


def score(matches: pd.DataFrame, truth: pd.DataFrame, owners: pd.DataFrame) -> tuple[float, float, int, int]:
    """Precision and recall of record -> person against truth (a true person may hold several person_keys)."""
    found = matches.assign(true_person=truth["true_person"].to_numpy()[matches["position"].to_numpy()])
    correct = found.merge(owners, on=["true_person", "person_key"], how="inner")
    study_records = int(truth["true_person"].notna().sum())
    precision = len(correct) / len(found) if len(found) else 1.0
    recall = len(correct) / study_records if study_records else 1.0
    return precision, recall, len(found), study_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", type=int, default=100_000)
    parser.add_argument("--reference", type=int, default=1_000_000)
    parser.add_argument("--datasets", default="offending,benefits_employment,education")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--namesakes", type=float, default=None, help="share of outside records that are namesakes")
    parser.add_argument("--misses", action="store_true", help="print the missed study records by class")
    parser.add_argument("--keep", type=Path, help="build the study in this folder, or reuse the one built there")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--period-end", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.datasets, args.period_end, args.misses)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(args, Path(folder))


def prepared(args: argparse.Namespace, work: Path) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """The study, its owners and period end: built, or read back from a --keep folder built with these sizes."""
    from datetime import date

    stamp = work / "study.json"
    wanted = {"study": args.study, "seed": args.seed, "columns": 8}  # study_people with middle names
    if stamp.exists() and json.loads(stamp.read_text()) | {"period_end": None} == wanted | {"period_end": None}:
        period_end = date.fromisoformat(json.loads(stamp.read_text())["period_end"])
        print("study: read back from --keep")
        return pd.read_parquet(work / "study.parquet"), pd.read_parquet(work / "owners.parquet"), period_end
    started = time.perf_counter()
    study, owners, period_end = build_study(args.study, args.seed, work)
    study.to_parquet(work / "study.parquet")
    owners.to_parquet(work / "owners.parquet")
    stamp.write_text(json.dumps(wanted | {"period_end": str(period_end)}))
    print(f"study: {len(study):,} people, index built in {time.perf_counter() - started:.0f}s")
    return study, owners, period_end


def run(args: argparse.Namespace, work: Path) -> None:
    from tfnis.generate.national import reference_extract

    study, owners, period_end = prepared(args, work)
    print(f"seed {args.seed}; match rate and false-match rate: reported by the stage / true")
    print("| dataset | records | study records | matched | precision | recall | match rate | false-match rate "
          "| time s | peak GiB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets.split(","):
        rng = np.random.default_rng(args.seed)
        extract, truth = reference_extract(
            study, dataset, period_end, rng, records=args.reference,
            **({} if args.namesakes is None else {"namesakes": args.namesakes}),
        )  # fmt: skip
        extract.to_csv(work / f"{dataset}.csv", index=False)
        truth.to_parquet(work / f"{dataset}.truth.parquet")
        del extract
        measured = match_in_child(work, dataset, period_end, args.misses)
        matches = pd.read_parquet(work / f"{dataset}.matches.parquet")
        precision, recall, matched, in_study = score(matches, truth, owners)
        rates = (
            f"{measured['match_rate']:.4f} / {in_study / len(truth):.4f} | "
            f"{measured['fmr_estimate']:.5f} / {1 - precision:.5f}"
        )
        print(
            f"| {dataset} | {len(truth):,} | {in_study:,} | {matched:,} | {precision:.4f} | {recall:.4f} | "
            f"{rates} | {measured['seconds']:.1f} | {measured['peak_gib']:.2f} |",
            flush=True,
        )
        for line in measured.get("misses", []):
            print(line)


if __name__ == "__main__":
    main()
