"""The probabilistic (Fellegi–Sunter) part of matching, run by splink on DuckDB.

Only pairs the match keys have not already joined are scored: every blocking rule carries
`l.cluster <> r.cluster`, where `cluster` is the deterministic cluster of the record. Comparisons and
blocking rules are built from whichever match fields the data has, so the same model serves the pipeline's
identifiers and a research team's plain file. Parameters are estimated on the data itself: u by random
sampling with a fixed seed, m by expectation maximisation on two blocking passes, the prior from the pairs
the match keys found.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tfnis.linkage.parameters import (
    PRIOR,
    REUSED,
    TRAINED,
    ModelParameters,
    UnusableModel,
    parameters_of,
    with_parameters,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    from splink.internals.splink_dataframe import SplinkDataFrame

    from tfnis.linkage.match_keys import KeyCodes

SEED = 5
U_PAIRS = 3e5  # random pairs for u: more only moves rare levels' u, which barely changes a link
EM_PAIRS = 1e5  # pairs per EM pass: as good as 2.5e5 at 200k and 1M records (docs/linkage-benchmarks.md), half the time
# EM converges in 2-8 iterations on data with people in it; on a file with hardly any repeats (a council's first
# return) it wanders the full 25 of splink's default, each a query DuckDB plans afresh.
EM_MAX_ITERATIONS = 10
# Records a slice of prediction: the candidate pairs of one slice are what DuckDB holds at once.
PREDICT_CHUNK_RECORDS = 100_000
# Assumed share of true pairs that the strict match keys find; turns their count into the prior.
KEY_RECALL = 0.6


@dataclass(frozen=True)
class ModelInput:
    """Distinct records to score: `uid` (int), `cluster` (deterministic cluster id), the match fields,
    and optionally `scope` (1 for records whose links are wanted; pairs need one side in scope)."""

    records: pd.DataFrame
    scoped: bool = False
    codes: KeyCodes | None = None  # the match fields' codes, row for row, when the caller has them
    memory: EngineMemory | None = None  # DuckDB's limit (None: its default, 80 % of the machine's memory)
    # The records these stand for when they are a selection (a submission's and the index rows that could pair
    # with them, of a whole index): the prior is that of the whole, not of the selection (prior_from_clusters).
    population: int = 0


@dataclass(frozen=True)
class EngineMemory:
    """DuckDB's memory limit while the model trains and predicts, and where it spills past it: the match
    function sets it from its own memory, so the engine spills to ephemeral storage instead of the function
    running out (at a 5M index the pandas rows and an unlimited engine together passed 3008 MB)."""

    limit: str  # e.g. "450MB"
    temp_directory: Path | None = None


# Share of stated values per column, keyed by the column's array: comparisons, blocking and training ask
# about the same columns some seventy times, and counting a million Python strings costs 50 ms each time.
# Keyed by id, the entry dropped when the array is collected (so an id is never reused stale): pandas' arrays
# are unhashable, so a WeakKeyDictionary cannot hold them (it raised TypeError, and nothing was ever cached).
_SHARE_STATED: dict[int, float] = {}


def _share_stated(column: pd.Series) -> float:
    array = column.array
    if (share := _SHARE_STATED.get(id(array))) is not None:
        return share
    share = float(column.notna().mean()) if len(column) else 0.0
    with suppress(TypeError):  # an array type without weak references is not cached
        weakref.finalize(array, _SHARE_STATED.pop, id(array), None)
        _SHARE_STATED[id(array)] = share
    return share


def _has(records: pd.DataFrame, column: str, minimum_share: float = 0.01) -> bool:
    return column in records.columns and _share_stated(records[column]) >= minimum_share


# Forename and surname swapped, one part exact and the other at most a typo away (Loureiro Afonso for
# Afonso Loureiro): at one date of birth such a pair is one person (miss classes in docs/linkage-benchmarks.md).
def _names_swapped_with_a_typo(jaro_winkler: str) -> str:
    return (
        f"(forename_l = surname_r AND {jaro_winkler}(surname_l, forename_r) >= 0.8) "
        f"OR (surname_l = forename_r AND {jaro_winkler}(forename_l, surname_r) >= 0.8)"
    )


# The few expressions that splink has no level for and that the SQL dialects spell differently.
_YEAR = {"duckdb": "try_cast(left({column}, 4) AS INTEGER)", "spark": "cast(left({column}, 4) AS INT)"}


def _custom(name: str, levels: list):  # -> splink CustomComparison
    import splink.comparison_library as cl

    return cl.CustomComparison(comparison_levels=levels, output_column_name=name)


# One record's name stands where the other has another name: `{jw}` is the dialect's Jaro-Winkler function.
_NAME_IN_ANOTHER_PLACE = "{jw}({a}_l, {b}_r) >= {similarity} OR {jw}({b}_l, {a}_r) >= {similarity}"


def _forename_comparison(records: pd.DataFrame, swapped_with_a_typo: str, jaro_winkler: str):
    """Forename: exact, nickname, close, known by a middle name, swapped names, a typo, an initial."""
    import splink.comparison_level_library as cll

    # Known by a middle name: one record's forename is the other's middle name (Anne Eleanor -> Eleanor), or
    # nearly (a typo in either).
    # Not where the middle names agree as well: then one record's forename is its own middle name (Anne Anne Pugh /
    # Zoe Anne Hutchinson), and the one name shared would count twice, here and in the middle names' comparison
    # (at a million records its two largest classes were 127 false links to 2 true; docs/linkage-benchmarks.md).
    middle_names_differ = cll.Or(cll.NullLevel("middle_names"), cll.Not(cll.ExactMatchLevel("middle_names")))
    by_middle_name = (
        [
            cll.And(
                cll.Or(
                    cll.ColumnsReversedLevel("forename", "middle_names"),
                    cll.ColumnsReversedLevel("middle_names", "forename"),
                ),
                middle_names_differ,
            ).configure(label_for_charts="known by a middle name"),
            cll.And(
                cll.CustomLevel(
                    _NAME_IN_ANOTHER_PLACE.format(jw=jaro_winkler, a="forename", b="middle_names", similarity=0.88)
                ),
                middle_names_differ,
            ).configure(label_for_charts="known by a middle name, a typo in one"),
        ]
        if _has(records, "middle_names")
        else []
    )
    # Names swapped where one record lacks the other name (Kajus Kiska -> Kajus, surname blank).
    one_name_swapped = cll.CustomLevel(
        _NAME_IN_ANOTHER_PLACE.format(jw=jaro_winkler, a="forename", b="surname", similarity=0.9),
        "forename in the surname's place",
    )
    return _custom(
        "forename",
        [
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename", term_frequency_adjustments=True),
            cll.ArrayIntersectLevel("forename_alias_list", 1).configure(label_for_charts="nickname"),
            cll.JaroWinklerLevel("forename", 0.92),
            *by_middle_name,
            cll.Or(
                cll.ExactMatchLevel("forename_first"),
                cll.ColumnsReversedLevel("forename", "surname", symmetrical=True),
            ).configure(label_for_charts="first forename or swapped names"),
            cll.CustomLevel(swapped_with_a_typo, "names swapped, one with a typo"),
            one_name_swapped,
            # A typo in a short name (Zoe, oZe) falls below any Jaro-Winkler level.
            cll.DamerauLevenshteinLevel("forename", 1),
            cll.JaroWinklerLevel("forename", 0.8),
            cll.DamerauLevenshteinLevel("forename", 2),
            cll.CustomLevel(
                "(length(forename_l) = 1 OR length(forename_r) = 1) AND left(forename_l, 1) = left(forename_r, 1)",
                "initial",
            ),
            cll.ElseLevel(),
        ],
    )


def _middle_names_comparison():
    """Middle names: exact, or the same initial."""
    import splink.comparison_level_library as cll
    from splink import ColumnExpression

    return _custom(
        "middle_names",
        [
            cll.NullLevel("middle_names"),
            cll.ExactMatchLevel("middle_names"),
            cll.ExactMatchLevel(ColumnExpression("middle_names").substr(1, 1)).configure(label_for_charts="initial"),
            cll.ElseLevel(),
        ],
    )


def _surname_comparison(records: pd.DataFrame, swapped_with_a_typo: str):
    """Surname: exact, close, part of a double-barrelled one, swapped with the forename, same Soundex."""
    import splink.comparison_level_library as cll

    swapped = (
        [cll.CustomLevel(swapped_with_a_typo, "names swapped, a typo allowed")] if _has(records, "forename") else []
    )
    return _custom(
        "surname",
        [
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.CustomLevel(
                "surname_first_l = surname_r OR surname_last_l = surname_r "
                "OR surname_l = surname_first_r OR surname_l = surname_last_r "
                "OR surname_first_l = surname_first_r OR surname_last_l = surname_last_r",
                "part of a double-barrelled surname",
            ),
            *swapped,
            cll.ExactMatchLevel("surname_phonetic").configure(label_for_charts="same Soundex"),
            cll.JaroWinklerLevel("surname", 0.8),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison(sql_dialect: str):
    """Date of birth: exact, day and month swapped, one typo, a year out, a day out."""
    import splink.comparison_level_library as cll

    year_l, year_r = (_YEAR[sql_dialect].format(column=f"dob_{side}") for side in "lr")
    return _custom(
        "dob",
        [
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "left(dob_l, 4) = left(dob_r, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
                "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
                "day and month swapped",
            ),
            # One typo that leaves a date no calendar has (1975-27-17): a slip for certain, where a real date one
            # digit from another may be a stranger's, a namesake's born days or years apart
            # (docs/linkage-benchmarks.md).
            cll.And(cll.DamerauLevenshteinLevel("dob", 1), cll.NullLevel("dob_date")).configure(
                label_for_charts="one typo, one date impossible"
            ),
            cll.DamerauLevenshteinLevel("dob", 1).configure(label_for_charts="one typo"),
            # The slips that cross a digit boundary (2019 -> 2020, 09 -> 10): a year out with day and
            # month kept, or a day out. Not "within a year": siblings of one name are months apart.
            cll.CustomLevel(f"right(dob_l, 5) = right(dob_r, 5) AND abs({year_l} - {year_r}) = 1", "a year out"),
            cll.AbsoluteDateDifferenceLevel("dob_date", input_is_string=False, threshold=1, metric="day").configure(
                label_for_charts="a day out"
            ),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison():
    """Postcode: exact, one typo, same sector, same district, same area (the letters of the outward code)."""
    import splink.comparison_level_library as cll
    from splink import ColumnExpression

    from tfnis.linkage.match_keys import POSTCODE_AREA

    return _custom(
        "postcode",
        [
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.CustomLevel(
                "postcode_district_l = postcode_district_r AND "
                "left(postcode_l, length(postcode_l) - 2) = left(postcode_r, length(postcode_r) - 2)",
                "same sector",
            ),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="same district"),
            # Most moves stay within a council, which a postcode area roughly is, while a namesake elsewhere in a
            # national index rarely shares it: splitting "another postcode" in two (docs/linkage-benchmarks.md).
            cll.ExactMatchLevel(ColumnExpression("postcode_district").regex_extract(POSTCODE_AREA)).configure(
                label_for_charts="same area"
            ),
            cll.ElseLevel(),
        ],
    )


def _identifier_comparison(identifier: str, *edit_distances: int):
    """An identifier (NINO, UPN, NHS number, other_id): exact, then within each edit distance given."""
    import splink.comparison_level_library as cll

    return _custom(
        identifier,
        [
            cll.NullLevel(identifier),
            cll.ExactMatchLevel(identifier),
            *(cll.DamerauLevenshteinLevel(identifier, distance) for distance in edit_distances),
            cll.ElseLevel(),
        ],
    )


def _address_comparison():
    """Free-text address: exact, then three Jaro-Winkler bands."""
    import splink.comparison_level_library as cll

    return _custom(
        "address",
        [
            cll.NullLevel("address"),
            cll.ExactMatchLevel("address"),
            *(cll.JaroWinklerLevel("address", similarity) for similarity in (0.95, 0.88, 0.75)),
            cll.ElseLevel(),
        ],
    )


def comparisons(records: pd.DataFrame, sql_dialect: str = "duckdb") -> list:
    """One comparison per match field the data carries; levels from strongest to weakest. The same model
    in either engine's SQL (`sql_dialect` duckdb or spark)."""
    from splink.internals.dialects import SplinkDialect

    jaro_winkler = SplinkDialect.from_string(sql_dialect).jaro_winkler_function_name
    swapped_with_a_typo = _names_swapped_with_a_typo(jaro_winkler)
    found = []
    if _has(records, "forename"):
        found.append(_forename_comparison(records, swapped_with_a_typo, jaro_winkler))
    if _has(records, "middle_names"):
        found.append(_middle_names_comparison())
    if _has(records, "surname"):
        found.append(_surname_comparison(records, swapped_with_a_typo))
    if _has(records, "dob"):
        found.append(_dob_comparison(sql_dialect))
    if _has(records, "sex"):
        import splink.comparison_level_library as cll

        found.append(_custom("sex", [cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()]))
    if _has(records, "postcode"):
        found.append(_postcode_comparison())
    found.extend(_identifier_comparison(c, 1) for c in ("nino", "upn", "nhs_number") if _has(records, c, 0.001))
    if _has(records, "other_id"):
        found.append(_identifier_comparison("other_id", 1, 2))
    if _has(records, "address"):
        found.append(_address_comparison())
    return found


