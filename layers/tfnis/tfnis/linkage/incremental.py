"""Serial, incremental matching of one submission against the persistent linkage index.

Order of evidence, strongest first; a record takes the first that links it:
1. council_person_id: the council's own person_id seen before in the same la_code, corroborated by date of
   birth (either way round), NINO, UPN or forename + Soundex surname (ids are stable most of the time).
2. match keys (tfnis.linkage.match_keys) looked up in the index, ONS style: a key value is used only when it
   points at one person in the index and one council person in the submission (twins share relaxed keys).
3. the probabilistic model: the record's best-scoring person in the index at or above the threshold.
Records still unlinked are clustered among themselves (same council person, strict keys, model links) and
each cluster is a new person with a fresh random key. Persons already in the index are never merged or
re-keyed: a person_key, once given, is permanent.

family_key follows a council family (la_code, family_id) across periods; a family seen for the first time
takes the family_key its people carried before (e.g. under another council) unless another family in the
submission has a better claim to it, else a new key.

Replaying a submission against the index it produced changes nothing: every record is found again by
rule 1 (same council person, same date of birth), every family by its (la_code, family_id), and the rows it
would add to the index are already there.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import cast

import numpy as np
import pandas as pd

from tfnis.linkage import DEFAULT_THRESHOLD
from tfnis.linkage.clusters import connected_components, consistent_components
from tfnis.linkage.index import SAMPLED, ParquetIndex, release_freed_memory
from tfnis.linkage.match_keys import (
    MATCH_KEY_RULES,
    KeyCodes,
    forenames_compatible,
    key_edges,
    key_parts,
)
from tfnis.linkage.model import SEED, EngineMemory, ModelInput, Scored, blocking_columns, score_with_model
from tfnis.linkage.normalise import MATCH_FIELDS, FieldCodes, match_fields
from tfnis.linkage.parameters import TRAINED, ModelParameters, merged, prior_model, training_due
from tfnis.linkage.quality import NEAR_THRESHOLD, linkage_quality

COUNCIL_PERSON_ID = "council_person_id"
PROBABILISTIC = "probabilistic"
NEW_PERSON = "new_person"

# The index holds only what later matching needs: the normalised match fields (never the raw values: the
# model compares normalised forms only), the person and family keys, and the council's own ids so the
# next period's return is found by person_id and family_id. address and other_id are tfnis-link-only.
INDEX_FIELDS: tuple[str, ...] = tuple(f for f in MATCH_FIELDS if f not in ("address", "other_id"))
INDEX_COLUMNS: tuple[str, ...] = ("person_key", "family_key", "la_code", "person_id", "family_id", *INDEX_FIELDS)
KEY_MAP_COLUMNS = ("record_token", "person_key", "family_key", "match_rule", "match_probability")
# Keys strong enough to join two unlinked records of one submission without the model.
STRICT_RULES = ("nino_dob", "nhs_number_dob", "upn", "name_dob_postcode")
# Below this many records the model has too little to estimate its parameters from.
MODEL_MINIMUM_RECORDS = 200
# Past this many index rows the model reads only the rows that could pair with the submission, plus this
# many at random (seeded) so u and term frequencies are still learnt from the population at large.
MODEL_INDEX_SAMPLE = 100_000


def random_key() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class MatchResult:
    """key_map: one row per record_token (KEY_MAP_COLUMNS). new_rows: the rows the index lacks (INDEX_COLUMNS,
    canonical order; none on a replay). index: the whole updated index when it was given as a frame, else
    None (a ParquetIndex is updated by adding new_rows as a file)."""

    key_map: pd.DataFrame
    new_rows: pd.DataFrame
    quality: dict[str, float | int] = field(default_factory=dict)
    base: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # the index given as a frame
    # The model's parameters when this submission trained them (to store with the index), else None; and how
    # the model came to be: parameters.TRAINED, REUSED, PRIOR, or "" (no model ran).
    model: ModelParameters | None = field(default=None, repr=False, compare=False)
    model_source: str = ""

    @cached_property
    def index(self) -> pd.DataFrame | None:
        """Built on demand: sorting a whole index costs seconds the match stage does not spend."""
        return None if self.base is None else updated_index(self.base, self.new_rows)


def empty_index() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in INDEX_COLUMNS})


def _as_index(index: pd.DataFrame | None) -> pd.DataFrame:
    if index is None or len(index) == 0:
        return empty_index()
    return index[list(INDEX_COLUMNS)].astype("string").reset_index(drop=True)


def _ids(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.mask(text == "", pd.NA)


def match_submission(
    identifiers: pd.DataFrame,
    index: pd.DataFrame | ParquetIndex | None,
    *,
    new_key: Callable[[], str] = random_key,
    threshold: float = DEFAULT_THRESHOLD,
    index_sample: int = MODEL_INDEX_SAMPLE,
    model: ModelParameters | None = None,
    retrain: bool = False,
    engine_memory: EngineMemory | None = None,
) -> MatchResult:
    """Link each record of a submission to a person (and its council family to a family). Past index_sample
    index rows the model reads only the rows that could pair plus index_sample at random.

    model: the stored model (tfnis.linkage.parameters), reused unless training is due (training_due, or
    `retrain`); the result's `model` is the one to store when this submission trained it. engine_memory: the
    model's DuckDB limit and spill directory (the match function's; None: DuckDB's default)."""
    records = identifiers.reset_index(drop=True)
    field_codes: FieldCodes = {}
    fields = _submission_fields(records, field_codes)
    dates = dates_must_agree(fields)
    old, drawn = _index_rows(index, fields, index_sample, dates)
    n = len(records)
    person = np.full(n, None, dtype=object)
    rule = np.full(n, "", dtype=object)
    probability = np.full(n, np.nan)

    _by_council_person_id(fields, old, person, rule)
    _by_match_keys(fields, old, person, rule)
    candidates = _index_rows_for_model(old, fields[pd.isna(person)], index_sample, drawn, dates)
    if isinstance(index, ParquetIndex):
        # Past the model, family keys need the rows of the submission's council families (in hand) and every
        # row of the persons linked to (read again below); the rest is not held while the model runs.
        old = old.merge(fields[["la_code", "family_id"]].dropna().drop_duplicates(), on=["la_code", "family_id"])
    near_miss = np.full(n, np.nan)
    use = replace(_model_to_use(model, _index_size(index), retrain), memory=engine_memory)
    scored = _by_model(fields, candidates, person, rule, probability, threshold, new_key, near_miss, use, field_codes)
    del candidates

    person_key = pd.Series(person, dtype="string")
    if isinstance(index, ParquetIndex):
        # A row the index holds already is one of a linked person's, so rows_not_in finds it among these.
        linked = person_key[rule != NEW_PERSON].dropna().unique()
        old = _as_index(pd.concat([old, index.rows_of_persons(list(linked), INDEX_COLUMNS)], ignore_index=True))
    family_key = family_keys(fields, person_key, old, new_key)
    key_map = pd.DataFrame(
        {
            "record_token": records["record_token"].to_numpy(),
            "person_key": person_key.to_numpy(),
            "family_key": family_key.to_numpy(),
            "match_rule": rule,
            "match_probability": probability,
        }
    )
    new_rows = fields.assign(person_key=person_key, family_key=family_key)[list(INDEX_COLUMNS)]
    added = rows_not_in(old, new_rows)
    quality = linkage_quality(key_map, near_miss, threshold=threshold)
    base = None if isinstance(index, ParquetIndex) else old
    return MatchResult(key_map, added, quality, base, model=_to_store(scored, use, model), model_source=scored.how)


