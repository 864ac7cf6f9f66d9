"""Anonymise one large council return: build + check the extract, Parquet, and research end's version listing.

Prints figures; asserts nothing. `python bench/anonymise_bench.py [people]` (default 100 000, the largest return).
"""

from __future__ import annotations

import secrets
import sys
import time

import numpy as np
import pandas as pd

from tfnis.anonymise.extract import build_extract
from tfnis.spec.codes import ETHNICITY_MAIN


def frames(people: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    families = people // 3
    family_of = np.concatenate([np.arange(families), rng.integers(0, families, people - families)])
    family_token = np.array([secrets.token_hex(16) for _ in range(families)])
    record_token = np.array([secrets.token_hex(16) for _ in range(people)])
    period = pd.Timestamp("2025-03-31")
    fam = pd.DataFrame(
        {
            "family_token": family_token,
            "la_code": "E08000025",
            "period_end": period,
            "framework": "SF10_2022",
            "date_identified": period - pd.to_timedelta(rng.integers(30, 900, families), unit="D"),
            "hp_EDUCATION": pd.array(rng.choice(["Y", "N"], families), dtype="string"),
            "intervention_status": pd.array(rng.choice(["COMPARISON", "ACTIVE", "ENDED"], families), dtype="string"),
            "evictions": pd.array(rng.integers(0, 3, families), dtype="Int64"),
            "members": pd.array(np.bincount(family_of, minlength=families), dtype="Int64"),
        }
    )
    ind = pd.DataFrame(
        {
            "record_token": record_token,
            "family_token": family_token[family_of],
            "la_code": "E08000025",
            "period_end": period,
            "relation_in_family": pd.array(rng.choice(["MAIN_CARER", "CHILD"], people), dtype="string"),
            "sex": pd.array(rng.choice(["1", "2"], people), dtype="string"),
            "age": pd.array(rng.integers(0, 80, people), dtype="Int64"),
            "birth_month": period - pd.to_timedelta(rng.integers(0, 80 * 365, people), unit="D"),
            "ethnicity": pd.array(rng.choice(ETHNICITY_MAIN, people), dtype="string"),
            "postcode_district": pd.array(rng.choice(["M1", "M14", "SK4", "OL9"], people), dtype="string"),
            "asb_nfi": pd.array(rng.integers(0, 4, people), dtype="Int64"),
        }
    )
    ind["birth_month"] = ind["birth_month"].dt.to_period("M").dt.start_time
    key_map = pd.DataFrame(
        {
            "record_token": record_token,
            "family_token": family_token[family_of],
            "person_key": [secrets.token_hex(16) for _ in range(people)],
            "family_key": np.array([secrets.token_hex(16) for _ in range(families)])[family_of],
        }
    )
    return fam, ind, key_map


def main(people: int) -> None:
    fam, ind, key_map = frames(people)
    started = time.perf_counter()
    extract = build_extract(fam, ind, key_map, secrets.token_bytes(32))
    built = time.perf_counter()
    parquet = extract.parquet()
    written = time.perf_counter()
    print(f"people {people:,}  families {len(fam):,}")
    print(f"build + pseudonymise + pre-write check  {built - started:6.2f} s")
    print(f"parquet (DuckDB, zstd)                  {written - built:6.2f} s")
    print("extract size  " + "  ".join(f"{t} {len(b) / 2**20:.1f} MiB" for t, b in parquet.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