# Candidate pairs: any of these agreements. Each must be cheap at a million records.
_BLOCKING = (
    ("nino",),
    ("upn",),
    ("nhs_number",),
    ("other_id",),
    ("forename", "surname"),
    ("dob", "surname_phonetic"),
    ("dob", "forename_first"),
    ("dob", "postcode"),
    ("postcode", "surname_phonetic"),
    ("postcode", "forename_first"),
    ("forename_first", "surname_phonetic", "dob_year"),
    # Known by a middle name, or a forename typed wrong: the middle name with the date or the surname.
    ("dob", "middle_names"),
    ("middle_names", "surname"),
    # A typo in the forename, the date slipped or the postcode moved: the surname, the initial and the year.
    ("forename_initial", "surname", "dob_year"),
    # The year of birth keyed wrongly (or slipped a year) and the surname typed wrong or changed, the postcode moved:
    # the forename with the day and month of birth. Known by the same two names under another surname.
    ("forename", "dob_day_month"),
    ("forename", "middle_names"),
    # Surname changed or typed wrong and the forename typed wrong: the date of birth with the forename's initial.
    ("dob", "forename_initial"),
    # The same, at one address where the date of birth slipped: the postcode with the forename's initial.
    ("postcode", "forename_initial"),
)


# Blocking key parts derived from a match field (as tfnis.linkage.match_keys.KeyCodes derives them), in SQL.
_DERIVED_FROM = {"dob_year": "dob", "dob_day_month": "dob", "forename_initial": "forename"}
_DERIVED_SQL = {
    "dob_year": "left({side}.dob, 4)",
    "dob_day_month": "right({side}.dob, 5)",
    "forename_initial": "left({side}.forename, 1)",
}