def _submission_fields(records: pd.DataFrame, codes_out: FieldCodes | None = None) -> pd.DataFrame:
    """The records' match fields (normalised) and the council's own ids; the fields' codes into codes_out."""
    fields = match_fields(records, allow_non_uk_postcodes=False, codes_out=codes_out)
    for column in ("la_code", "person_id", "family_id"):
        fields[column] = _ids(records[column])
    return fields


def _to_store(scored: Scored, use: ModelUse, stored: ModelParameters | None) -> ModelParameters | None:
    """The model to store with the index: one trained here (with the stored one's other comparisons), else None."""
    if scored.how != TRAINED or scored.model is None:
        return None
    return merged(replace(scored.model, index_rows=use.index_rows), stored)


def _index_size(index: pd.DataFrame | ParquetIndex | None) -> int:
    if index is None:
        return 0
    return index.size() if isinstance(index, ParquetIndex) else len(index)


@dataclass(frozen=True)
class ModelUse:
    """The parameters score_with_model starts from (None: train), whether u is re-estimated (the prior), and
    the engine's memory."""

    model: ModelParameters | None = None
    reestimate_u: bool = False
    index_rows: int = 0  # the index's rows now: a model trained here is stored with it
    memory: EngineMemory | None = None  # the engine's memory limit (match_submission's engine_memory)


