"""Benchmark: validate a 1,000,000-individual return and print rows/s and peak RSS.

The return is built here (vectorised, valid by construction: unique UPNs with computed check letters,
households of three) so the figure measures validation, not a generator. Usage:
    .venv/bin/python bench/validate_bench.py [--individuals 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tfnis.spec.codes import HEADLINE_PROBLEMS
from tfnis.spec.identifiers import UPN_ALPHABET

POSTCODES = np.array(["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "LS1 4AP", "EC1A 1BB", "W1A 0AX"])
NINOS = np.array(["AB123456C", "JC654321A", "CE112233D", "", "GH987654"])
FORENAMES = np.array(["Sarah", "Liam", "Zoë", "Mohammed", "Aisha", "Dawn", "Kyle", "Anne-Marie", "Seán"])
SURNAMES = np.array(["O'Connor", "Khan", "Miller", "Smith", "Nowak", "Okafor", "Jones-Lee"])


def unique_upns(n: int) -> np.ndarray:
    """n distinct valid permanent UPNs: LA 801, an 8-digit serial, check letter computed (DfE rule)."""
    tails = np.char.add("801", np.char.zfill(np.arange(n).astype(str), 9))
    digits = np.frombuffer("".join(tails).encode(), dtype=np.uint8).reshape(n, 12).astype(np.int64) - 48
    letters = np.array(list(UPN_ALPHABET))[(digits * np.arange(2, 14)).sum(axis=1) % 23]
    return np.char.add(letters, tails)


def build_return(folder: Path, individuals: int, seed: int = 7) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    n_families = individuals // 3 + (individuals % 3 > 0)
    family_ids = np.char.add("FAM-", np.arange(n_families).astype(str))
    hp = {f"hp_{code}": "" for code in HEADLINE_PROBLEMS}
    hp.update({"hp_EDUCATION": "Y", "hp_HEALTH": "Y", "hp_FAMILY_REL": "Y", "hp_CRIME": "N"})
    status = rng.choice(["ACTIVE", "COMPARISON"], n_families)
    families = pd.DataFrame(
        {
            "la_code": "E08000025",
            "period_end": "2024-03-31",
            "family_id": family_ids,
            "framework": "SF10_2022",
            "date_identified": "2023-05-01",
            **hp,
            "intervention_status": status,
            "support_start_date": np.where(status == "ACTIVE", "2023-06-01", ""),
            "support_end_date": "",
            "support_intensity": rng.choice(["HIGH", "LOW", ""], n_families),
            "housing_status": rng.choice(["SOCIAL_RENT_LA", "PRIVATE_RENT", "NOT_KNOWN", ""], n_families),
            "evictions": rng.choice(["0", "1", ""], n_families),
            "homelessness_applications": "",
            "weeks_homeless": rng.choice(["0", "3", ""], n_families),
            "rent_arrears": rng.choice(["Y", "N", ""], n_families),
            "police_callouts": rng.choice(["0", "2", ""], n_families),
        }
    )
    member = np.arange(individuals) % 3
    adult = member == 0
    born_days = np.where(adult, rng.integers(-5000, 4000, individuals), rng.integers(13000, 17500, individuals))
    dob = (np.datetime64("1970-01-01") + born_days.astype("timedelta64[D]")).astype(str)
    upn = np.where(adult, "", unique_upns(individuals))
    people = pd.DataFrame(
        {
            "la_code": "E08000025",
            "period_end": "2024-03-31",
            "family_id": family_ids[np.arange(individuals) // 3],
            "person_id": np.char.add("P", np.arange(individuals).astype(str)),
            "relation_in_family": np.where(adult, "MAIN_CARER", "CHILD"),
            "forename": rng.choice(FORENAMES, individuals),
            "middle_names": "",
            "surname": rng.choice(SURNAMES, individuals),
            "date_of_birth": dob,
            "sex": rng.choice(["1", "2"], individuals),
            "postcode": rng.choice(POSTCODES, individuals),
            "no_fixed_abode": "N",
            "nino": np.where(adult, rng.choice(NINOS, individuals), ""),
            "upn": upn,
            "nhs_number": rng.choice(["9434765919", ""], individuals),
            "ethnicity": rng.choice(["WBRI", "AIND", "BAFR", "NOBT", ""], individuals),
            "asb_nfi": rng.choice(["0", "1", ""], individuals),
            "asb_fi": "",
            "domestic_violence": rng.choice(["NONE", "VICTIM", ""], individuals),
            "alcohol_dependent": np.where(adult, "N", ""),
            "drug_dependent": "",
            "neet": "",
            "missing_education": "",
            "mental_health": rng.choice(["Y", "N", ""], individuals),
        }
    )
    fam_path, ind_path = folder / "families.csv", folder / "individuals.csv"
    families.to_csv(fam_path, index=False)
    people.to_csv(ind_path, index=False)
    return fam_path, ind_path


def validate_in_child(paths: tuple[Path, Path]) -> dict:
    """Validate in a fresh interpreter so peak RSS is validation's own, not the builder's."""
    code = (
        "import json, sys, time\n"
        "from tfnis.validation import validate_return\n"
        "wall, cpu = time.perf_counter(), time.process_time()\n"
        "report = validate_return(sys.argv[1:])\n"
        "print(json.dumps({'seconds': time.perf_counter() - wall, 'cpu_seconds': time.process_time() - cpu,\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report this builder's peak.
        "  'peak_rss_mib': next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))"
        " / 1024,\n"
        "  'status': report.status.value, 'counts': report.counts}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *map(str, paths)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--individuals", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the return in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="validations to run; the best is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        paths = build_return(folder, args.individuals)
        built = time.perf_counter() - started
        size = sum(p.stat().st_size for p in paths) / (1 << 20)
        runs = [validate_in_child(paths) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    median = statistics.median(r["seconds"] for r in runs)
    counts = best["counts"]
    print(
        f"return:     {args.individuals:,} individuals, {counts['families']:,} families, {size:,.0f} MiB of CSV "
        f"(built in {built:.1f} s)"
    )
    print(f"validated:  status {best['status']}, {counts['errors']} errors, {counts['warnings']} warnings")
    walls = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"wall time:  {walls} s  (median {median:.2f} of {len(runs)})")
    print(
        f"throughput: {args.individuals / median:,.0f} individual rows/s (wall, median); "
        f"{args.individuals / best['seconds']:,.0f} (wall, best); "
        f"{args.individuals / statistics.median(r['cpu_seconds'] for r in runs):,.0f} rows per CPU-second (median)"
    )
    print(f"peak RSS:   {best['peak_rss_mib']:,.0f} MiB (validation process)")
    print(f"machine:    {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if best["status"] == "VALID" else 1


if __name__ == "__main__":
    sys.exit(main())