def _blocking_part(column: str) -> str:
    if column in _DERIVED_SQL:
        return f"{_DERIVED_SQL[column].format(side='l')} = {_DERIVED_SQL[column].format(side='r')}"
    return f"l.{column} = r.{column}"


def blocking_columns(records: pd.DataFrame) -> list[tuple[str, ...]]:
    return [cols for cols in _BLOCKING if all(_has(records, _DERIVED_FROM.get(c, c), 0.001) for c in cols)]


def _representative_column(columns: tuple[str, ...]) -> str:
    return "representative_" + "_".join(columns)


def with_representatives(records: pd.DataFrame, codes: KeyCodes | None = None) -> pd.DataFrame:
    """Mark, per blocking rule, one record of each deterministic cluster for each value of the rule's key:
    the one that states most. A person seen in six returns under one name is then compared once, not six
    times, with each other person of that name (a seventh of the pairs at a million records)."""
    import numpy as np

    from tfnis.linkage.match_keys import KeyCodes

    codes = codes or KeyCodes(records)
    fields = [c for c in records.columns if c not in ("uid", "cluster", "scope")]
    order = np.argsort(-records[fields].notna().sum(axis=1).to_numpy(), kind="stable")
    cluster = records["cluster"].to_numpy(dtype=np.int64)
    marks = {}
    for columns in blocking_columns(records):
        key = codes.combine(columns)
        in_cluster = cluster * (int(key.max()) + 2) + key
        first = ~pd.Series(in_cluster[order]).duplicated().to_numpy()
        mark = np.zeros(len(records), dtype=bool)
        mark[order[first]] = True
        marks[_representative_column(columns)] = mark & (key >= 0)
    # Columns added without copying the records' own (a frame of a million strings per copy).
    return pd.concat([records, pd.DataFrame(marks, index=records.index)], axis=1, copy=False)


# The broad rules (a common name across the country; a household's members) only bring pairs whose
# dates of birth could be one person's: a date missing, or one slip away, which keeps either the year (a day
# or month keyed wrongly, day and month swapped) or the day and month (a year keyed wrongly). Pairs with
# equal dates come in by the date rules anyway. At a million records this drops most of the pairs scored.
# Household data only (a sex column), as for the vetoes: in a file like FEBRL's a date may carry two slips.
_BROAD = {
    ("forename", "surname"),
    ("postcode", "surname_phonetic"),
    ("middle_names", "surname"),
}
_DATES_COULD_AGREE = (
    "(l.dob IS NULL OR r.dob IS NULL OR left(l.dob, 4) = left(r.dob, 4) OR right(l.dob, 5) = right(r.dob, 5))"
)


# Swapped forename and surname at one date of birth, or at one address (where the date of birth is often
# blank or slipped as well): each direction is its own equi-join.
_SWAPPED_BLOCKING = {
    "dob": ("l.dob = r.dob AND l.forename = r.surname", "l.dob = r.dob AND l.surname = r.forename"),
    "postcode": (
        "l.postcode = r.postcode AND l.forename = r.surname",
        "l.postcode = r.postcode AND l.surname = r.forename",
    ),
}


def blocking_rules(records: pd.DataFrame, *, scoped: bool) -> list[str]:
    rules = []
    for columns in blocking_columns(records):
        parts = [_blocking_part(c) for c in columns]
        if columns in _BROAD and _has(records, "dob") and _has(records, "sex"):
            parts.append(_DATES_COULD_AGREE)
        parts.append("l.cluster <> r.cluster")
        representative = _representative_column(columns)
        if representative in records.columns:
            parts.append(f"l.{representative} AND r.{representative}")
        if scoped:
            parts.append("(l.scope = 1 OR r.scope = 1)")
        rules.append(" AND ".join(parts))
    for shared, swapped in _SWAPPED_BLOCKING.items():
        if all(_has(records, c) for c in (shared, "forename", "surname")):
            rules.extend(
                " AND ".join([rule, "l.cluster <> r.cluster", *(["(l.scope = 1 OR r.scope = 1)"] if scoped else [])])
                for rule in swapped
            )
    return rules


def _training_rules(
    records: pd.DataFrame, codes: KeyCodes | None = None, rows: np.ndarray | None = None
) -> tuple[str | None, list[str]]:
    """Two EM passes that between them free every comparison. First block on date of birth (frees names,
    postcode, identifiers); then on a shared identifier, which admits almost only true pairs, so the date of
    birth's disagreement levels are learnt from people rather than from a parent and child of one name.
    Returns the first pass and the candidates for the second, best first: each identifier that gives enough
    pairs to learn from (a council's first returns share few NINOs with the index yet), then the full name,
    else the postcode."""
    first = "l.dob = r.dob" if _has(records, "dob") else None
    second = [f"l.{c} = r.{c}" for c in ("nino", "upn", "nhs_number", "other_id") if _has(records, c, 0.05)]
    if _has(records, "forename") and _has(records, "surname"):
        second.append("l.forename = r.forename AND l.surname = r.surname")
    elif _has(records, "postcode"):
        second.append("l.postcode = r.postcode")
    return first, [rule for rule in second if training_pairs(records, rule, codes, rows) >= MIN_TRAINING_PAIRS]


