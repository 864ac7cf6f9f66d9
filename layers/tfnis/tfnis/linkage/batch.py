"""Link a whole file at once (`tfnis link`, benchmarks): match keys first, the probabilistic model for the rest.

Identical normalised records are scored once. Clusters are the connected components of key links and of
model links at or above the threshold; each cluster gets a fresh random person_key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tfnis.linkage import DEFAULT_THRESHOLD
from tfnis.linkage.clusters import connected_components, consistent_components
from tfnis.linkage.match_keys import MATCH_KEY_RULES, KeyCodes, key_edges
from tfnis.linkage.model import ModelInput, score_with_model
from tfnis.linkage.normalise import MATCH_FIELDS, FieldCodes, match_fields

if TYPE_CHECKING:
    from tfnis.linkage.parameters import ModelParameters

PROBABILISTIC = "probabilistic"
IDENTICAL = "identical_record"


def random_key() -> str:
    return secrets.token_hex(16)


def identifying(fields: pd.DataFrame) -> np.ndarray:
    """Records with enough to say who they are: a name and one more thing, or an identifier and a DOB.
    Less than that and two identical records are not taken to be one person."""
    name = (fields["forename"].notna() | fields["surname"].notna()).to_numpy()
    more = (fields["dob"].notna() | fields["postcode"].notna() | fields["address"].notna()).to_numpy()
    ids = fields[["nino", "upn", "nhs_number", "other_id"]].notna().any(axis=1).to_numpy()
    return (name & (more | ids)) | (ids & fields["dob"].notna().to_numpy())


def distinct_records(fields: pd.DataFrame, codes: KeyCodes | None = None) -> np.ndarray:
    """Tuple number of each record: identical identifying records share one."""
    ident = identifying(fields)
    whole = (codes or KeyCodes(fields)).combine(MATCH_FIELDS, blank_is_a_value=True)
    # A record too thin to identify anyone is a tuple of its own: keyed by its row number instead.
    own = np.where(ident, whole, -1 - np.arange(len(fields), dtype=np.int64))
    return pd.factorize(own)[0]


def deterministic_links(fields: pd.DataFrame, codes: KeyCodes | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Key edges between records (by position) and, per record, the first rule that linked it ('' if none)."""
    edges, rule_of = [], np.full(len(fields), "", dtype=object)
    codes = codes or KeyCodes(fields)
    for rule in MATCH_KEY_RULES:
        found = key_edges(fields, rule, codes)
        if found.empty:
            continue
        touched = np.unique(np.r_[found["left"].to_numpy(), found["right"].to_numpy()])
        fresh = touched[rule_of[touched] == ""]
        rule_of[fresh] = rule.name
        edges.append(found)
    all_edges = pd.concat(edges, ignore_index=True) if edges else pd.DataFrame({"left": [], "right": []})
    return all_edges.astype(np.int64), rule_of


@dataclass(frozen=True)
class Links:
    """Per record: its person (a cluster label, not a key), the rule that linked it and the model's probability."""

    person: np.ndarray
    rule: np.ndarray
    probability: np.ndarray
    model: ModelParameters | None = None  # the model's parameters as used (trained here or given)


def _distinct(fields: pd.DataFrame, field_codes: FieldCodes | None) -> tuple[KeyCodes, np.ndarray]:
    """The distinct records' KeyCodes (their fields as `.fields`) and each record's tuple number."""
    if not fields.index.equals(pd.RangeIndex(len(fields))):
        fields = fields.reset_index(drop=True)
    codes = KeyCodes(fields, field_codes)
    tuple_of = distinct_records(fields, codes)
    first = pd.Series(np.arange(len(tuple_of))).groupby(tuple_of).first().to_numpy()
    if field_codes is not None:
        field_codes.clear()  # the caller's per-record codes go with the per-record fields (56 MB at a million)
    return codes.take(first), tuple_of


