"""Why study records of a reference extract are missed: each missed (or wrongly matched) study record gets one
class, from the data (postcode stated, how its name and date of birth differ from the person's index rows, how
many extract records and index persons carry its full name and date of birth) and from a replay of the name +
date of birth rule (tfnis.reference.name_dob) with the prior and moved share the upload estimated. Counts
only: no identifier value is printed. Used by bench/reference_bench.py --misses (in the matching process)."""

from __future__ import annotations

import jellyfish
import numpy as np
import pandas as pd

NAME_COUNT_BINS = (0, 1, 4, 19, 99, np.inf)
NAME_COUNT_LABELS = ("1", "2-4", "5-19", "20-99", "100+")


def _close(a: str | None, b: str | None, aliases_a: str | None, aliases_b: str | None) -> str:
    """equal | close (a nickname of one another or one edit apart) | differs | blank."""
    if not a or not b:
        return "blank"
    if a == b:
        return "equal"
    if aliases_a and aliases_b and set(aliases_a.split("|")) & set(aliases_b.split("|")):
        return "close"
    return "close" if jellyfish.damerau_levenshtein_distance(a, b) <= 1 else "differs"


def _dob_level(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "blank"
    if a == b:
        return "equal"
    if a[:7] == b[:7]:
        return "slipped"
    return "swapped" if a[:5] + a[8:10] + a[4:7] == b else "differs"


def _best_row(study: pd.DataFrame, fields: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """For each study record, the index row of its true person that agrees best (names, then date)."""
    rows = study.merge(old.reset_index(names="row"), on="person_key")
    f = fields.iloc[rows["position"].to_numpy()]
    get = {c: f[c].to_numpy(dtype=object, na_value=None) for c in ("forename", "surname", "dob", "forename_aliases")}
    theirs = {c: rows[c].to_numpy(dtype=object, na_value=None) for c in get}
    forenames = zip(
        get["forename"], theirs["forename"], get["forename_aliases"], theirs["forename_aliases"], strict=True
    )
    rows["forename_level"] = [_close(*v) for v in forenames]
    rows["surname_level"] = [_close(a, b, None, None) for a, b in zip(get["surname"], theirs["surname"], strict=True)]
    rows["dob_level"] = [_dob_level(a, b) for a, b in zip(get["dob"], theirs["dob"], strict=True)]
    order = {"equal": 0, "close": 1, "slipped": 1, "swapped": 2, "differs": 3, "blank": 4}
    rows["score"] = sum(rows[c].map(order) for c in ("forename_level", "surname_level", "dob_level"))
    return rows.sort_values(["position", "score"]).drop_duplicates("position")


def _counts(fields: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Records of the extract per full name, per full name + DOB; index persons per full name + DOB."""
    name = fields["forename"].astype(object) + "\x1f" + fields["surname"].astype(object)
    name_dob = name + "\x1f" + fields["dob"].astype(object)
    old_key = (old["forename"].astype(object) + "\x1f" + old["surname"].astype(object) + "\x1f"
               + old["dob"].astype(object))  # fmt: skip
    persons = pd.DataFrame({"key": old_key, "p": old["person_key"]}).dropna().drop_duplicates()
    return name, name_dob, persons.groupby("key")["p"].nunique()


def calibration(links: pd.DataFrame, study: pd.DataFrame, fields: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """The name + DOB rule's best candidate per record (after the second's discount) with whether it is the
    record's true person, whether names and date are exactly equal, and whether that (full name, DOB) is
    carried by one record of the extract and one person of the index (unique on both sides)."""
    from tfnis.reference.name_dob import decided

    best = decided(links, 0.0)
    hit = study[["position", "person_key"]].drop_duplicates().assign(hit=True)
    best = best.merge(hit, on=["position", "person_key"], how="left")
    best["correct"] = best["hit"].fillna(False).astype(bool)
    mine = (fields["forename"].astype(object) + "|" + fields["surname"].astype(object) + "|"
            + fields["dob"].astype(object))  # fmt: skip
    theirs = old["forename"].astype(object) + "|" + old["surname"].astype(object) + "|" + old["dob"].astype(object)
    held = pd.DataFrame({"key": theirs, "person_key": old["person_key"].astype(object)}).dropna().drop_duplicates()
    persons_of_key = held.groupby("key")["person_key"].nunique()
    best["key"] = mine.to_numpy()[best["position"].to_numpy()]
    best = best.merge(held.assign(exact=True), on=["key", "person_key"], how="left")
    best["exact"] = best["exact"].fillna(False).astype(bool)
    records_of_key = mine.value_counts()
    best["unique_both"] = best["exact"] & best["key"].map(records_of_key).eq(1) & best["key"].map(persons_of_key).eq(1)
    return best.drop(columns=["hit", "key"])


def calibration_lines(best: pd.DataFrame, key_correct: int, key_false: int, n_study: int) -> list[str]:
    """Posterior bands: records, mean posterior, share correct (all; exact full name + DOB unique on both
    sides); and the evidence's ceiling: recall at precision 0.999 taking name + DOB candidates strongest first."""
    bands = pd.cut(best["p"], [0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 1.0], right=False, include_lowest=True)
    table = best.groupby(bands, observed=True).agg(
        records=("p", "size"), mean_posterior=("p", "mean"), correct=("correct", "mean"),
        wrong=("correct", lambda c: int((~c).sum())), unique_both=("unique_both", "sum"),
    )  # fmt: skip
    unique = best[best["unique_both"]]
    table["unique_both_correct"] = unique.groupby(bands[best["unique_both"]], observed=True)["correct"].mean()
    ranked = best.sort_values("p", ascending=False)
    correct = key_correct + np.cumsum(ranked["correct"].to_numpy())
    taken = key_correct + key_false + np.arange(1, len(ranked) + 1)
    ok = np.flatnonzero(correct / taken >= 0.999)
    ceiling = (correct[ok[-1]] / n_study, ranked["p"].to_numpy()[ok[-1]]) if len(ok) else (key_correct / n_study, 1.0)
    return [
        "calibration of the name+DOB posterior (each record's best person, after the second's discount; "
        "unique_both: exact full name + DOB on one extract record and one index person):\n" + table.to_string(),
        f"ceiling of this evidence: recall {ceiling[0]:.4f} at precision 0.999 taking name+DOB candidates strongest "
        f"first (down to posterior {ceiling[1]:.4f}; other rules' {key_correct} correct, {key_false} false kept)",
    ]


def _outcome(position: int, p: float | None, best: pd.DataFrame, keys_of: pd.Series, decided_at: dict) -> str:
    """What the name + DOB rule did with one study record's true person (posterior p, or None)."""
    if p is None:
        return "no name+DOB candidate"
    if best.loc[position, "person_key"] not in keys_of[position] and p < best.loc[position, "p"]:
        return "another person scores higher"
    for limit, label in ((0.5, "posterior < 0.5"), (0.9, "posterior 0.5-0.9"), (0.99, "posterior 0.9-0.99")):
        if p < limit:
            return label
    if position not in decided_at["chosen"]:
        return ">= 0.99, person claimed twice"
    if position not in decided_at["over"]:
        return ">= 0.99, a second person too likely"
    return ">= 0.99, cut by the false-match budget" if position not in decided_at["taken"] else "dropped later"


def _replay(fields: pd.DataFrame, old: pd.DataFrame, result, missed: pd.DataFrame, study: pd.DataFrame):
    """The name + DOB rule replayed with the upload's own prior and moved share: per missed study record what
    it did with the true person, and every record's best candidate (for the calibration)."""
    from tfnis.reference.name_dob import decided, name_dob_links

    keyed = result.matches[result.matches["match_rule"] != "name_dob"]["position"].to_numpy(np.int64)
    rest = np.setdiff1d(np.arange(len(fields)), keyed)
    links = name_dob_links(fields, old, rest, result.name_dob_prior, moved=result.moved_share)
    keys = pd.factorize(old["person_key"])[1]
    links["person_key"] = np.asarray(keys, dtype=object)[links["person"].to_numpy(np.int64)]
    true = links.merge(missed[["position", "person_key"]], on=["position", "person_key"])
    true = true.sort_values("p", ascending=False).drop_duplicates("position").set_index("position")["p"]
    chosen = decided(links, 0.0)
    decided_at = {
        "chosen": set(chosen["position"]), "over": set(chosen.loc[chosen["p"] >= 0.99, "position"]),
        "taken": set(result.matches.loc[result.matches["match_rule"] == "name_dob", "position"]),
    }  # fmt: skip
    best = links.sort_values("p", ascending=False).drop_duplicates("position").set_index("position")
    keys_of = missed.groupby("position")["person_key"].agg(set)
    outcome = {q: _outcome(q, true.get(q), best, keys_of, decided_at) for q in missed["position"].drop_duplicates()}
    return pd.Series(outcome, dtype=object), calibration(links, study, fields, old)


def _bucket(counts: np.ndarray) -> np.ndarray:
    return np.asarray(pd.cut(counts, NAME_COUNT_BINS, labels=NAME_COUNT_LABELS).astype(object))


def _miss_rows(fields, old, missed: pd.DataFrame, wrong: set, outcome: pd.Series) -> pd.DataFrame:
    """One row per missed study record: its classes (counts and levels, never a value)."""
    best = _best_row(missed, fields, old).set_index("position")
    name, name_dob, index_persons = _counts(fields, old)
    name_n, name_dob_n = name.map(name.value_counts()), name_dob.map(name_dob.value_counts())
    at = missed["position"].drop_duplicates().to_numpy()
    b = best.loc[at]
    return pd.DataFrame({
        "postcode": np.where(fields["postcode"].iloc[at].notna().to_numpy(), "postcode", "no postcode"),
        "outcome": [("wrong person" if q in wrong else outcome[q]) for q in at],
        "names": ("forename " + b["forename_level"] + ", surname " + b["surname_level"] + ", dob "
                  + b["dob_level"]).to_numpy(),
        "name_records": _bucket(name_n.iloc[at].to_numpy()),
        "name_dob_records": np.where(name_dob_n.iloc[at].to_numpy() == 1, "1", "2+"),
        "index_persons": np.minimum(name_dob.iloc[at].map(index_persons).fillna(0).to_numpy(), 2).astype(int),
        "middle_name_in_index": b["middle_names"].notna().to_numpy(),
    })  # fmt: skip


def _false_lines(fields, old, false: pd.DataFrame, study: pd.DataFrame) -> list[str]:
    """The false matches: rule, probability and how the record agrees with the person it was given."""
    of_study = int(false["position"].isin(study["position"]).sum())
    lines = [f"false matches: {len(false)} (records of other study people: {of_study})"]
    if len(false):
        rows = _best_row(false[["position", "person_key"]], fields, old)
        name = _counts(fields, old)[0]
        rows["name_records"] = _bucket(name.map(name.value_counts()).iloc[rows["position"]].to_numpy())
        rows["postcode"] = fields["postcode"].iloc[rows["position"]].notna().to_numpy()
        rows = rows.merge(false[["position", "match_rule", "match_probability"]], on="position")
        columns = ["match_rule", "match_probability", "forename_level", "surname_level", "dob_level", "name_records"]
        lines.append(rows[[*columns, "postcode"]].to_string())
    return lines


def miss_breakdown(fields: pd.DataFrame, old: pd.DataFrame, result, truth: pd.DataFrame, owners: pd.DataFrame,
                   positions: np.ndarray) -> list[str]:  # fmt: skip
    """Lines to print: the missed study records by class. positions: the extract row of each fields row."""
    in_study = pd.DataFrame({"position": np.arange(len(fields)),
                             "true_person": truth["true_person"].to_numpy()[positions]}).dropna()  # fmt: skip
    study = in_study.merge(owners, on="true_person")
    matched = result.matches[["position", "person_key"]]
    correct = study.merge(matched, on=["position", "person_key"])["position"]
    missed = study[~study["position"].isin(correct)]
    outcome, calibrated = _replay(fields, old, result, missed, study)
    frame = _miss_rows(fields, old, missed, set(missed["position"]) & set(matched["position"]), outcome)
    lines = [f"missed study records: {len(frame)} of {study['position'].nunique()} "
             f"(no postcode {int((frame['postcode'] == 'no postcode').sum())})"]  # fmt: skip
    for by in ("outcome", "names", "name_records", "middle_name_in_index"):
        table = frame.groupby([by, "postcode"], observed=True).size().unstack(fill_value=0) if len(frame) else None
        lines.append(f"by {by}:" + ("" if table is None else "\n" + table.to_string()))
    low = frame[frame["outcome"].str.startswith("posterior")]
    if len(low):
        cross = low.groupby(["name_records", "name_dob_records", "index_persons"], observed=True).size()
        lines.append("posterior below 0.99, by records of the full name / of name+DOB / index persons of name+DOB:\n"
                     + cross.to_string())  # fmt: skip
    lines += _false_lines(fields, old, result.matches[~result.matches["position"].isin(correct)], study)
    others = result.matches[result.matches["match_rule"] != "name_dob"]
    other_correct = int(others["position"].isin(correct).sum())
    return lines + calibration_lines(
        calibrated, other_correct, len(others) - other_correct, study["position"].nunique()
    )