def prior_from_clusters(records: pd.DataFrame, population: int = 0) -> float:
    """Probability two random records match, from the deterministic clusters (pairs found / KEY_RECALL).

    Of a `population` larger than the records (they are a selection of it): the pairs found grow with the
    records, all pairs with their square, so the selection's prior is scaled by records / population. A
    submission's model reads the index rows that could pair with it, 0.34M of a 0.5M index and far fewer of
    5M: read as the whole, every new person's namesakes elsewhere were that much likelier to be them."""
    sizes = records["cluster"].value_counts().to_numpy()
    found = float((sizes * (sizes - 1) / 2).sum())
    n = len(records)
    total = n * (n - 1) / 2
    if total <= 0:
        return 1e-4
    scale = n / population if population > n else 1.0
    return float(min(max(found / KEY_RECALL / total, 1e-7) * scale, 0.5))


ENGINES = ("duckdb", "spark")


def score_pairs(model_input: ModelInput, threshold: float, engine: str = "duckdb") -> pd.DataFrame:
    """Scored candidate pairs at or above threshold: columns uid_l, uid_r, match_probability. The engine is
    splink's backend: duckdb (in process) or spark (pyspark local mode or a cluster's session)."""
    return score_with_model(model_input, threshold, engine).pairs


@dataclass(frozen=True)
class Scored:
    """The pairs, the model's parameters as used (None when there was no model) and how it came to be:
    parameters.TRAINED, REUSED or PRIOR (u re-estimated), or "" for no model."""

    pairs: pd.DataFrame
    model: ModelParameters | None = None
    how: str = ""


def score_with_model(
    model_input: ModelInput, threshold: float, engine: str = "duckdb", *, model: ModelParameters | None = None,
    reestimate_u: bool = False,
) -> Scored:  # fmt: skip
    """score_pairs with a stored model (tfnis.linkage.parameters): its m and u are used as they are (or u
    re-estimated from these records when reestimate_u), with no training. Without one, or when it does not fit
    these records' comparisons (logged, no value), the model is trained here as before."""
    import numpy as np
    from splink import Linker

    from tfnis.linkage.match_keys import KeyCodes
    from tfnis.linkage.second_look import SecondLook

    codes = model_input.codes or KeyCodes(model_input.records)
    records = with_representatives(model_input.records, codes)
    empty = Scored(pd.DataFrame({"uid_l": [], "uid_r": [], "match_probability": []}))
    found = comparisons(records, engine)
    rules = blocking_rules(records, scoped=model_input.scoped)
    if len(records) < 2 or not found or not rules:
        return empty
    settings = _settings(records, found, rules, engine, model_input.population)
    # A record that represents its cluster under no blocking rule is in no candidate pair: leave it out of
    # DuckDB altogether (half the distinct records at a million).
    in_model = records.filter(like="representative_").to_numpy().any(axis=1)
    how, settings = _stored_settings(settings, _in_dialect(model, records, rules, engine), engine, reestimate_u)
    passes = training_passes(records, codes, np.flatnonzero(in_model)) if how == TRAINED else None
    memory = model_input.memory
    look = SecondLook.of(records, codes, in_model, under_a_limit=memory is not None)
    del codes, model_input
    if how == TRAINED and passes is None:
        return empty  # too little data to estimate the model: keys and council ids only
    # Columns only their own comparison reads, when the data has none: not copied into the engine.
    used = [c for c in records.columns if c not in _SELF_CONTAINED or _share_stated(records[c]) > 0]
    # Slices of about PREDICT_CHUNK_RECORDS right-hand records (at most 1.5 times it; right_slices cuts the later
    # ones narrower, by pairs): each slice blocks every rule again, so a first return just over 100,000 records is
    # one slice, not two.
    chunks = max(1, round(int(in_model.sum()) / PREDICT_CHUNK_RECORDS)) if engine == "duckdb" else 1
    slices = right_slices(records["uid"].to_numpy()[in_model], chunks)
    read = _read_by_model(settings, passes, used) if engine == "duckdb" else None
    with _engine_table(records, engine, used, in_model, memory, read) as table:
        del records  # the engine holds its own copy
        # splink's settings validation parses every SQL string to log unknown columns (0.8 s at 100,000 records),
        # which the ERROR log level then drops; the settings are this module's own, tested.
        linker = Linker(table, _as_run(settings, engine), log_level=logging.ERROR, validate_settings=False)
        if passes is not None and not train(linker, passes):
            return empty
        if how == PRIOR and PRIOR_U_PAIRS:
            # A level the sample never reaches keeps the prior's u: splink updates only levels it observed.
            _estimate_u(linker, PRIOR_U_PAIRS)
        as_run = parameters_of(linker, index_rows=0, trained_records=int(in_model.sum()), sql_dialect=engine)
        used_model = replace(as_run, settings=_ungated(as_run.settings))
        own_blocking = (rules, _RECORDS_TABLE) if engine == "duckdb" else (None, None)
        # Under a memory limit (the match function) each rule is one join: with the broad rules' four equi-joins
        # each (nine more joins in the one query) a 100,000-person submission against a 500,000-row index ran out
        # of the model's 451 MB in blocking ("failed to pin block"; bench/index_bench.py), one join each did not.
        pairs = _predicted_pairs(linker, threshold, slices, *own_blocking, equi_joins=memory is None)
        if look is not None:
            pairs = look(linker, pairs, threshold, (rules, _RECORDS_TABLE) if engine == "duckdb" else None)
        return Scored(pairs, used_model, how)


# u re-estimated for the prior model on a new stack's first submission from fewer pairs than training's U_PAIRS:
# the common levels' u follow the council's population, a level the sample misses keeps the prior's (0.35 s of
# 0.7 at 1e5 pairs; held-out F1 the same; docs/linkage-benchmarks.md "A trained model, reused").
# 0: the prior's u as shipped.
PRIOR_U_PAIRS = 3e4


