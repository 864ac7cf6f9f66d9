"""Where recall and precision go on the hard data: `tfnis link` on bench/hard_generator.py records, then every
true pair split across clusters (a miss) and every false pair joined (a false link) counted by class.

A pair's classes are the normalised match fields on which its two records differ or are blank (a pair may be in
several), and whether either record's name was written in a non-Latin script. Pairs are counted once per
record pair, within one true person (misses) or one predicted cluster (false links).

    .venv/bin/python bench/miss_classes.py [--records 20000 --seed 1]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

import numpy as np
import pandas as pd

FIELDS = ("forename", "surname", "dob", "postcode", "sex", "nino", "upn")
_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0600-\u06ff]")


def _pairs_within(groups: np.ndarray, limit: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """All record pairs within each group (groups of more than `limit` records are skipped)."""
    order = np.argsort(groups, kind="stable")
    left, right = [], []
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends, strict=True):
        if 1 < end - start <= limit:
            members = order[start:end]
            i, j = np.triu_indices(len(members), 1)
            left.append(members[i])
            right.append(members[j])
    if not left:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(left), np.concatenate(right)


def classify(records: pd.DataFrame, fields: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> Counter:
    counts: Counter = Counter()
    script = (
        records["forename"].fillna("").str.contains(_NON_LATIN) | records["surname"].fillna("").str.contains(_NON_LATIN)
    ).to_numpy()
    for i, j in zip(left, right, strict=True):
        classes = []
        if script[i] or script[j]:
            classes.append("non-Latin script")
        a, b = fields.iloc[i], fields.iloc[j]
        if a["forename"] is not None and a["forename"] == b["surname"] and a["surname"] == b["forename"]:
            classes.append("names swapped")
        for field in FIELDS:
            if a[field] is None or b[field] is None:
                if field in ("forename", "surname", "dob", "postcode", "sex"):
                    classes.append(f"{field} blank")
            elif a[field] != b[field]:
                classes.append(f"{field} differs")
        shared_id = any(a[f] is not None and a[f] == b[f] for f in ("nino", "upn"))
        if shared_id:
            classes.append("an identifier agrees")
        counts[
            " + ".join(c for c in classes if not c.endswith(("nino blank", "upn blank"))) or "(nothing differs)"
        ] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    from hard_generator import hard_records

    from tfnis.linkage import link_records
    from tfnis.linkage.normalise import match_fields

    records = hard_records(args.records, args.seed)
    linked = link_records(records.drop(columns=["person", "la_code"]))
    truth = records["person"].to_numpy()
    predicted = pd.factorize(linked["person_key"])[0]
    fields = match_fields(records, allow_non_uk_postcodes=True)
    fields = fields.astype(object).where(fields.notna(), None)
    left, right = _pairs_within(truth)
    missed = predicted[left] != predicted[right]
    left_f, right_f = _pairs_within(predicted)
    false = truth[left_f] != truth[right_f]
    print(
        f"{len(records):,} records; true pairs {len(left):,}, missed {int(missed.sum()):,}; "
        f"false links {int(false.sum()):,}"
    )
    for title, counts in (
        ("missed pairs by class", classify(records, fields, left[missed], right[missed])),
        ("false links by class", classify(records, fields, left_f[false], right_f[false])),
    ):
        total = sum(counts.values())
        print(f"\n{title} ({total:,})")
        for name, count in counts.most_common(args.top):
            print(f"{count:7,} {count / max(total, 1):6.1%}  {name}")


if __name__ == "__main__":
    main()