def link_fields(
    fields: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "duckdb",
    known_links: tuple[np.ndarray, np.ndarray] | None = None,
    model: ModelParameters | None = None,
    reestimate_u: bool = False,
    field_codes: FieldCodes | None = None,
) -> Links:
    """Cluster records given as normalised MATCH_FIELDS: match keys, then the model (engine duckdb or spark).

    known_links: pairs of record positions already known to be one person (the national re-link's council ids),
    joined like key links before the model runs. model: parameters to use, not train (tfnis.linkage.parameters;
    u re-estimated from these records when reestimate_u); trained here when None or when they do not fit.
    field_codes: the fields' integer codes as match_fields found them (codes_out), so as not to factorise again.
    """
    codes, tuple_of = _distinct(fields, field_codes)
    del fields  # the per-record fields are done with
    tuples = codes.fields
    n = len(tuples)

    key_links, rule_of = deterministic_links(tuples, codes)
    known_l, known_r = known_links if known_links is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    key_l = np.r_[key_links["left"].to_numpy(), tuple_of[np.asarray(known_l, dtype=np.int64)]]
    key_r = np.r_[key_links["right"].to_numpy(), tuple_of[np.asarray(known_r, dtype=np.int64)]]
    # The model's columns added to the distinct records in place: a copy would be a million strings more.
    cluster = connected_components(n, key_l, key_r)
    tuples["uid"] = np.arange(n)
    tuples["cluster"] = cluster
    del key_links
    result = score_with_model(
        ModelInput(tuples, codes=codes), threshold, engine, model=model, reestimate_u=reestimate_u
    )
    scored = result.pairs
    person = consistent_components(
        cluster,
        scored["uid_l"].to_numpy(dtype=np.int64),
        scored["uid_r"].to_numpy(dtype=np.int64),
        scored["match_probability"].to_numpy(),
        tuples,
        households="sex" in tuples.columns and tuples["sex"].notna().any(),
    )

    best = pd.concat(
        [
            scored[["uid_l", "match_probability"]].set_axis(["uid", "p"], axis=1),
            scored[["uid_r", "match_probability"]].set_axis(["uid", "p"], axis=1),
        ]
    )
    best_probability = best.groupby("uid")["p"].max().reindex(np.arange(n)).to_numpy()
    rule = np.where(rule_of != "", rule_of, np.where(~np.isnan(best_probability), PROBABILISTIC, ""))
    probability = np.where(rule == PROBABILISTIC, best_probability, np.nan)
    record_rule = rule[tuple_of]
    repeated = np.bincount(tuple_of, minlength=n)[tuple_of] > 1
    record_rule = np.where((record_rule == "") & repeated, IDENTICAL, record_rule)
    return Links(person=person[tuple_of], rule=record_rule, probability=probability[tuple_of], model=result.model)


def link_records(
    records: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    new_key: Callable[[], str] = random_key,
    allow_non_uk_postcodes: bool = True,
    engine: str = "duckdb",
    model: ModelParameters | None = None,
    reestimate_u: bool = False,
) -> pd.DataFrame:
    """record_id, person_key, match_rule, match_probability for every input row (same order).

    engine: splink's backend for the model, duckdb (in process) or spark (the same model: same keys,
    comparisons, vetoes and threshold).

    records: record_id and any of forename, middle_names, surname, date_of_birth, sex, postcode, nino, upn,
    nhs_number, address, other_id.
    """
    records = records.reset_index(drop=True)
    field_codes: FieldCodes = {}
    # The fields go straight to link_fields, which lets the per-record frame go once it has the distinct ones.
    links = link_fields(
        match_fields(records, allow_non_uk_postcodes=allow_non_uk_postcodes, codes_out=field_codes),
        threshold=threshold,
        engine=engine,
        model=model,
        reestimate_u=reestimate_u,
        field_codes=field_codes,
    )
    labels, person_code = np.unique(links.person, return_inverse=True)
    keys = np.array([new_key() for _ in range(len(labels))], dtype=object)
    return pd.DataFrame(
        {
            "record_id": records["record_id"].to_numpy() if "record_id" in records else np.arange(len(records)),
            "person_key": keys[person_code],
            "match_rule": links.rule,
            "match_probability": links.probability,
        }
    )