# A cheap test that every pair within one edit passes, put before DuckDB's Damerau-Levenshtein (a matrix per
# pair) in the levels "within one edit": most candidate pairs are further apart, and the function was a third
# of prediction's comparison time at 200,000 hard records (postcode 0.78 s -> 0.15 s). One edit (a substitution,
# an adjacent transposition, an insertion or a deletion) at position p leaves the first p characters alike and
# all after p + 1 alike; so in strings of at least 2k + 1 characters the first k or the last k agree. Only the SQL
# that runs has the test: the levels as stored (tfnis.linkage.parameters, the shipped prior) are splink's own, so
# stored models still fit.
_ONE_EDIT = 'damerau_levenshtein("{c}_l", "{c}_r") <= 1'
_FIRST_OR_LAST = (
    "(least(length({c}_l), length({c}_r)) <= {twice} "
    "OR left({c}_l, {k}) = left({c}_r, {k}) OR right({c}_l, {k}) = right({c}_r, {k}))"
)
_EDIT_GATES = {
    c: _FIRST_OR_LAST.format(c=c, k=k, twice=2 * k)
    for c, k in (("postcode", 2), ("nino", 3), ("upn", 3), ("nhs_number", 3))
}
# DuckDB's damerau_levenshtein costs about six times its levenshtein (1 against 0.15 microseconds a pair of names),
# and the one bounds the other: Damerau-Levenshtein <= Levenshtein (every Levenshtein edit is one of its edits) and
# Levenshtein <= 2 x Damerau-Levenshtein (a transposition is two substitutions). So within k by Levenshtein is
# within k, more than 2k is not, and only the pairs between are left to damerau_levenshtein. Forename 1.7 -> 1.1
# CPU-s per slice of 2 million pairs at a million hard records, postcode (behind its test) 1.0 -> 0.7.
_LEVENSHTEIN_FIRST = (
    "(CASE WHEN levenshtein({c}_l, {c}_r) <= {k} THEN true WHEN levenshtein({c}_l, {c}_r) > {twice} THEN false "
    "ELSE damerau_levenshtein({c}_l, {c}_r) <= {k} END)"
)
_WITHIN = 'damerau_levenshtein("{c}_l", "{c}_r") <= {k}'  # as splink writes DamerauLevenshteinLevel(c, k)
_GATED = {
    _ONE_EDIT.format(c=c): f"({gate} AND {_LEVENSHTEIN_FIRST.format(c=c, k=1, twice=2)})"
    for c, gate in _EDIT_GATES.items()
}
_GATED.update(
    {
        _WITHIN.format(c=c, k=k): _LEVENSHTEIN_FIRST.format(c=c, k=k, twice=2 * k)
        for c, k in (("forename", 1), ("forename", 2), ("other_id", 1), ("other_id", 2))
    }
)
# Dates of birth are all ten characters (YYYY-MM-DD), and candidate pairs mostly share a year, so the test above let
# most through. Between strings of one length, one edit is one substitution (Hamming distance 1) or one adjacent
# transposition (Hamming distance 2): DuckDB's hamming (per character, as damerau_levenshtein is) is a single pass,
# and the matrix is left for the few pairs two characters apart or of other lengths. A CASE, because DuckDB
# evaluates each branch only on the rows that reach it (hamming fails on strings of different lengths; an AND would
# run both sides). The date's CASE 2.0 -> 0.7 CPU-s per slice of 2 million pairs at a million hard records
# (docs/linkage-benchmarks.md, fourth pass); tests/unit/test_linkage_model.py checks it against
# damerau_levenshtein on every one- and two-edit variant of sample dates.
_SAME_LENGTH_ONE_EDIT = (
    "(CASE WHEN length({c}_l) <> length({c}_r) THEN damerau_levenshtein({c}_l, {c}_r) <= 1 "
    "WHEN hamming({c}_l, {c}_r) <= 1 THEN true "
    "WHEN hamming({c}_l, {c}_r) = 2 THEN damerau_levenshtein({c}_l, {c}_r) <= 1 ELSE false END)"
)
_GATED[_ONE_EDIT.format(c="dob")] = _SAME_LENGTH_ONE_EDIT.format(c="dob")
# "One typo, one date impossible" as splink writes it tests the typo first, so every pair reaching that level ran
# the typo test twice (there and at "one typo"): with the impossible date first, only the few such pairs run it.
_DATE_IMPOSSIBLE = '("dob_date_l" IS NULL OR "dob_date_r" IS NULL)'
_REORDERED = {
    f"({_GATED[_ONE_EDIT.format(c='dob')]}) AND {_DATE_IMPOSSIBLE}": (
        f"{_DATE_IMPOSSIBLE} AND ({_GATED[_ONE_EDIT.format(c='dob')]})"
    )
}


