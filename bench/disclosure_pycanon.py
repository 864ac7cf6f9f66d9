"""k-anonymity and l-diversity of one extract file by pycanon and by tfnis.disclosure.measures, timed.

pycanon is not a dependency (it pins numpy, pandas and scipy versions of its own and brings scipy and reportlab
into a Lambda near its 250 MB limit), so run this in a venv that has it, with the library on the path:

    python -m venv /tmp/pycanon-venv && /tmp/pycanon-venv/bin/pip install pycanon pyarrow
    .venv/bin/python bench/disclosure_bench.py --save-individuals /tmp/individuals.parquet
    PYTHONPATH=layers/tfnis /tmp/pycanon-venv/bin/python bench/disclosure_pycanon.py /tmp/individuals.parquet

Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
import time

import pandas as pd
from pycanon import anonymity

from tfnis.disclosure.measures import class_sizes, l_diversity

QUASI_IDENTIFIERS = ["la_code", "period_end", "relation_in_family", "sex", "age_band", "ethnic_group", "no_fixed_abode"]
SENSITIVE = "mental_health"


def main() -> None:
    frame = pd.read_parquet(sys.argv[1]).astype("string").fillna("-")  # pycanon wants no blanks: "-" stands in
    print(f"{len(frame)} records, quasi-identifiers {', '.join(QUASI_IDENTIFIERS)}; l on {SENSITIVE}")
    started = time.perf_counter()
    k = anonymity.k_anonymity(frame, QUASI_IDENTIFIERS)
    seconds = time.perf_counter() - started
    print(f"  pycanon          k={k} in {seconds:.3f}s")
    started = time.perf_counter()
    l_value = anonymity.l_diversity(frame, QUASI_IDENTIFIERS, [SENSITIVE])
    seconds = time.perf_counter() - started
    print(f"  pycanon          l={l_value} in {seconds:.3f}s")
    started = time.perf_counter()
    ours_k = int(class_sizes(frame, QUASI_IDENTIFIERS).min())
    seconds = time.perf_counter() - started
    print(f"  tfnis.disclosure k={ours_k} in {seconds:.3f}s (and each record's class size)")
    started = time.perf_counter()
    ours_l = int(l_diversity(frame, QUASI_IDENTIFIERS, SENSITIVE).min())
    seconds = time.perf_counter() - started
    print(f"  tfnis.disclosure l={ours_l} in {seconds:.3f}s (and each record's l)")


if __name__ == "__main__":
    main()
