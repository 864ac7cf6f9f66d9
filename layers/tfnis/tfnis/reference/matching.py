"""Precision-first matching of a reference extract's records to the people of the study (the linkage index).

A false match gives someone another person's criminal record, so, compared with council-to-council matching:
- only the strict match keys (NINO + DOB, UPN, full name + DOB + postcode), each used only when its value
  points at one person in the index and one record of the extract;
- the same Fellegi–Sunter model (tfnis.linkage.model) at a stricter threshold (REFERENCE_THRESHOLD), and a
  record whose second-best person is also over it is left unmatched;
- never a match when the record's valid NINO or UPN is not one the person holds in the index, whatever the
  names and date of birth say;
- one record per person and dataset: when two records claim one person only the best-evidenced stays.
Reference records are never added to the index; records that match nobody are simply not returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# A posterior at the reference prior (see _model_matches); council-to-council links at model probability 0.9
# (tfnis.linkage.DEFAULT_THRESHOLD), a Bayes factor of 9e7 at the model's floor prior of 1e-7; 0.99 at the
# reference prior of a 1M extract against 100k people (~6e-7) asks for about 1.6e8.
REFERENCE_THRESHOLD = 0.99
# The strict ONS keys and the variants that still need the full postcode or forename (never the initial key,
# which twins share). A name and date of birth without them is weighed by tfnis.reference.name_dob (NAME_DOB).
REFERENCE_KEY_RULES = (
    "nino_dob", "upn", "name_dob_postcode", "swapped_day_month", "phonetic_surname", "postcode_district",
    "surname_dob_postcode",
)  # fmt: skip
NAME_DOB = "name_dob"
# Name + date of birth matches are taken strongest first while their expected false matches (the sum of
# 1 - posterior) stay within this share of the upload's matches: half of precision 0.999, the rest left to
# the keys and the model.
FALSE_MATCH_BUDGET = 0.0005
MATCH_COLUMNS = ("position", "person_key", "match_rule", "match_probability")


@dataclass(frozen=True)
class ReferenceMatch:
    """matches: one row per matched record (MATCH_COLUMNS; position is the record's row in the extract)."""

    matches: pd.DataFrame
    records: int
    # The name + date of birth rule's prior and moved-district share as estimated from this upload (counts,
    # never values: bench/reference_bench.py --misses replays the rule with them).
    name_dob_prior: float = 0.0
    moved_share: float = 0.0

    @property
    def match_rate(self) -> float:
        return len(self.matches) / self.records if self.records else 0.0

    @property
    def estimated_false_match_rate(self) -> float:
        """Mean of (1 - match probability) over the matches; a strict key counts as probability 1. An estimate
        from the model's own calibration, not a measurement: bench/reference_bench.py measures against truth."""
        if len(self.matches) == 0:
            return 0.0
        return float((1.0 - self.matches["match_probability"].astype(float)).mean())


def _key_matches(fields: pd.DataFrame, old: pd.DataFrame, codes) -> pd.DataFrame:  # codes: KeyCodes
    """Strict keys: a key value owned by one person in the index and carried by one record of the extract."""
    import pandas as pd

    from tfnis.linkage.match_keys import MATCH_KEY_RULES, MatchKeyRule

    rules = [
        *(r for r in MATCH_KEY_RULES if r.name in REFERENCE_KEY_RULES),
        MatchKeyRule("surname_dob_postcode", ("surname", "dob", "postcode", "sex"), forename_relaxed=True),
    ]
    n_old = len(old)
    person = np.full(len(fields), None, dtype=object)
    rule = np.full(len(fields), "", dtype=object)
    old_person = pd.factorize(old["person_key"])[0]
    for key_rule in rules:
        both = codes.key(key_rule)
        old_key, key = both[:n_old], both[n_old:]
        owners = pd.DataFrame({"key": old_key, "person": old_person, "row": np.arange(n_old)})[old_key >= 0]
        owners = owners.groupby("key").agg(persons=("person", "nunique"), row=("row", "first"))
        owners = owners[owners["persons"] == 1]
        carried = pd.Series(key[key >= 0]).value_counts()
        found = pd.DataFrame({"key": key}).reset_index(names="position")
        found = found[pd.isna(person) & (key >= 0)]
        found = found[found["key"].map(carried).eq(1)].merge(owners[["row"]], left_on="key", right_index=True)
        if key_rule.forename_relaxed:  # a nickname or a typo, never twins' two forenames
            found = found[_forenames_agree(found, fields, old)]
        person[found["position"].to_numpy()] = old["person_key"].to_numpy(dtype=object)[found["row"].to_numpy()]
        rule[found["position"].to_numpy()] = key_rule.name
    taken = pd.notna(person)
    return pd.DataFrame(
        {"position": np.flatnonzero(taken), "person_key": person[taken], "match_rule": rule[taken],
         "match_probability": 1.0}
    )  # fmt: skip


def _forenames_agree(found: pd.DataFrame, fields: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
    """Both forenames stated and the same person's (equal, a nickname of one another, or a typo apart)."""
    from tfnis.linkage.match_keys import forenames_compatible

    positions, rows = found["position"].to_numpy(), found["row"].to_numpy()
    mine = fields["forename"].to_numpy(dtype=object, na_value=None)[positions]
    my_aliases = fields["forename_aliases"].to_numpy(dtype=object, na_value=None)[positions]
    theirs = old["forename"].to_numpy(dtype=object, na_value=None)[rows]
    their_aliases = old["forename_aliases"].to_numpy(dtype=object, na_value=None)[rows]
    return np.array(
        [
            bool(a and b and len(a) > 1 and len(b) > 1 and forenames_compatible(a, b, x, y))
            for a, b, x, y in zip(mine, theirs, my_aliases, their_aliases, strict=True)
        ],
        dtype=bool,
    )


def _within_budget(by_name: pd.DataFrame, keyed: int) -> pd.DataFrame:
    """The strongest name + date of birth matches whose expected false matches stay within FALSE_MATCH_BUDGET
    of all matches (keys counted as certain)."""
    by_name = by_name.sort_values("match_probability", ascending=False, kind="stable")
    expected_false = np.cumsum(1.0 - by_name["match_probability"].to_numpy())
    allowed = FALSE_MATCH_BUDGET * (keyed + np.arange(1, len(by_name) + 1))
    return by_name[expected_false <= allowed]


MOVED_MINIMUM_PAIRS = 100


def _moved_share(fields: pd.DataFrame, old: pd.DataFrame, keyed: pd.DataFrame) -> float:
    """How often a person's extract record is in a district none of their index rows holds, measured on the
    NINO and UPN matches (which do not use the postcode) that state one; the default below 100 of them. A
    dataset whose people rarely move makes a district that disagrees strong evidence of a namesake."""
    import pandas as pd

    from tfnis.reference.name_dob import MOVED_DISTRICT

    by_id = keyed[keyed["match_rule"].isin(["nino_dob", "upn"])]
    by_id = by_id[fields["postcode_district"].notna().to_numpy()[by_id["position"].to_numpy(np.int64)]]
    if len(by_id) < MOVED_MINIMUM_PAIRS:
        return MOVED_DISTRICT
    held = old[["person_key", "postcode_district"]].dropna().drop_duplicates()
    stated = pd.DataFrame({"person_key": by_id["person_key"].to_numpy(),
                           "postcode_district": fields["postcode_district"].to_numpy()[by_id["position"]]})  # fmt: skip
    stated = stated[stated["person_key"].isin(held["person_key"])]
    same = stated.merge(held, on=["person_key", "postcode_district"], how="inner")
    return float((len(stated) - len(same) + 1) / (len(stated) + 2))


def _share_in_extract(fields: pd.DataFrame, old: pd.DataFrame, keyed: pd.DataFrame) -> float:
    """The prior of a name + date of birth match: the share of the index's people the extract holds, a lower
    bound from the data itself. People the strict keys found, over the index's people born within the
    extract's own range of dates (its age range), over the share of records a strict key could find at all
    (a NINO, a UPN or a postcode with the name and date): the keys find no more than that share of the
    people present."""
    dob = fields["dob"].dropna()
    if len(dob) == 0 or len(keyed) == 0:
        return 1e-6
    dob = dob.sort_values(ignore_index=True)
    low, high = dob.iloc[int(0.001 * (len(dob) - 1))], dob.iloc[int(np.ceil(0.999 * (len(dob) - 1)))]
    born = old.dropna(subset=["dob"])
    eligible = born.loc[(born["dob"] >= low) & (born["dob"] <= high), "person_key"].nunique()
    has = {c: fields[c].notna().to_numpy() for c in ("nino", "upn", "postcode", "forename", "surname", "dob")}
    keyable = (
        (has["nino"] & has["dob"]) | has["upn"] | (has["postcode"] & has["forename"] & has["surname"] & has["dob"])
    )
    persons = keyed["person_key"].nunique()
    return float(min(1.0, persons / max(eligible, 1) / max(float(keyable.mean()), 1e-6)))


def _sharing_a_blocking_key(old: pd.DataFrame, mine: pd.DataFrame) -> np.ndarray:
    """Positions of `mine` that share a blocking key with some index row: the only records a model pair can
    hold. At a million records mostly outside the study this leaves the model a fraction of them."""
    import pandas as pd

    from tfnis.linkage.match_keys import KeyCodes
    from tfnis.linkage.model import blocking_columns
    from tfnis.linkage.normalise import MATCH_FIELDS

    columns = [c for c in MATCH_FIELDS if c in old.columns]
    both = pd.concat([old[columns], mine[columns]], ignore_index=True)
    codes, n_old = KeyCodes(both), len(old)
    keep = np.zeros(len(mine), dtype=bool)
    for block in blocking_columns(both):
        key = codes.combine(block)
        keep |= np.isin(key[n_old:], np.unique(key[:n_old][key[:n_old] >= 0])) & (key[n_old:] >= 0)
    return np.flatnonzero(keep)


def _odds(p: np.ndarray | float) -> np.ndarray | float:
    return p / (1.0 - p)


def _model_matches(
    fields: pd.DataFrame, old: pd.DataFrame, waiting: np.ndarray, threshold: float, prior: float
) -> pd.DataFrame:
    """The model's links from waiting records to index persons, at the reference prior: splink's probability
    uses the prior of a council return against the index (pairs the keys found among all pairs, floored), so
    it is turned back into a Bayes factor and recomputed with `prior`, the share of extract x index pairs the
    strict keys matched (a lower bound: the keys find most, not all). A record with two persons over the
    threshold is ambiguous (twins, a namesake) and left unmatched."""
    import pandas as pd

    from tfnis.linkage.incremental import INDEX_FIELDS, MODEL_INDEX_SAMPLE, MODEL_MINIMUM_RECORDS, model_candidates
    from tfnis.linkage.model import ModelInput, prior_from_clusters, score_pairs

    empty = pd.DataFrame({c: [] for c in MATCH_COLUMNS})
    mine = fields.iloc[waiting][list(INDEX_FIELDS)].reset_index(drop=True).astype("string")  # as the model reads
    candidates = model_candidates(old, mine, MODEL_INDEX_SAMPLE)
    if len(waiting) == 0 or len(candidates) + len(mine) < MODEL_MINIMUM_RECORDS:
        return empty
    base = len(candidates)
    records = pd.concat(
        [
            candidates[list(INDEX_FIELDS)]
            .astype("string")
            .assign(scope=0, cluster=pd.factorize(candidates["person_key"])[0]),
            mine.assign(scope=1, cluster=base + np.arange(len(mine))),
        ],
        ignore_index=True,
    )
    records["uid"] = np.arange(len(records))
    for absent in ("address", "other_id"):
        records[absent] = pd.Series(pd.NA, index=records.index, dtype="string")
    model_prior = prior_from_clusters(records)
    # The model probability at which the posterior under the reference prior reaches the threshold.
    needed = _odds(threshold) * _odds(model_prior) / _odds(prior)
    pairs = score_pairs(ModelInput(records, scoped=True), min(float(needed / (1.0 + needed)), threshold))
    factor = _odds(pairs["match_probability"].clip(upper=1 - 1e-15).to_numpy()) / _odds(model_prior)
    posterior = factor * _odds(prior) / (1.0 + factor * _odds(prior))
    pairs = pairs.assign(match_probability=posterior)[posterior >= threshold]
    uid_l, uid_r = pairs["uid_l"].to_numpy(np.int64), pairs["uid_r"].to_numpy(np.int64)
    to_index = (uid_l < base) != (uid_r < base)  # pairs of two reference records say nothing about the study
    new_side = np.where(uid_l >= base, uid_l, uid_r)[to_index] - base
    old_side = np.where(uid_l >= base, uid_r, uid_l)[to_index]
    links = pd.DataFrame(
        {
            "position": waiting[new_side],
            "person_key": candidates["person_key"].to_numpy(dtype=object)[old_side],
            "match_probability": pairs["match_probability"].to_numpy()[to_index],
        }
    )
    links = links.sort_values("match_probability", ascending=False).drop_duplicates(["position", "person_key"])
    persons = links.groupby("position")["person_key"].transform("size")
    return links[persons == 1].assign(match_rule="probabilistic")[list(MATCH_COLUMNS)]


def _identifier_disagrees(matches: pd.DataFrame, fields: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
    """True where the record's valid NINO (stem) or UPN is not one its matched person holds in the index,
    while the person holds one: two people, however well names and date of birth agree."""

    disagree = np.zeros(len(matches), dtype=bool)
    for column in ("nino", "upn"):
        mine = fields[column].to_numpy(dtype=object, na_value=None)[matches["position"].to_numpy(np.int64)]
        held = old[["person_key", column]].dropna().drop_duplicates()
        holders = set(held["person_key"])
        pairs = set(zip(held["person_key"], held[column], strict=True))
        disagree |= np.array(
            [
                value is not None and key in holders and (key, value) not in pairs
                for key, value in zip(matches["person_key"], mine, strict=True)
            ],
            dtype=bool,
        )
    return disagree if len(matches) else np.zeros(0, dtype=bool)


def _namesake_in_extract(matches: pd.DataFrame, codes) -> np.ndarray:  # codes: KeyCodes of the extract
    """True for a model match whose full name and date of birth another record of the extract also carries:
    two people of one name and birthday that only a key (postcode, NINO, UPN) could tell apart."""
    import pandas as pd

    key = codes.combine(("forename", "surname", "dob"))
    carried = pd.Series(key[key >= 0]).value_counts()
    mine = key[matches["position"].to_numpy(np.int64)]
    shared = pd.Series(mine).map(carried).fillna(0).to_numpy() > 1
    return shared & (matches["match_rule"].to_numpy() == "probabilistic")


# Records normalised, and scored by the model, this many at a time: the peak memory follows the chunk, not
# the extract (a 1M-record extract against a 100k-person index stays well inside the function's memory).
CHUNK = 100_000


def _compact_fields(identifiers: pd.DataFrame) -> pd.DataFrame:
    """The extract's match fields, normalised a chunk at a time and kept as Arrow strings (a few bytes a value
    where a Python string costs fifty); the fields no reference dataset states are dropped."""
    import pandas as pd

    from tfnis.linkage.incremental import INDEX_FIELDS
    from tfnis.linkage.normalise import match_fields

    parts = []
    for at in range(0, len(identifiers), CHUNK):
        chunk = match_fields(identifiers.iloc[at : at + CHUNK], allow_non_uk_postcodes=False)
        parts.append(chunk[list(INDEX_FIELDS)].astype("string[pyarrow]"))
    return pd.concat(parts, ignore_index=True) if parts else match_fields(identifiers)[list(INDEX_FIELDS)]


_RULE_ORDER = {name: rank for rank, name in enumerate((*REFERENCE_KEY_RULES, NAME_DOB, "probabilistic"))}


def match_reference(
    identifiers: pd.DataFrame, index: pd.DataFrame | None, *, threshold: float = REFERENCE_THRESHOLD
) -> ReferenceMatch:
    """Match each record of a reference extract (identifier columns of tfnis.reference.IDENTIFIER_COLUMNS, any
    subset) to a person of the index, or to nobody. The index is read, never changed."""
    import pandas as pd

    from tfnis.linkage.incremental import INDEX_FIELDS
    from tfnis.linkage.match_keys import KeyCodes
    from tfnis.reference.name_dob import name_dob_matches

    n = len(identifiers)
    if index is None or len(index) == 0 or n == 0:
        return ReferenceMatch(pd.DataFrame({c: [] for c in MATCH_COLUMNS}), n)
    fields = _compact_fields(identifiers.reset_index(drop=True))
    old = index[["person_key", *INDEX_FIELDS]].astype("string[pyarrow]")
    old = old.drop_duplicates().reset_index(drop=True)
    codes = KeyCodes(pd.concat([old[list(INDEX_FIELDS)], fields[list(INDEX_FIELDS)]], ignore_index=True))
    keyed = _key_matches(fields, old, codes)
    persons = old["person_key"].nunique()
    rest = np.setdiff1d(np.arange(n), keyed["position"].to_numpy(np.int64))
    share, moved = _share_in_extract(fields, old, keyed), _moved_share(fields, old, keyed)
    by_name = name_dob_matches(fields, old, rest, share=share, moved=moved)
    by_name = _within_budget(by_name, len(keyed)).assign(match_rule=NAME_DOB)
    keyed = pd.concat([keyed, by_name[list(MATCH_COLUMNS)]], ignore_index=True)
    rest = np.setdiff1d(rest, by_name["position"].to_numpy(np.int64))
    waiting = rest[_sharing_a_blocking_key(old, fields.iloc[rest].reset_index(drop=True))]
    prior = max(len(keyed), 1) / (n * persons)
    model = [
        _model_matches(fields, old, waiting[at : at + CHUNK], threshold, prior) for at in range(0, len(waiting), CHUNK)
    ]
    matches = pd.concat([keyed, *model], ignore_index=True)
    matches = matches[~_identifier_disagrees(matches, fields, old)]
    matches = matches[~_namesake_in_extract(matches, codes.take(np.arange(len(old), len(old) + n)))]
    # One record per person: the strongest rule, then the highest probability, keeps the person.
    matches = matches.assign(rank=matches["match_rule"].map(_RULE_ORDER))
    matches = matches.sort_values(["rank", "match_probability"], ascending=[True, False], kind="stable")
    matches = matches.drop_duplicates("person_key").drop(columns="rank").sort_values("position")
    matches = matches.astype({"position": "int64", "match_probability": "float64"})
    return ReferenceMatch(matches.reset_index(drop=True), n, share, moved)