def _model_to_use(stored: ModelParameters | None, index_rows: int, retrain: bool) -> ModelUse:
    """Train, reuse the stored model, or (an empty index, nothing stored) the prior with u from the submission."""
    if training_due(stored, index_rows, retrain=retrain):
        return ModelUse(index_rows=index_rows)
    if stored is None:
        return ModelUse(prior_model(), reestimate_u=True, index_rows=index_rows)
    return ModelUse(stored, index_rows=index_rows)


def _index_rows(
    index: pd.DataFrame | ParquetIndex | None, fields: pd.DataFrame, sample: int, dates: bool
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """(rows, drawn): the index rows matching reads, and for a ParquetIndex which of them were drawn at random
    (None for a frame: all of it is read)."""
    if not isinstance(index, ParquetIndex):
        return _as_index(index), None
    # Only the rows that could matter to this submission (tfnis.linkage.index): the same answers as the whole
    # index, in memory that follows the submission.
    rows = index.rows_for(fields, INDEX_COLUMNS, sample, dates_must_agree=dates)
    drawn = rows.pop(SAMPLED).to_numpy(dtype=bool)
    return rows.reset_index(drop=True), drawn


def rows_not_in(old: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
    """The distinct new rows the index does not hold yet (blanks equal to blanks)."""
    combined = pd.concat([old, new_rows.astype("string")], ignore_index=True)
    # Rows of two persons differ, so only rows whose person_key recurs are compared whole: on a first return
    # (every person new, seen once) that is few rows, and factorising all sixteen columns was 0.4 s of 100,000.
    person, _ = pd.factorize(combined["person_key"], use_na_sentinel=True)
    recurring = np.flatnonzero(pd.Series(person).duplicated(keep=False).to_numpy())
    codes = np.column_stack(
        [pd.factorize(combined[c].iloc[recurring], use_na_sentinel=True)[0].astype(np.int32) for c in INDEX_COLUMNS]
    )
    seen = np.zeros(len(combined), dtype=bool)
    seen[recurring] = pd.DataFrame(codes).duplicated(keep="first").to_numpy()
    return combined.iloc[len(old) :][~seen[len(old) :]].reset_index(drop=True)


def updated_index(old: pd.DataFrame, new_rows: pd.DataFrame) -> pd.DataFrame:
    """Old rows plus the distinct new ones, in a canonical order (so a replay gives an identical frame)."""
    combined = pd.concat([old, new_rows.astype("string")], ignore_index=True)
    # Sorted by every column, blanks first; equal rows are then neighbours and one of each is kept. Codes of
    # each column's sorted distinct values make it integer work (a string sort of a million rows takes seconds).
    codes = [pd.factorize(combined[c], sort=True, use_na_sentinel=True)[0].astype(np.int32) for c in INDEX_COLUMNS]
    order = np.lexsort(codes[::-1])
    grid = np.column_stack([c[order] for c in codes])
    distinct = np.r_[True, (grid[1:] != grid[:-1]).any(axis=1)] if len(grid) else np.ones(0, dtype=bool)
    return combined.iloc[order[distinct]].reset_index(drop=True)


def _corroborates(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Row-wise: does index row b back up that record a is the same council person?"""

    def same(column: str, x: pd.DataFrame = a, y: pd.DataFrame = b) -> np.ndarray:
        return (x[column].reset_index(drop=True) == y[column].reset_index(drop=True)).fillna(False).to_numpy(bool)

    parts_a, parts_b = key_parts(a), key_parts(b)
    return (
        same("dob")
        | same("dob_unordered", parts_a, parts_b)
        | same("nino")
        | same("upn")
        | (same("forename_first") & same("surname_phonetic"))
    )


def _by_council_person_id(fields: pd.DataFrame, old: pd.DataFrame, person: np.ndarray, rule: np.ndarray) -> None:
    if old.empty:
        return
    left = fields.reset_index(names="position").dropna(subset=["la_code", "person_id"])
    pairs = left.merge(old, on=["la_code", "person_id"], suffixes=("", "_index"))
    if pairs.empty:
        return
    index_side = pairs[[f"{c}_index" for c in INDEX_FIELDS]].set_axis(list(INDEX_FIELDS), axis=1)
    pairs = pairs[_corroborates(pairs[list(INDEX_FIELDS)], index_side)]
    keys = pairs.groupby("position")["person_key"].agg(["nunique", "first"])
    keys = keys[keys["nunique"] == 1]
    positions = keys.index.to_numpy()
    person[positions] = keys["first"].to_numpy()
    rule[positions] = COUNCIL_PERSON_ID


def _by_match_keys(fields: pd.DataFrame, old: pd.DataFrame, person: np.ndarray, rule: np.ndarray) -> None:
    if old.empty:
        return
    council_person = (
        fields["la_code"].fillna("") + "\x1f" + fields["person_id"].fillna(pd.Series(fields.index).astype(str))
    )
    # Keys of the index and of the submission as integers from one set of codes: comparable across the two.
    n_old = len(old)
    # A column at a time (RowsThenRecords): the two frames are never copied whole into one.
    codes = KeyCodes(cast("pd.DataFrame", RowsThenRecords(old, None, fields)))
    old_person = pd.factorize(old["person_key"])[0]
    old_position = np.arange(n_old)
    for key_rule in MATCH_KEY_RULES:
        waiting = pd.isna(person)
        if not waiting.any():
            return
        if any(p not in old.columns and p not in ("forename_initial", "dob_unordered") for p in key_rule.parts):
            continue
        both_keys = codes.key(key_rule)
        old_key, key = both_keys[:n_old], both_keys[n_old:]
        owned = old_key >= 0
        owners = pd.DataFrame({"key": old_key[owned], "person": old_person[owned], "row": old_position[owned]})
        unique_owner = owners.groupby("key").agg(persons=("person", "nunique"), row=("row", "first"))
        unique_owner = unique_owner[unique_owner["persons"] == 1]
        # One council person per key value in the submission (twins share relaxed keys).
        people_per_key = council_person[key >= 0].groupby(key[key >= 0]).nunique()
        found = pd.DataFrame({"key": key, "waiting": waiting}).reset_index(names="position")
        found = found[found["waiting"] & (found["key"] >= 0)]
        found = found[found["key"].map(people_per_key).eq(1)]
        found = found.merge(unique_owner[["row"]], left_on="key", right_index=True)
        rows = found["row"].to_numpy()
        if key_rule.forename_relaxed and len(found):
            mine = fields["forename"].to_numpy(dtype=object, na_value=None)[found["position"]]
            aliases = fields["forename_aliases"].to_numpy(dtype=object, na_value=None)[found["position"]]
            theirs = old["forename"].to_numpy(dtype=object, na_value=None)[rows]
            ok = np.asarray(
                [forenames_compatible(a, b, x, None) for a, b, x in zip(mine, theirs, aliases, strict=True)], dtype=bool
            )
            found, rows = found[ok], rows[ok]
        positions = found["position"].to_numpy()
        person[positions] = old["person_key"].to_numpy(dtype=object)[rows]
        rule[positions] = key_rule.name


def _by_model(
    fields: pd.DataFrame,
    candidates: pd.DataFrame,
    person: np.ndarray,
    rule: np.ndarray,
    probability: np.ndarray,
    threshold: float,
    new_key: Callable[[], str],
    near_miss: np.ndarray | None = None,
    use: ModelUse | None = None,
    field_codes: FieldCodes | None = None,
) -> Scored:
    """Model links for the records still waiting (against the candidate index rows, _index_rows_for_model),
    then new persons for what is left. Returns how the model was scored (its pairs, its parameters).
    field_codes: the fields' codes from match_fields, taken for the waiting records rather than found again."""
    waiting = np.flatnonzero(pd.isna(person))
    if len(waiting) == 0:
        return Scored(pd.DataFrame())
    codes = KeyCodes(fields, field_codes).take(waiting)
    mine = codes.fields
    lefts, rights = _edges_within_submission(mine, codes)
    links, scored = _model_links(candidates, mine, threshold, use or ModelUse(), codes)
    # Model links join the groups strongest first, never two holding different identifiers or dates (clusters.py).
    group = connected_components(len(mine), np.concatenate(lefts), np.concatenate(rights))
    households = "sex" in mine and mine["sex"].notna().any()
    group = consistent_components(group, links.left, links.right, links.p, mine, households=households)
    group_key, group_p = _keys_of_groups(group, links.to_index, new_key)
    person[waiting] = [group_key[g] for g in group]
    rule[waiting] = [PROBABILISTIC if g in group_p else NEW_PERSON for g in group]
    probability[waiting] = [group_p.get(g, np.nan) for g in group]
    if near_miss is not None and len(links.near):
        positions, best = _near_misses(links.near, group, group_p)
        near_miss[waiting[positions]] = best
    return scored


def _edges_within_submission(
    mine: pd.DataFrame, key_codes: KeyCodes | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(lefts, rights): edges between unlinked records of one submission that are one person without the
    model: the same council person, or a strict key."""
    council = mine["la_code"].fillna("") + "\x1f" + mine["person_id"].fillna(pd.Series(mine.index).astype(str))
    codes, _ = pd.factorize(council)
    first_of = pd.Series(np.arange(len(mine))).groupby(codes).transform("first").to_numpy()
    lefts, rights = [first_of], [np.arange(len(mine))]
    key_codes = key_codes or KeyCodes(mine[list(MATCH_FIELDS)])
    for key_rule in MATCH_KEY_RULES:
        if key_rule.name in STRICT_RULES:
            edges = key_edges(key_codes.fields, key_rule, key_codes)
            lefts.append(edges["left"].to_numpy())
            rights.append(edges["right"].to_numpy())
    return lefts, rights


def _index_rows_for_model(
    old: pd.DataFrame, mine: pd.DataFrame, sample: int, drawn: np.ndarray | None, dates_must_agree: bool
) -> pd.DataFrame:
    """The distinct (fields, person_key) rows of the index the model reads for the waiting records
    (model_candidates), chosen by position so the looked-up rows are not copied before the choice."""
    if len(mine) == 0:
        return old.iloc[:0]
    distinct = _distinct_rows(old, [*INDEX_FIELDS, "person_key"])
    chosen = candidate_positions(
        old, distinct, mine.reset_index(drop=True), sample, drawn, dates_must_agree=dates_must_agree
    )
    candidates = old.iloc[in_content_order(old, chosen)].reset_index(drop=True)
    release_freed_memory()  # the choice's codes and columns
    return candidates


@dataclass(frozen=True)
class ModelLinks:
    """What the model found for the waiting records (by position in them): left/right, links between two of
    them, with their probabilities p; to_index (position, person_key, p, row), links to index persons; near
    (position, p), pairs to index rows scored below the threshold."""

    left: np.ndarray
    right: np.ndarray
    p: np.ndarray
    to_index: pd.DataFrame
    near: pd.DataFrame


def _model_links(
    candidates: pd.DataFrame, mine: pd.DataFrame, threshold: float, use: ModelUse, codes: KeyCodes | None = None
) -> tuple[ModelLinks, Scored]:
    """The model's links among the waiting records and to the candidate index rows (none when there are too
    few records to estimate it from). codes: the waiting records' KeyCodes, if known."""
    none = np.array([], dtype=np.int64)
    no_index_links = pd.DataFrame({"position": [], "person_key": [], "p": [], "row": []})
    links = ModelLinks(none, none, np.zeros(0), no_index_links, _near_pairs(None, 0))
    base = len(candidates)
    if base + len(mine) < MODEL_MINIMUM_RECORDS:
        return links, Scored(pd.DataFrame())
    # Built in the call, so only score_with_model holds the model's records: it lets them go once DuckDB has
    # its own copy (the frames would otherwise stay alive through prediction, some 150 MB at a 2M index).
    floor = min(threshold, NEAR_THRESHOLD) if base else threshold
    result = score_with_model(
        _model_input(candidates, mine, use, codes), floor, model=use.model, reestimate_u=use.reestimate_u
    )
    scored = result.pairs
    pairs = scored[scored["match_probability"] >= threshold]
    uid_l, uid_r = pairs["uid_l"].to_numpy(np.int64), pairs["uid_r"].to_numpy(np.int64)
    both_new = (uid_l >= base) & (uid_r >= base)
    new_side = np.where(uid_l >= base, uid_l, uid_r)[~both_new] - base
    old_side = np.where(uid_l >= base, uid_r, uid_l)[~both_new]
    to_index = pd.DataFrame(
        {
            "position": new_side,
            "person_key": candidates["person_key"].to_numpy()[old_side],
            "p": pairs["match_probability"].to_numpy()[~both_new],
            "row": old_side,  # the index row's place in content order: ties broken by it, not by the random key
        }
    )
    near = _near_pairs(scored[scored["match_probability"] < threshold], base)
    probability = pairs["match_probability"].to_numpy()[both_new]
    return ModelLinks(uid_l[both_new] - base, uid_r[both_new] - base, probability, to_index, near), result


def in_content_order(rows: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """The positions of index rows put in an order of what the rows hold, not of their random person_keys (a
    frame index is sorted by key) or of the lookup's threads: the model's sampling and its ties follow row order,
    so without this the same returns matched again gave other persons (hard 20k, ten councils: three runs, three
    partitions). The order of one 64-bit hash of each row's values (pandas' fixed key: the same in every
    process), built a column at a time, so no second copy of the rows is made; a hash order is as well spread
    as the random keys' was. Rows alike in all these columns keep the order they came in."""
    digest = np.zeros(len(positions), dtype=np.uint64)
    for column in (c for c in (*INDEX_FIELDS, "la_code", "person_id", "family_id") if c in rows.columns):
        hashed = pd.util.hash_pandas_object(rows[column].iloc[positions], index=False).to_numpy()
        digest = digest * np.uint64(1_000_003) ^ hashed  # wraps modulo 2**64, as a hash may
    return np.asarray(positions)[np.argsort(digest, kind="stable")]


def _model_input(
    candidates: pd.DataFrame, mine: pd.DataFrame, use: ModelUse, codes: KeyCodes | None = None
) -> ModelInput:
    """The candidate index rows (scope 0, clustered by person) and the waiting records (scope 1), one copy of
    their fields. Pairs are scored down to NEAR_THRESHOLD: those between it and the threshold are what the
    missed-match estimate reads (tfnis.linkage.quality); only pairs at or above the threshold link."""
    fields = list(INDEX_FIELDS)
    records = pd.concat([candidates[fields], mine[fields]], ignore_index=True)
    records["scope"] = np.repeat(np.array([0, 1], dtype=np.int64), [len(candidates), len(mine)])
    old_cluster, _ = pd.factorize(candidates["person_key"])
    records["cluster"] = np.concatenate([old_cluster, len(candidates) + np.arange(len(mine))])
    records["uid"] = np.arange(len(records))
    for absent in ("address", "other_id"):
        records[absent] = pd.Series(pd.NA, index=records.index, dtype="string")
    # Without index rows the records are the waiting ones in order: their codes hold (a first return).
    known = codes.over(records) if codes is not None and len(candidates) == 0 else None
    population = use.index_rows + len(mine)  # the whole index and the waiting records: prior_from_clusters
    return ModelInput(records, scoped=True, memory=use.memory, codes=known, population=population)


def _keys_of_groups(
    group: np.ndarray, to_index: pd.DataFrame, new_key: Callable[[], str]
) -> tuple[dict[int, str], dict[int, float]]:
    """(person_key, probability) per group of waiting records: a group follows its single best link into the
    index (ties go to the index row first in content order, so the choice does not follow the random keys); a
    group without one is a new person (a fresh key, no probability)."""
    best_old = to_index.assign(group=group[to_index["position"].to_numpy(np.int64)] if len(to_index) else [])
    chosen = best_old.sort_values(["group", "p", "row"], ascending=[True, False, True]).drop_duplicates("group")
    group_key = dict(zip(chosen["group"], chosen["person_key"], strict=True))
    group_p = dict(zip(chosen["group"], chosen["p"], strict=True))
    for g in np.unique(group):
        if g not in group_key:
            group_key[g] = new_key()
    return group_key, group_p


def _near_misses(near: pd.DataFrame, group: np.ndarray, group_p: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """(positions, p): for each waiting record left a new person, the best chance the model gave it of being
    someone already indexed."""
    best = near.groupby("position")["p"].max()
    positions = best.index.to_numpy(np.int64)
    unlinked = np.asarray([g not in group_p for g in group[positions]], dtype=bool)
    return positions[unlinked], best.to_numpy()[unlinked]


def _near_pairs(scored: pd.DataFrame | None, base: int) -> pd.DataFrame:
    """Pairs below the threshold between a submission record (position) and an index row: (position, p)."""
    if scored is None:
        return pd.DataFrame({"position": np.array([], dtype=np.int64), "p": np.array([], dtype=float)})
    uid_l, uid_r = scored["uid_l"].to_numpy(np.int64), scored["uid_r"].to_numpy(np.int64)
    one_old = (uid_l >= base) != (uid_r >= base)
    position = np.where(uid_l >= base, uid_l, uid_r)[one_old] - base
    return pd.DataFrame({"position": position, "p": scored["match_probability"].to_numpy()[one_old]})


def dates_must_agree(fields: pd.DataFrame) -> bool:
    """Whether the model's broad blocking rules pair only rows whose dates of birth could agree (household
    data: dates and sexes stated; tfnis.linkage.model.blocking_rules), judged once on the submission so the
    index lookup and model_candidates agree."""
    from tfnis.linkage.model import _has

    return _has(fields, "dob") and _has(fields, "sex")


def model_candidates(
    old_tuples: pd.DataFrame,
    mine: pd.DataFrame,
    sample: int,
    drawn: np.ndarray | None = None,
    *,
    dates_must_agree: bool = False,
) -> pd.DataFrame:
    """The index rows the model needs for this submission: all of them while the index is small; past
    `sample` rows, those sharing a blocking key with a waiting record (the only ones a pair can hold; for the
    broad rules, at dates of birth that could agree when dates_must_agree) and `sample` more drawn at random
    (seeded), so the submission's time and memory follow the submission, not the index."""
    if len(old_tuples) <= sample:
        return old_tuples
    everything = np.arange(len(old_tuples))
    chosen = candidate_positions(old_tuples, everything, mine, sample, drawn, dates_must_agree=dates_must_agree)
    return old_tuples.iloc[chosen].reset_index(drop=True)


def candidate_positions(
    old: pd.DataFrame,
    rows: np.ndarray,
    mine: pd.DataFrame,
    sample: int,
    drawn: np.ndarray | None = None,
    *,
    dates_must_agree: bool = False,
) -> np.ndarray:
    """Positions in `old` of the model_candidates among old.iloc[rows] (drawn: which rows of `old` the index
    drew at random). Works a column at a time (RowsThenRecords), so the index rows are not copied whole."""
    from tfnis.linkage.model import _BROAD

    n_old = len(rows)
    if n_old <= sample:
        return rows
    both = RowsThenRecords(old, rows, mine)
    # KeyCodes and the blocking choice read only columns and the length of their frame (RowsThenRecords').
    codes = KeyCodes(cast("pd.DataFrame", both))
    keep = np.zeros(n_old, dtype=bool)
    dates = (pd.factorize(both["dob"].str[:4])[0], pd.factorize(both["dob"].str[-5:])[0])
    for columns in blocking_columns(cast("pd.DataFrame", both)):
        key = codes.combine(columns)
        if dates_must_agree and columns in _BROAD:
            keep |= _sharing_key_at_dates(key, *dates, n_old)
        else:
            keep |= _sharing_key(key, n_old)
    keep |= _sharing_swapped_names(both, n_old)
    if drawn is not None:  # the rows were already drawn at random from the whole index (ParquetIndex)
        keep |= drawn[rows]
    else:
        keep[np.random.default_rng(SEED).choice(n_old, size=sample, replace=False)] = True
    return rows[keep]


def _distinct_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Positions of the first of each set of equal rows (blanks equal), as frame.duplicated(subset=columns)
    gives them, but a column at a time: pandas factorises every column at once (at a 5M index, sixteen int64
    arrays of 2.9M looked-up rows: 370 MB). KeyCodes.combine(blank_is_a_value=True) computes the same code but
    keeps every column's codes for later rules; here each column's codes go as soon as they are folded in."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, distinct = pd.factorize(frame[column], use_na_sentinel=True)
        # Below rows x (distinct + 1) <= 10^13 at millions of rows: no overflow; renumbered each step.
        combined = pd.factorize(combined * (len(distinct) + 1) + (codes + 1))[0].astype(np.int64)
    return np.flatnonzero(~pd.Series(combined).duplicated().to_numpy())


class RowsThenRecords:
    """Some index rows then the waiting records, read one column at a time: what the candidate choice reads of
    a frame (columns, a column, the length) without copying the two whole into one frame (at a 5M index the
    looked-up rows are hundreds of MB; a column at a time is a few tens). The last few columns read are kept:
    the blocking rules ask for the same names and dates again and again."""

    KEPT = 4

    def __init__(self, old: pd.DataFrame, rows: np.ndarray | None, mine: pd.DataFrame) -> None:
        """rows: the positions of `old` to read (None: all of them, in order)."""
        self._old, self._rows, self._mine = old, rows, mine
        self.columns = pd.Index([c for c in INDEX_FIELDS if c in old.columns and c in mine.columns])
        self._kept: dict[str, pd.Series] = {}

    def __len__(self) -> int:
        return (len(self._old) if self._rows is None else len(self._rows)) + len(self._mine)

    def __getitem__(self, column: str) -> pd.Series:
        if column not in self._kept:
            if len(self._kept) >= self.KEPT:
                del self._kept[next(iter(self._kept))]  # the oldest read
            theirs = self._old[column] if self._rows is None else self._old[column].take(self._rows)
            self._kept[column] = pd.concat([theirs, self._mine[column]], ignore_index=True)
        return self._kept[column]


def _sharing_swapped_names(both: RowsThenRecords, n_old: int) -> np.ndarray:
    """Per index row (the first n_old): a waiting record has its surname as forename, or its forename as
    surname, at the same date of birth or postcode (the model's swapped-name rules, model._SWAPPED_BLOCKING)."""
    from tfnis.linkage.model import _SWAPPED_BLOCKING

    keep = np.zeros(n_old, dtype=bool)
    names = {name: both[name].astype("string") for name in ("forename", "surname")}
    for shared in _SWAPPED_BLOCKING:
        if shared not in both.columns:
            continue
        at = both[shared].astype("string")
        for mine, theirs in (("forename", "surname"), ("surname", "forename")):
            wanted = (at.iloc[n_old:] + "\x1f" + names[mine].iloc[n_old:]).dropna().unique()
            found = (at.iloc[:n_old] + "\x1f" + names[theirs].iloc[:n_old]).isin(wanted)
            keep |= found.to_numpy(dtype=bool, na_value=False)
    return keep


def _sharing_key(key: np.ndarray, n_old: int, mine: np.ndarray | None = None) -> np.ndarray:
    """Per index row (the first n_old codes): its key is one of the waiting records' (those `mine` marks)."""
    theirs = key[n_old:] if mine is None else key[n_old:][mine]
    return (key[:n_old] >= 0) & np.isin(key[:n_old], np.unique(theirs[theirs >= 0]))


def _sharing_key_at_dates(key: np.ndarray, year: np.ndarray, day_month: np.ndarray, n_old: int) -> np.ndarray:
    """Per index row: it shares the key with a waiting record whose date of birth could be its own (the same
    year, or the same day and month, or either date missing: model._DATES_COULD_AGREE)."""
    keep = np.zeros(n_old, dtype=bool)
    for part in (year, day_month):
        dated = (key >= 0) & (part >= 0)
        combined = np.where(dated, pd.factorize(key * (int(part.max()) + 2) + part)[0], -1)
        keep |= _sharing_key(combined, n_old)
    undated = year < 0
    keep |= _sharing_key(key, n_old, mine=undated[n_old:])
    keep |= undated[:n_old] & _sharing_key(key, n_old)
    return keep


def family_keys(
    fields: pd.DataFrame, person_key: pd.Series, old: pd.DataFrame, new_key: Callable[[], str]
) -> pd.Series:
    """family_key per record: the council family's key if seen before, else its people's earlier family key
    (largest overlap wins a contested key), else a new key."""
    families = pd.DataFrame({"la_code": fields["la_code"], "family_id": fields["family_id"], "person_key": person_key})
    council_family = families[["la_code", "family_id"]].drop_duplicates().reset_index(drop=True)
    known = old.dropna(subset=["family_key"]).sort_values("family_key").drop_duplicates(["la_code", "family_id"])
    council_family = council_family.merge(
        known[["la_code", "family_id", "family_key"]], on=["la_code", "family_id"], how="left"
    )
    claims = (
        families.drop_duplicates()
        .merge(old[["person_key", "family_key"]].drop_duplicates(), on="person_key")
        .groupby(["la_code", "family_id", "family_key"], dropna=False)
        .size()
        .rename("overlap")
        .reset_index()
    )
    taken = set(council_family["family_key"].dropna())
    claims = claims[~claims["family_key"].isin(taken)]
    unknown = council_family["family_key"].isna()
    claims = claims.merge(council_family.loc[unknown, ["la_code", "family_id"]], on=["la_code", "family_id"])
    claims = claims.sort_values(["overlap", "family_key", "la_code", "family_id"], ascending=[False, True, True, True])
    # Each earlier family key goes to its strongest claimant; each council family keeps its best claim.
    claims = claims.drop_duplicates("family_key").drop_duplicates(["la_code", "family_id"])
    council_family = council_family.merge(
        claims[["la_code", "family_id", "family_key"]].rename(columns={"family_key": "claimed"}),
        on=["la_code", "family_id"],
        how="left",
    )
    council_family["family_key"] = council_family["family_key"].fillna(council_family["claimed"])
    fresh = council_family["family_key"].isna()
    council_family.loc[fresh, "family_key"] = [new_key() for _ in range(int(fresh.sum()))]
    merged = families.merge(
        council_family[["la_code", "family_id", "family_key"]], on=["la_code", "family_id"], how="left"
    )
    return merged["family_key"].astype("string")