def _rewritten(settings: dict, replacements: dict[str, str]) -> dict:
    comparisons = []
    for comparison in settings["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            sql = level["sql_condition"]
            for old, new in replacements.items():
                sql = sql.replace(old, new)
            levels.append({**level, "sql_condition": sql})
        comparisons.append({**comparison, "comparison_levels": levels})
    return {**settings, "comparisons": comparisons}


def _gated(settings: dict, sql_dialect: str) -> dict:
    """The settings as DuckDB runs them: each "within one edit" level behind its cheap test (_EDIT_GATES, the
    date's Hamming test), the impossible date tested before the typo (_REORDERED)."""
    if sql_dialect != "duckdb":
        return settings
    return _rewritten(_rewritten(settings, _GATED), _REORDERED)


def _ungated(settings: dict) -> dict:
    """The settings as they are stored: splink's own levels, without the tests _gated added."""
    restored = _rewritten(settings, {new: old for old, new in _REORDERED.items()})
    return _rewritten(restored, {new: old for old, new in _GATED.items()})


def _as_run(settings: dict, engine: str) -> dict:
    """The settings splink is given: _gated, and on DuckDB without the blocking rules, which blocked_pairs_sql
    runs instead. splink keeps every column a blocking rule names in each pair it compares (with
    retain_matching_columns): the representative marks, clusters and scope, which the model does not read."""
    if engine != "duckdb":
        return _gated(settings, engine)
    return {**_gated(settings, engine), "blocking_rules_to_generate_predictions": []}


def _settings(records: pd.DataFrame, found: list, rules: list[str], sql_dialect: str, population: int = 0) -> dict:
    """splink's settings dict for these records, untrained."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=found,
        blocking_rules_to_generate_predictions=rules,  # type: ignore[arg-type]  # SQL strings are accepted
        probability_two_random_records_match=prior_from_clusters(records, population),
        max_iterations=EM_MAX_ITERATIONS,
        retain_matching_columns=True,  # brings the gamma levels, which feed the veto
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
    ).create_settings_dict(sql_dialect)


def _in_dialect(model: ModelParameters | None, records: pd.DataFrame, rules: list[str], sql_dialect: str):
    """The stored model with its m and u on the same comparisons in another engine's SQL, so that a model trained
    on DuckDB scores on Spark as it is. comparisons() writes each engine's levels one for one, in one order; the
    stored model is matched to these records in its own dialect first (with_parameters), then moved across."""
    if model is None or model.sql_dialect == sql_dialect:
        return model
    try:
        theirs = _settings(records, comparisons(records, model.sql_dialect), rules, model.sql_dialect)
        theirs = with_parameters(theirs, model, model.sql_dialect)
    except UnusableModel:
        return model  # _stored_settings says why and trains
    ours = _settings(records, comparisons(records, sql_dialect), rules, sql_dialect)
    for mine, stored in zip(ours["comparisons"], theirs["comparisons"], strict=True):
        for level, old in zip(mine["comparison_levels"], stored["comparison_levels"], strict=True):
            level.update({p: old[p] for p in ("m_probability", "u_probability") if p in old})
    return replace(model, settings=ours, sql_dialect=sql_dialect)


def _stored_settings(
    settings: dict, model: ModelParameters | None, engine: str, reestimate_u: bool
) -> tuple[str, dict]:
    """(how, settings): the stored model's parameters in these records' settings (REUSED, or PRIOR when u is
    to be re-estimated), or TRAINED and the settings as they were when there is none or it does not fit."""
    if model is None:
        return TRAINED, settings
    try:
        return (PRIOR if reestimate_u else REUSED), with_parameters(settings, model, engine)
    except UnusableModel as error:
        logger.warning("%s: the model is trained on these records", error)
        return TRAINED, settings


def _predicted_pairs(
    linker,
    threshold: float,
    slices: list[tuple[int, int]] | None = None,
    rules: list[str] | None = None,
    table: str | None = None,
    *,
    equi_joins: bool = True,
) -> pd.DataFrame:
    """The model's pairs at or above threshold, not vetoed: uid_l, uid_r, match_probability, latest records first.
    Scored in `slices` of the right-hand records (right_slices), each slice's pairs fetched and its table dropped
    before the next, so the engine never holds every candidate pair at once. Only the pair's ids, probability and
    comparison levels leave the engine: the matching columns it also holds (both records' every field, kept for
    the levels) would be Python strings in pandas, a gigabyte at a million. With the records' DuckDB `table`
    (its name) and the blocking `rules`, the candidate pairs are found by blocked_pairs_sql (the same pairs as
    splink's own blocking, in about 40 % of its time) and splink scores them; without (Spark), splink blocks
    and scores in one slice. Sorted by record, the pairs come back in one order every run, whatever the order
    of the engine's threads."""
    if table is None:
        predictions = linker.inference.predict_chunk(
            left_chunk=(1, 1), right_chunk=(1, 1), threshold_match_probability=threshold, warning_mode="never"
        )
        found = [_not_vetoed(linker, predictions)]
    else:
        parts: list[tuple[int, int] | None] = [*slices] if slices else [None]
        found = [
            scored_blocked_pairs(
                linker,
                linker.misc.query_sql(
                    blocked_pairs_sql(rules or [], table, right, equi_joins=equi_joins), output_type="splink_df"
                ),
                threshold,
            )
            for right in parts
        ]
    # One order every run, whatever the engine's threads did: consistent_components takes links of equal strength
    # in the order given. Later records first: on the hard 20k held-out seeds 3/4/5 pair F1 0.9920/0.9915/0.9920,
    # earlier first 0.9918/0.9908/0.9918, the engine's order (before) 0.9920/0.9911/0.9918; the same at seed 1.
    return pd.concat(found, ignore_index=True).sort_values(["uid_l", "uid_r"], ascending=False, ignore_index=True)


def right_slices(uids: np.ndarray, chunks: int) -> list[tuple[int, int]] | None:
    """Ranges [low, high) of the right-hand records' uids for blocked_pairs_sql, each with at most 1/chunks of the
    records and of the candidate pairs (so about `chunks` of them, a few more); None for one slice.

    By range, not by hash as splink slices: a pair has its lower uid on the left, so a slice's left-hand records
    are only those below its top, and each rule's join probes those, not the whole table (the table, every
    rule, every slice was a join's fixed cost). The pairs below a uid grow as its square, so a slice of high
    uids holds more pairs than one of low uids of the same width: a slice ends where either its records or its
    pairs reach their share. Both bound what the engine holds: the records, the joins' hash tables (built on
    the right-hand records, every rule's at once); the pairs, the scoring. At a million hard records blocking
    took 19.2 CPU-s in its 10 slices against 27.9 in splink's 8 (docs/linkage-benchmarks.md, fifth pass)."""
    import math
    from itertools import pairwise

    import numpy as np

    if chunks <= 1 or len(uids) == 0:
        return None
    ordered = np.sort(uids)
    shares, share = [], 0.0
    while share < 1:
        share = min(share + 1 / chunks, math.sqrt(share * share + 1 / chunks))
        share = 1.0 if share > 1 - 0.01 / chunks else share  # no sliver of a slice at the end
        shares.append(share)
    cuts = {int(ordered[min(len(ordered) - 1, round(len(ordered) * share))]) for share in shares[:-1]}
    bounds = sorted({int(ordered[0]), *cuts, int(ordered[-1]) + 1})
    return list(pairwise(bounds))


def scored_blocked_pairs(linker, blocked: SplinkDataFrame, threshold: float) -> pd.DataFrame:
    """The `blocked` pairs (match_key, join_key_l, join_key_r) scored by the linker's model, at or above
    threshold and not vetoed: uid_l, uid_r, match_probability. The blocked table is dropped once scored."""
    linker.table_management.register_blocked_pairs_for_predict(blocked)
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    blocked.drop_table_from_database_and_remove_from_cache()
    return _not_vetoed(linker, predictions)


def _not_vetoed(linker, predictions: SplinkDataFrame) -> pd.DataFrame:
    """The predictions' pairs not vetoed (uid_l, uid_r, match_probability); the predictions table is dropped. Only
    the ids, probability and comparison levels leave the engine, not the matching columns it also holds."""
    gammas = [name for name in (c.unquote().name for c in predictions.columns) if name.startswith("gamma_")]
    columns = ", ".join(["uid_l", "uid_r", "match_probability", *gammas])
    pairs = linker.misc.query_sql(f"SELECT {columns} FROM {predictions.physical_name}", output_type="pandas")
    predictions.drop_table_from_database_and_remove_from_cache()
    pairs = pairs.astype({"uid_l": "int64", "uid_r": "int64"})
    return pairs[~vetoed(pairs)][["uid_l", "uid_r", "match_probability"]]


def blocked_pairs_sql(
    rules: list[str], table: str, right: tuple[int, int] | None = None, *, equi_joins: bool = True
) -> str:
    """Candidate pairs of a dedupe, as splink's blocking finds them: each pair once, with match_key the first
    rule that brings it; with `right` (low, high), only the pairs whose right-hand uid is in [low, high).

    Written here because splink excludes the pairs of earlier rules from each rule's join by repeating every
    earlier rule's condition on it, so the last of twenty rules tests nineteen conditions per pair: 60 % of
    prediction's blocking time at 200,000 records. A union of the joins grouped by pair gives the same pairs
    and keys (tests/unit/test_linkage_model.py compares them with splink's)."""
    # Every pair of the slice has its left-hand uid below `high` too: said outright, so the probe side is cut.
    slice_of = f" AND r.uid >= {right[0]} AND r.uid < {right[1]} AND l.uid < {right[1]}" if right else ""
    joins = " UNION ALL ".join(
        f"SELECT {number} AS rule, l.uid AS join_key_l, r.uid AS join_key_r FROM {table} AS l "
        f"INNER JOIN {table} AS r ON ({join}) WHERE l.uid < r.uid{slice_of}"
        for number, rule in enumerate(rules)
        for join in (_equi_joins(rule) if equi_joins else [rule])
    )
    return (
        "SELECT CAST(min(rule) AS VARCHAR) AS match_key, join_key_l, join_key_r "
        f"FROM ({joins}) GROUP BY join_key_l, join_key_r"
    )


# The broad rules' date condition as alternatives each of which a hash join can use: the OR of them is
# _DATES_COULD_AGREE, and the pairs each brings are grouped with the rest (blocked_pairs_sql), so the same pairs
# and keys come out. As one OR it was tested on every pair of one name across the country: the forename and
# surname rule took 1.3 of 3.6 CPU-s of a slice's blocking at a million hard records (docs/linkage-benchmarks.md).
_DATES_COULD_AGREE_EACH = (
    "left(l.dob, 4) = left(r.dob, 4)",
    "right(l.dob, 5) = right(r.dob, 5)",
    "l.dob IS NULL",
    "r.dob IS NULL",
)


def _equi_joins(rule: str) -> list[str]:
    """A blocking rule as joins whose union brings the same pairs: one per alternative of its date condition."""
    if _DATES_COULD_AGREE not in rule:
        return [rule]
    return [rule.replace(_DATES_COULD_AGREE, alternative) for alternative in _DATES_COULD_AGREE_EACH]


# The model's records in its DuckDB: every column, for blocked_pairs_sql (the representative marks, the clusters).
_RECORDS_TABLE = "records"
# What splink is handed: a view of the columns it reads (_read_by_model).
_MODEL_VIEW = "model_records"


def _read_by_model(settings: dict, passes: tuple[str, list[str]] | None, columns: list[str]) -> list[str]:
    """The columns splink reads of the engine's table: the unique id and those the comparisons (their levels and
    term frequencies) and the EM passes' rules name. Not the representative marks, clusters or scope, which only
    blocked_pairs_sql reads: splink copies every column of its input for each slice it scores (its source
    pruning), so a view of these is half as wide (docs/linkage-benchmarks.md, fifth pass)."""
    import json
    import re

    text = json.dumps(settings["comparisons"])
    if passes is not None:
        text += " " + " ".join([passes[0], *passes[1]])
    table = [*columns, "forename_alias_list", "dob_date"]
    named = [c for c in table if re.search(rf'\b{c}_[lr]\b|\b[lr]\.{c}\b|"{c}"', text)]
    return ["uid", *[c for c in named if c != "uid"]]


@contextmanager
def _engine_table(
    records: pd.DataFrame,
    engine: str,
    columns: list[str],
    rows: np.ndarray,
    memory: EngineMemory | None = None,
    read: list[str] | None = None,
) -> Iterator[SplinkDataFrame]:
    """The `columns` of the records where `rows` (a mask) as a table of the engine's splink backend, with the
    alias list and the date the comparisons use parsed once per record, not once per pair. With `read`
    (DuckDB), splink is handed a view of only those columns; the table (_RECORDS_TABLE) keeps them all."""
    if engine == "spark":
        yield _spark_table(records.loc[rows, columns].reset_index(drop=True))
        return
    if engine != "duckdb":
        raise ValueError(f"unknown linkage engine {engine!r}: one of {', '.join(ENGINES)}")
    import duckdb
    from splink import DuckDBAPI

    # The match Lambda has no pyarrow (docs/deploy.md): DuckDB reads the pandas frame itself and splink is
    # handed the table's name; DuckDBAPI.register(<frame>) would import pyarrow first.
    con = duckdb.connect()
    if memory is not None:
        con.execute(f"SET memory_limit = '{memory.limit}'")
        if memory.temp_directory is not None:
            con.execute(f"SET temp_directory = '{memory.temp_directory}'")
    # DuckDB picks the rows and columns itself: a pandas copy of them would be a million strings more.
    con.register("records_frame", records)
    con.register("rows_frame", pd.DataFrame({"in_model": rows}))
    # A table, not a view: splink scans its input a dozen times (u, EM blocking and sampling, term
    # frequencies, prediction), and every scan of a pandas frame converts each Python string again.
    con.execute(
        f"CREATE TABLE {_RECORDS_TABLE} AS SELECT {', '.join(columns)}, "
        "string_split(forename_aliases, '|') AS forename_alias_list, try_strptime(dob, '%Y-%m-%d')::DATE AS dob_date "
        "FROM records_frame POSITIONAL JOIN rows_frame WHERE in_model"
    )
    con.unregister("records_frame")
    con.unregister("rows_frame")
    del records  # the table is DuckDB's own copy: the frame's Python strings can go with the caller's
    handed = _RECORDS_TABLE
    if read is not None:
        con.execute(f"CREATE VIEW {_MODEL_VIEW} AS SELECT {', '.join(read)} FROM {_RECORDS_TABLE}")
        handed = _MODEL_VIEW
    try:
        with lists_registered_as_pandas():
            yield DuckDBAPI(connection=con).register(handed)
    finally:
        con.close()


def _spark_table(records: pd.DataFrame) -> SplinkDataFrame:
    """The records in the active Spark session (or a local one), registered with splink's Spark backend."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from splink import SparkAPI

    spark = SparkSession.getActiveSession() or local_spark_session()
    plain = records.astype(object).where(records.notna(), None)
    frame = spark.createDataFrame(plain)
    frame = frame.withColumn("forename_alias_list", F.split("forename_aliases", r"\|")).withColumn(
        "dob_date", F.to_date("dob", "yyyy-MM-dd")
    )
    # Lineage broken in memory: a checkpoint would write personal data to a directory of its own.
    api = SparkAPI(spark_session=spark, break_lineage_method="persist", num_partitions_on_repartition=4)
    return api.register(frame)


def local_spark_session():  # -> pyspark.sql.SparkSession (pyspark is imported only by the spark engine)
    """pyspark in local mode on this machine's cores: `tfnis link --engine spark` and the tests. A Glue job
    brings its own session, which score_pairs picks up as the active one."""
    import os
    import sys

    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    # Spark's Python workers must be this Python (pyspark refuses another minor version); pyspark reads the
    # choice from the environment of the process that starts the session, not from the session's config.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master("local[*]")
        .appName("tfnis-linkage")
        .config("spark.jars", similarity_jar_location())  # splink's string similarity UDFs (Jaro-Winkler...)
        .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))  # small data: few, busy tasks
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


_SELF_CONTAINED = ("middle_names", "nino", "upn", "nhs_number", "other_id", "address")


def _pandas_if_list_tuple_or_dict(table: object) -> object:
    """What splink's DuckDB backend registers for a Python list of records or a dict of columns: a pandas
    frame, which DuckDB scans without pyarrow (splink's own version builds an Arrow table)."""
    if isinstance(table, (list, tuple)):
        return pd.DataFrame.from_records(list(table))
    if isinstance(table, dict):
        return pd.DataFrame(table)
    return table


# The m of a level no training match reaches (sexes differing, middle names differing on the hard data): rare among
# matches, not impossible, so evidence against that an identifier can still outweigh. Read as splink's "not
# observed" (Bayes factor 1) such levels counted as if blank (docs/linkage-benchmarks.md, fifth pass).
UNREACHED_M = 1e-4


@contextmanager
def underflowed_m_floored() -> Iterator[None]:
    """Within: a level whose m an EM iteration computes as below 1e-300 (its share of the matches underflowed
    to 0: the sample's matches never reach it) gets UNREACHED_M rather than raising ValueError and failing the
    whole pass. Without this the date-of-birth
    pass failed at a million household records (the model then linked nothing: cluster F1 0.85 not 0.997)
    while the same pass on another draw of pairs trained; see docs/linkage-benchmarks.md."""
    from splink.internals import expectation_maximisation
    from splink.internals.comparison_level import M_U_CLAMP_MIN

    original = expectation_maximisation.m_u_records_to_lookup_dict

    def lookup_without_underflow(records: list) -> dict:
        lookup = original(records)
        for levels in lookup.values():
            for values in levels.values():
                m = values.get("m_probability")
                if isinstance(m, (int, float)) and m < M_U_CLAMP_MIN:
                    values["m_probability"] = UNREACHED_M
        return lookup

    expectation_maximisation.m_u_records_to_lookup_dict = lookup_without_underflow  # type: ignore[assignment]
    try:
        yield
    finally:
        expectation_maximisation.m_u_records_to_lookup_dict = original  # type: ignore[assignment]


@contextmanager
def lists_registered_as_pandas() -> Iterator[None]:
    """Within: splink's training (u samples, EM parameter tables) registers pandas frames, not Arrow tables,
    so it runs where pyarrow is absent (the match Lambda). The same path runs locally, so tests cover it."""
    from splink.internals.duckdb import database_api

    original = database_api.to_pyarrow_if_list_tuple_or_dict
    database_api.to_pyarrow_if_list_tuple_or_dict = _pandas_if_list_tuple_or_dict  # type: ignore[assignment]
    try:
        yield
    finally:
        database_api.to_pyarrow_if_list_tuple_or_dict = original


# Evidence a Fellegi–Sunter sum cannot outweigh. The model adds up agreements as if independent, but a
# household's twins agree on surname, date of birth and postcode together; two different valid NINOs,
# UPNs or NHS numbers, or two plainly different forenames with no identifier in common, are two people.
_IDENTIFIERS = ("nino", "upn", "nhs_number")
ELSE_LEVEL = 0


def vetoed(pairs: pd.DataFrame) -> pd.Series:
    """Pairs the model scored over the threshold that the identifier and forename evidence rules out."""
    import numpy as np

    veto = np.zeros(len(pairs), dtype=bool)
    shared_identifier = np.zeros(len(pairs), dtype=bool)
    # Level numbers count up from else (0): identifiers are exact 2, one edit 1; other_id exact 3, two edits 1.
    for identifier, close in (("nino", 1), ("upn", 1), ("nhs_number", 1), ("other_id", 1)):
        gamma = f"gamma_{identifier}"
        if gamma in pairs.columns:
            levels = pairs[gamma].to_numpy()
            if identifier in _IDENTIFIERS:
                veto |= levels == ELSE_LEVEL
            shared_identifier |= levels >= close
    # A parent and child of one name at one address: every name and the postcode agree, the dates of birth
    # have nothing in common (not a typo, not day and month swapped, not a year or a day out). Without an
    # identifier in common that is two people, however rare the name. Households only, as for twins below.
    households = "gamma_sex" in pairs.columns
    if households and "gamma_dob" in pairs.columns:
        veto |= (pairs["gamma_dob"].to_numpy() == ELSE_LEVEL) & ~shared_identifier
    # Twins: only where both records state a sex. A file without sex (FEBRL) has no households to protect,
    # and there a plainly different forename is often a corrupted one; see docs/linkage.md.
    if "gamma_forename" in pairs.columns and "gamma_sex" in pairs.columns:
        sex_stated = pairs["gamma_sex"].to_numpy() >= 0
        veto |= (pairs["gamma_forename"].to_numpy() == ELSE_LEVEL) & sex_stated & ~shared_identifier
    return pd.Series(veto, index=pairs.index)


MIN_TRAINING_PAIRS = 500  # splink: EM wants at least a few hundred pairs per pass


def training_pairs(
    records: pd.DataFrame, rule: str, codes: KeyCodes | None = None, rows: np.ndarray | None = None
) -> int:
    """How many pairs an equality training rule (l.a = r.a AND ...) generates among `rows` of the records (all
    when None); from the records' integer codes (`codes`, row for row) when the caller has them, as grouping a
    million strings takes seconds."""
    import re

    import numpy as np

    from tfnis.linkage.match_keys import KeyCodes

    columns = re.findall(r"l\.(\w+) = r\.", rule)
    key = (codes or KeyCodes(records)).combine(columns)
    if rows is not None:
        key = key[rows]
    sizes = np.bincount(key[key >= 0]).astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def training_passes(
    records: pd.DataFrame, codes: KeyCodes | None = None, rows: np.ndarray | None = None
) -> tuple[str, list[str]] | None:
    """The EM passes for `rows` of the records (all when None): the first and the candidates for the second;
    None when a pass has too few pairs to learn from (an untrained model links strangers)."""
    first, second = _training_rules(records, codes, rows)
    if first is None or not second or training_pairs(records, first, codes, rows) < MIN_TRAINING_PAIRS:
        return None
    return first, second


def train(linker, passes: tuple[str, list[str]]) -> bool:
    """u by seeded random sampling; m by EM on `passes` (training_passes), capped so a million records train
    in seconds. False when every candidate for a pass fails: an untrained model links strangers."""
    import warnings

    first, second = passes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _estimate_u(linker, U_PAIRS)
        if not _em_pass(linker, first):
            return False
        return any(_em_pass(linker, rule) for rule in second)


def _estimate_u(linker, pairs: float) -> None:
    """u by random sampling of `pairs` pairs, seeded (a replay gives the same keys)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker.training.estimate_u_using_random_sampling(
            max_pairs=pairs, seed=SEED, min_count_per_level=None, num_chunks=1
        )


def _em_pass(linker, rule: str) -> bool:
    """One EM pass; False when splink gives up on it (a pass changes the model only when it completes)."""
    try:
        with underflowed_m_floored():
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=EM_PAIRS, estimate_without_term_frequencies=True
            )
    except Exception as error:
        # splink raises EMTrainingException, SQL errors, and ValueError when a level's m underflows to 0
        # (a level no training pair reaches).
        if type(error).__name__ not in ("EMTrainingException", "SplinkException", "ValueError"):
            raise
        return False
    return True
