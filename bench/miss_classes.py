"""Where recall and precision go on the hard data: `tfnis link` on bench/hard_generator.py records, then every
true pair split across clusters (a miss) and every false pair joined (a false link) counted by class.

A pair's classes are the normalised match fields on which its two records differ or are blank (a pair may be in
several), and whether either record's name was written in a non-Latin script. Pairs are counted once per
record pair, within one true person (misses) or one predicted cluster (false links).

    .venv/bin/python bench/miss_classes.py [--records 20000 --seed 1] [--why]

--why adds, for the missed pairs, at which step each was lost: never a candidate pair (no blocking rule brought
it or a pair between its two key clusters), scored below the threshold, vetoed, or refused by the clustering.
It links the records a second time with the threshold at 0.0001 and notes every scored pair (the model's own
functions, observed, not changed), so it takes twice as long.
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


def _scored_pairs(fields: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Link `fields` with the threshold at 0.0001, noting every scored pair: the distinct record of each record, the
    key cluster of each distinct record, and the pairs (uid_l, uid_r, match_probability, vetoed)."""
    from tfnis.linkage import batch, model

    seen: dict[str, object] = {"pairs": []}
    veto, distinct, components = model.vetoed, batch.distinct_records, batch.consistent_components

    def noting_veto(pairs: pd.DataFrame) -> pd.Series:
        out = veto(pairs)
        seen["pairs"].append(pairs[["uid_l", "uid_r", "match_probability"]].assign(vetoed=out.to_numpy()))
        return out

    def noting_distinct(*args, **kwargs):
        seen["tuple_of"] = distinct(*args, **kwargs)
        return seen["tuple_of"]

    def noting_clusters(clusters, *args, **kwargs):
        seen["key_cluster"] = np.asarray(clusters).copy()
        return components(clusters, *args, **kwargs)

    model.vetoed, batch.distinct_records, batch.consistent_components = noting_veto, noting_distinct, noting_clusters
    try:
        batch.link_fields(fields, threshold=0.0001)
    finally:
        model.vetoed, batch.distinct_records, batch.consistent_components = veto, distinct, components
    return seen["tuple_of"], seen["key_cluster"], pd.concat(seen["pairs"], ignore_index=True)


def why_missed(fields: pd.DataFrame, left: np.ndarray, right: np.ndarray, threshold: float) -> Counter:
    """Per missed record pair, where it was lost (the best scored pair between its two key clusters decides)."""
    tuple_of, key_cluster, pairs = _scored_pairs(fields)
    cluster_l, cluster_r = key_cluster[pairs["uid_l"].to_numpy()], key_cluster[pairs["uid_r"].to_numpy()]
    low, high = np.minimum(cluster_l, cluster_r), np.maximum(cluster_l, cluster_r)
    # Per pair of key clusters: the best probability of a pair not vetoed, and whether a vetoed one was over the bar.
    frame = pd.DataFrame({"low": low, "high": high, "p": pairs["match_probability"].to_numpy()})
    frame["kept"] = np.where(pairs["vetoed"].to_numpy(), -1.0, frame["p"])
    frame["vetoed_over"] = pairs["vetoed"].to_numpy() & (frame["p"] >= threshold)
    best = frame.groupby(["low", "high"]).agg(kept=("kept", "max"), vetoed_over=("vetoed_over", "any"))
    a, b = key_cluster[tuple_of[left]], key_cluster[tuple_of[right]]
    index = pd.MultiIndex.from_arrays([np.minimum(a, b), np.maximum(a, b)])
    found = best.reindex(index)
    counts: Counter = Counter()
    for kept, vetoed_over in zip(found["kept"].to_numpy(), found["vetoed_over"].to_numpy(), strict=True):
        if np.isnan(kept):
            counts["never a candidate pair"] += 1
        elif kept >= threshold:
            counts["scored over the threshold, refused by the clustering"] += 1
        elif vetoed_over is True:
            counts["scored over the threshold, vetoed"] += 1
        else:
            counts["scored below the threshold"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--why", action="store_true", help="also: at which step each missed pair was lost")
    args = parser.parse_args()
    from hard_generator import hard_records

    from tfnis.linkage import DEFAULT_THRESHOLD, link_records
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
    tables = [
        ("missed pairs by class", classify(records, fields, left[missed], right[missed])),
        ("false links by class", classify(records, fields, left_f[false], right_f[false])),
    ]
    if args.why:
        lost = why_missed(
            match_fields(records, allow_non_uk_postcodes=True), left[missed], right[missed], DEFAULT_THRESHOLD
        )
        tables.insert(0, ("missed pairs by where they were lost", lost))
    for title, counts in tables:
        total = sum(counts.values())
        print(f"\n{title} ({total:,})")
        for name, count in counts.most_common(args.top):
            print(f"{count:7,} {count / max(total, 1):6.1%}  {name}")


if __name__ == "__main__":
    main()
