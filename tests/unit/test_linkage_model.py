"""The probabilistic part's own rules: vetoes, one representative per cluster and key, training fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tfnis.linkage import model


def pairs(**gammas: list[int]) -> pd.DataFrame:
    return pd.DataFrame({f"gamma_{name}": values for name, values in gammas.items()})


def test_wholly_different_dates_of_birth_without_a_shared_identifier_are_two_people():
    # A parent and child of one name at one address: names and postcode agree, the dates have nothing in common.
    scored = pairs(dob=[0], sex=[1], forename=[4], nino=[-1], upn=[-1], nhs_number=[-1])
    assert model.vetoed(scored).tolist() == [True]


def test_wholly_different_dates_of_birth_with_a_shared_nino_stay_linked():
    scored = pairs(dob=[0], sex=[1], forename=[4], nino=[2], upn=[-1], nhs_number=[-1])
    assert model.vetoed(scored).tolist() == [False]


def test_files_without_sex_keep_links_whose_dates_differ():
    # FEBRL-like files: a corrupted date is likelier than a household of namesakes.
    scored = pairs(dob=[0], forename=[4])
    assert model.vetoed(scored).tolist() == [False]


def test_a_year_out_or_a_day_out_is_not_vetoed():
    scored = pairs(dob=[1, 2], sex=[1, 1], forename=[4, 4])
    assert model.vetoed(scored).tolist() == [False, False]


def test_one_representative_per_cluster_and_key_the_one_that_states_most():
    records = pd.DataFrame(
        {
            "uid": range(4),
            "cluster": [0, 0, 0, 1],
            "forename": ["jack", "jack", "john", "jack"],
            "surname": ["smith", "smith", "smith", "smith"],
            "nino": [None, "AB123456", None, None],
        },
        dtype=object,
    ).astype({"uid": int, "cluster": int})
    marked = model.with_representatives(records)
    column = "representative_forename_surname"
    # cluster 0 has "jack smith" twice: the record with a NINO represents it; "john smith" is its own key.
    assert marked[column].tolist() == [False, True, True, True]
    rules = model.blocking_rules(marked, scoped=False)
    assert any(f"l.{column} AND r.{column}" in rule for rule in rules)


class FakeTraining:
    """Stands in for splink's linker.training: EM on NINO fails the way splink does when a level's m
    underflows to zero."""

    def __init__(self) -> None:
        self.passes: list[str] = []

    def estimate_u_using_random_sampling(self, **options) -> None:
        pass

    def estimate_parameters_using_expectation_maximisation(self, rule: str, **options) -> None:
        self.passes.append(rule)
        if "nino" in rule:
            raise ValueError("m_probability value 0.0 is below the minimum allowed value")


class FakeLinker:
    def __init__(self) -> None:
        self.training = FakeTraining()


def training_records(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "dob": [f"2000-01-{d:02d}" for d in rng.integers(1, 28, n)],
            "nino": [f"AB{i:06d}" for i in rng.integers(0, 300, n)],
            "forename": rng.choice(["jack", "amelia", "noah"], n),
            "surname": rng.choice(["smith", "khan"], n),
        }
    )


def test_a_failed_second_pass_falls_back_to_the_next_candidate():
    linker = FakeLinker()
    passes = model.training_passes(training_records())
    assert passes is not None
    assert model.train(linker, passes)
    assert linker.training.passes == [
        "l.dob = r.dob",
        "l.nino = r.nino",
        "l.forename = r.forename AND l.surname = r.surname",
    ]


def test_too_few_pairs_to_learn_from_trains_nothing():
    assert model.training_passes(training_records(20)) is None


def test_a_large_index_gives_the_model_only_rows_that_can_pair_and_a_random_few():
    from tfnis.linkage.incremental import INDEX_FIELDS, model_candidates

    def rows(names: list[tuple[str, str, str]]) -> pd.DataFrame:
        frame = pd.DataFrame({field: pd.Series([None] * len(names), dtype="string") for field in INDEX_FIELDS})
        frame["forename"], frame["surname"], frame["dob"] = zip(*names, strict=True)
        frame["surname_phonetic"] = frame["surname"].str[:1]
        return frame.assign(person_key=[f"k{i}" for i in range(len(names))])

    index = rows([("jack", "smith", "2001-01-01")] + [(f"name{i}", f"other{i}", "1990-05-05") for i in range(50)])
    waiting = rows([("jack", "smith", "2001-01-02")])
    chosen = model_candidates(index, waiting, sample=5)
    assert "k0" in set(chosen["person_key"])  # same forename and surname: a candidate pair
    assert len(chosen) <= 6
    assert model_candidates(index, waiting, sample=100).equals(index)  # a small index is read whole


def test_candidates_chosen_by_position_are_those_chosen_from_a_copy_of_the_distinct_rows():
    """The match stage chooses the model's index rows by position among the looked-up rows (no copy of them):
    the same rows as choosing from a copy, the random draw of the index following its rows."""
    from tfnis.linkage.incremental import INDEX_FIELDS, candidate_positions, model_candidates

    rng = np.random.default_rng(3)
    names = [f"n{i}" for i in range(300)]
    frame = pd.DataFrame({field: pd.Series([None] * 400, dtype="string") for field in INDEX_FIELDS})
    frame["forename"] = rng.choice(names, 400)
    frame["surname"] = rng.choice(names, 400)
    frame["dob"] = pd.Series([f"19{rng.integers(50, 99)}-0{rng.integers(1, 9)}-1{d % 10}" for d in range(400)])
    frame["dob"] = frame["dob"].astype("string")
    frame["postcode"] = pd.Series([f"ab{i % 30} 2cd" for i in range(400)], dtype="string")
    old = frame.assign(person_key=[f"k{i % 300}" for i in range(400)])
    waiting = frame.iloc[:3].reset_index(drop=True)
    rows = np.flatnonzero(rng.random(400) < 0.6)
    drawn = rng.random(400) < 0.05
    by_position = old.iloc[candidate_positions(old, rows, waiting, 10, drawn)].reset_index(drop=True)
    from_copy = model_candidates(old.iloc[rows].reset_index(drop=True), waiting, 10, drawn[rows])
    assert by_position.equals(from_copy)
    assert 10 < len(from_copy) < len(rows)  # some rows chosen, not all


def test_training_pairs_counted_from_key_codes_agree_with_grouping_the_strings():
    from tfnis.linkage.match_keys import KeyCodes

    records = training_records(500)
    records.loc[::7, "nino"] = None
    rule = "l.nino = r.nino AND l.surname = r.surname"
    sizes = records.dropna(subset=["nino", "surname"]).groupby(["nino", "surname"]).size().to_numpy()
    assert model.training_pairs(records, rule) == int((sizes * (sizes - 1) // 2).sum())
    rows = np.arange(0, 500, 2)
    sizes = records.iloc[rows].dropna(subset=["nino", "surname"]).groupby(["nino", "surname"]).size().to_numpy()
    assert model.training_pairs(records, rule, KeyCodes(records), rows) == int((sizes * (sizes - 1) // 2).sum())


def test_a_large_index_gives_the_model_rows_with_the_names_swapped_at_one_postcode_or_date():
    from tfnis.linkage.incremental import INDEX_FIELDS, model_candidates

    def rows(names: list[tuple[str, str, str, str]]) -> pd.DataFrame:
        frame = pd.DataFrame({field: pd.Series([None] * len(names), dtype="string") for field in INDEX_FIELDS})
        frame["forename"], frame["surname"], frame["dob"], frame["postcode"] = zip(*names, strict=True)
        return frame.assign(person_key=[f"k{i}" for i in range(len(names))])

    others = [(f"name{i}", f"other{i}", "1990-05-05", "zz9 9zz") for i in range(50)]
    index = rows([("smith", "jack", "1970-02-02", "ab1 2cd"), ("smith", "jack", "2001-01-02", "cd3 4ef"), *others])
    waiting = rows([("jack", "smith", "2001-01-02", "ab1 2cd")])
    chosen = model_candidates(index, waiting, sample=1)
    assert {"k0", "k1"} <= set(chosen["person_key"])  # swapped at the postcode (k0) and at the date (k1)
    assert len(chosen) <= 3


def candidate(a: dict, b: dict) -> bool:
    """Whether any of the model's blocking rules brings the pair (a, b), evaluated in DuckDB."""
    import duckdb

    from tfnis.linkage.normalise import match_fields

    fields = match_fields(pd.DataFrame([a, b] * 50))  # enough rows that every field counts as present
    fields["uid"], fields["cluster"] = range(len(fields)), range(len(fields))
    marked = model.with_representatives(fields).iloc[:2]
    con = duckdb.connect()
    con.register("pair", marked)
    rules = model.blocking_rules(marked, scoped=False)
    return any(
        con.execute(f"SELECT count(*) FROM pair l, pair r WHERE l.uid = 0 AND r.uid = 1 AND {rule}").fetchone()[0]
        for rule in rules
    )


# Pairs the hard data's generator makes that no blocking rule brought before issue 14's third pass.
CANDIDATE_PAIRS = {
    "a year keyed wrongly, the surname typed wrong, a move": (
        {"forename": "Ikraam", "surname": "Qafif", "date_of_birth": "2024-10-09", "sex": "F", "postcode": "LE15 2AL"},
        {"forename": "Ikraam", "surname": "Qasif", "date_of_birth": "2023-10-09", "sex": "F", "postcode": "PE9 5GR"},
    ),
    "the same two names under another surname and another date": (
        {"forename": "Julia", "middle_names": "Lydia", "surname": "Bird", "date_of_birth": "1978-02-15", "sex": "F"},
        {"forename": "Julia", "middle_names": "Lydia", "surname": "Hart", "date_of_birth": "1987-12-05", "sex": "F"},
    ),
    "both names typed wrong after a move, one date of birth": (
        {"forename": "Donna", "surname": "Hutn", "date_of_birth": "1975-07-17", "sex": "F", "postcode": "LE15 5RA"},
        {"forename": "Donn", "surname": "Hunt", "date_of_birth": "1975-07-17", "sex": "F", "postcode": "PE9 6FU"},
    ),
    "a new surname, a forename typo and a date typo at one address": (
        {"forename": "Anne", "surname": "Franklin", "date_of_birth": "1995-08-30", "sex": "F", "postcode": "E7 7UG"},
        {"forename": "Aqne", "surname": "Lawrence", "date_of_birth": "1995-58-30", "sex": "F", "postcode": "E7 7UG"},
    ),
}


@pytest.mark.parametrize("case", CANDIDATE_PAIRS)
def test_pairs_the_blocking_rules_once_missed_are_candidate_pairs(case):
    assert candidate(*CANDIDATE_PAIRS[case])


def test_strangers_sharing_only_a_forename_are_not_a_candidate_pair():
    a = {"forename": "Julia", "surname": "Bird", "date_of_birth": "1978-02-15", "sex": "F", "postcode": "LE15 2AL"}
    b = {"forename": "Julia", "surname": "Hart", "date_of_birth": "1987-12-05", "sex": "F", "postcode": "PE9 5GR"}
    assert not candidate(a, b)


def test_the_model_engine_gets_the_memory_limit_and_spill_directory_it_is_given(tmp_path, monkeypatch):
    """The match function gives the model's DuckDB a share of its memory and its ephemeral storage to spill to
    (tfnis.pipeline.match), so the engine spills instead of taking the function past its memory."""
    from tfnis.linkage.model import _engine_table
    from tfnis.pipeline.match import _engine_memory

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
    memory = _engine_memory(tmp_path)
    assert memory.limit == "451MB" and memory.temp_directory == tmp_path / "model-spill"
    records = training_records(50).assign(forename_aliases=None, uid=range(50))
    with _engine_table(records, "duckdb", list(records.columns), np.ones(50, dtype=bool), memory) as table:
        found = table.db_api.query_sql(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'temp_directory')"
        ).as_pandas_dataframe()
    settings = dict(zip(found["name"], found["value"], strict=True))
    assert settings["temp_directory"] == str(tmp_path / "model-spill")
    assert settings["memory_limit"].endswith("MiB") and 420 < float(settings["memory_limit"].split()[0]) < 440


@pytest.mark.parametrize("chunks", [1, 3])
def test_blocked_pairs_are_splinks_own_candidate_pairs_and_match_keys(chunks):
    """The model's candidate pairs come from blocked_pairs_sql, not splink's blocking: the same pairs, each
    with the first rule that brings it; in slices of the right-hand records (right_slices), each pair in the
    slice of its right-hand uid and in no other."""
    from splink import Linker

    from tfnis.generate import generate_frames
    from tfnis.linkage.normalise import match_fields

    individuals = generate_frames(councils=2, families=150, periods=2, seed=3, error_rate=0.05).individuals
    fields = match_fields(individuals.drop(columns=["record_id"], errors="ignore"))
    fields["uid"] = np.arange(len(fields))
    fields["cluster"] = np.arange(len(fields)) // 3  # some pairs within a cluster, which no rule may bring
    records = model.with_representatives(fields)
    rules = model.blocking_rules(records, scoped=False)
    assert any(model._DATES_COULD_AGREE in rule for rule in rules)  # blocked_pairs_sql splits these into joins
    settings = model._settings(records, model.comparisons(records), rules, "duckdb")
    slices = model.right_slices(records["uid"].to_numpy(), chunks)
    assert (slices is None) == (chunks == 1)
    assert all(high - low <= len(records) / chunks + 1 for low, high in slices or [])  # a share of the records
    with model._engine_table(records, "duckdb", list(records.columns), np.ones(len(records), dtype=bool)) as table:
        linker = Linker(table, settings)
        theirs = linker.inference.compute_blocked_pairs_for_predict_chunk().as_pandas_dataframe()
        found = [
            linker.misc.query_sql(model.blocked_pairs_sql(rules, table.physical_name, right), output_type="pandas")
            for right in slices or [None]
        ]
    for right, pairs in zip(slices or [], found, strict=False):
        assert len(pairs) > 50 and pairs["join_key_r"].between(right[0], right[1] - 1).all()
    ours = pd.concat(found, ignore_index=True)
    key = ["join_key_l", "join_key_r", "match_key"]
    assert len(ours) > 100 and ours[key].nunique().match_key > 5
    pd.testing.assert_frame_equal(
        ours[key].astype(str).sort_values(key).reset_index(drop=True),
        theirs[key].astype(str).sort_values(key).reset_index(drop=True),
    )


def test_splink_is_handed_a_view_of_the_columns_it_reads_and_trains_on_it():
    """splink gets a view of the columns its comparisons and EM passes read (splink copies every column of its
    input for each slice it scores), and no blocking rules, whose columns it would carry in every pair."""
    from splink import Linker

    from tfnis.generate import generate_frames
    from tfnis.linkage.normalise import match_fields

    individuals = generate_frames(councils=2, families=300, periods=3, seed=4, error_rate=0.05).individuals
    fields = match_fields(individuals.drop(columns=["record_id"], errors="ignore"))
    fields["uid"] = np.arange(len(fields))
    fields["cluster"] = np.arange(len(fields))
    records = model.with_representatives(fields)
    settings = model._settings(
        records, model.comparisons(records), model.blocking_rules(records, scoped=False), "duckdb"
    )
    passes = model.training_passes(records)
    assert passes is not None
    read = model._read_by_model(settings, passes, list(records.columns))
    assert read[0] == "uid" and {"forename_alias_list", "dob_date", "surname", "dob"} <= set(read)
    assert not {"cluster", "forename_aliases"} & set(read) and not any(c.startswith("representative_") for c in read)
    rows = np.ones(len(records), dtype=bool)
    with model._engine_table(records, "duckdb", list(records.columns), rows, None, read) as table:
        assert [c.unquote().name for c in table.columns] == read
        linker = Linker(table, model._as_run(settings, "duckdb"), validate_settings=False)
        assert linker._settings_obj._additional_column_names_to_retain == []
        assert model.train(linker, passes)  # each EM pass ran on the view (a missing column fails the pass)
        used = {c.unquote().name for c in linker._settings_obj._columns_used_by_comparisons}
        assert used <= set(read)


def one_edit_variants(word: str) -> list[str]:
    """Every string one substitution, adjacent transposition, insertion or deletion from `word`."""
    letters = "0123456789-AZ "
    found = {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in letters}
    found |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    found |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
    found |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    return sorted(found)


@pytest.mark.parametrize(
    ("column", "words"),
    [
        ("dob", ["1975-07-17", "2001-12-31", "1999-1-01"]),
        ("postcode", ["SW1A 1AA", "E7 7UG", "LE15 2AL", "AB1"]),
        ("nino", ["AB123456C", "AB12"]),
        ("upn", ["P207000016049"]),
        ("nhs_number", ["9434765919"]),
    ],
)
def test_the_cheap_test_before_one_edit_lets_through_every_pair_within_one_edit(column, words):
    """_EDIT_GATES only skips Damerau-Levenshtein where the distance is more than one: every string one edit
    from another (or equal to it) passes, and the levels give the same answer with and without the test."""
    import duckdb

    pairs = pd.DataFrame(
        [(word, other) for word in words for other in [word, *one_edit_variants(word)]],
        columns=[f"{column}_l", f"{column}_r"],
    )
    plain = model._ONE_EDIT.format(c=column)
    con = duckdb.connect()
    con.register("pairs", pairs)
    within, gated = con.execute(
        f"SELECT count(*) FILTER ({plain}), count(*) FILTER ({model._GATED[plain]}) FROM pairs"
    ).fetchall()[0]
    assert within == gated == len(pairs)
    strangers = pd.DataFrame({f"{column}_l": words, f"{column}_r": [w[::-1] + "XY" for w in words]})
    con.register("strangers", strangers)
    assert con.execute(f"SELECT count(*) FILTER ({model._GATED[plain]}) FROM strangers").fetchall()[0][0] == 0


def test_the_dates_hamming_test_is_damerau_levenshtein_within_one_edit_for_every_pair():
    """The date's "one typo" as DuckDB runs it (Hamming distance between strings of one length, the matrix only
    for the rest) says the same as damerau_levenshtein <= 1 for every pair of sample dates and their one- and
    two-edit variants: substitutions, transpositions, insertions, deletions, non-ASCII digits, other lengths."""

    dates = ["1975-07-17", "2001-12-31", "1999-1-01", "\u0661\u0669\u0667\u0665-07-17", "é"]
    near = sorted({v for d in dates for v in [d, *one_edit_variants(d)]})
    far = sorted({w for v in near[::7] for w in one_edit_variants(v)} | set(near))
    pairs = pd.DataFrame([(a, b) for a in dates for b in far], columns=["dob_l", "dob_r"])
    plain = model._ONE_EDIT.format(c="dob")
    within, fast, differ = _as_run_against_plain(pairs, plain, f"coalesce({model._GATED[plain]}, false)")
    assert len(pairs) > 50_000 and 0 < within < len(pairs) / 2
    assert (within, differ) == (fast, 0)


def _as_run_against_plain(pairs: pd.DataFrame, plain: str, as_run: str) -> tuple[int, int, int]:
    """(pairs the plain level holds, pairs the level as DuckDB runs it holds, pairs where the two differ)."""
    import duckdb

    con = duckdb.connect()
    con.register("pairs", pairs)
    found = con.execute(
        f"SELECT count(*) FILTER ({plain}), count(*) FILTER ({model._GATED[plain]}), "
        f"count(*) FILTER (({plain}) IS DISTINCT FROM {as_run}) FROM pairs"
    ).fetchall()[0]
    return int(found[0]), int(found[1]), int(found[2])


@pytest.mark.parametrize("k", [1, 2])
def test_levenshtein_first_is_damerau_levenshtein_within_k_for_every_pair(k):
    """The forename's "within k edits" as DuckDB runs it (Levenshtein first, damerau_levenshtein only between k
    and 2k) says the same as damerau_levenshtein <= k for every pair of sample names and their one- and two-edit
    variants (transpositions, which Levenshtein counts twice, among them), whatever the script."""
    import duckdb

    names = ["zoe", "oze", "anne", "christopher", "mohammed", "jo", "\u0437\u043e\u044f", "ab"]
    near = sorted({v for n in names for v in [n, *one_edit_variants(n)]})
    far = sorted({w for v in near[::5] for w in one_edit_variants(v)} | set(near))
    pairs = pd.DataFrame([(a, b) for a in names for b in far], columns=["forename_l", "forename_r"])
    plain = model._WITHIN.format(c="forename", k=k)
    within, fast, differ = _as_run_against_plain(pairs, plain, f"({model._GATED[plain]})")
    con = duckdb.connect()
    con.register("pairs", pairs)
    transposed = con.execute(
        f"SELECT count(*) FILTER ({plain} AND levenshtein(forename_l, forename_r) > {k}) FROM pairs"
    ).fetchall()[0][0]
    assert len(pairs) > 20_000 and 0 < within < len(pairs) / 2 and transposed > 0
    assert (within, differ) == (fast, 0)


def test_the_impossible_date_is_tested_before_the_typo_and_stored_in_splinks_order():
    from tfnis.linkage.parameters import prior_model

    stored = prior_model().settings
    run = model._gated(stored, "duckdb")
    conditions = [level["sql_condition"] for c in run["comparisons"] for level in c["comparison_levels"]]
    assert any(sql.startswith(model._DATE_IMPOSSIBLE) for sql in conditions)
    assert model._ungated(run) == stored


def test_stored_models_keep_splinks_own_levels_and_the_engine_runs_them_behind_the_cheap_test():
    """The shipped prior's levels are splink's own SQL; the engine's settings have the test before each
    Damerau-Levenshtein within one edit, and taking it away again gives the stored levels back."""
    from tfnis.linkage.parameters import prior_model

    stored = prior_model().settings
    run = model._gated(stored, "duckdb")
    conditions = [level["sql_condition"] for c in run["comparisons"] for level in c["comparison_levels"]]
    assert any(model._GATED[model._ONE_EDIT.format(c="postcode")] in sql for sql in conditions)
    assert any(model._GATED[model._ONE_EDIT.format(c="dob")] in sql for sql in conditions)
    assert model._ungated(run) == stored
    assert model._gated(stored, "spark") == stored


def test_distinct_rows_a_column_at_a_time_are_pandas_distinct_rows_blanks_equal():
    from tfnis.linkage.incremental import _distinct_rows

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {c: pd.Series(rng.choice(["a", "b", None], 3000), dtype="string") for c in ("forename", "surname", "dob")}
    ).assign(person_key=pd.Series(rng.choice(["k1", "k2"], 3000), dtype="string"))
    columns = ["forename", "surname", "dob", "person_key"]
    assert np.array_equal(_distinct_rows(frame, columns), np.flatnonzero(~frame.duplicated(subset=columns)))
    assert len(_distinct_rows(frame, columns)) == 54  # 3 x 3 x 3 x 2: blanks equal to blanks


def test_a_level_no_training_match_reaches_counts_against_not_as_blank():
    # Sexes differing among the matches: EM's m underflows to 0. Read as "not observed" it was a Bayes factor of 1
    # (as if sex were blank); a small m keeps it evidence against that an identifier can still outweigh.
    from splink.internals import expectation_maximisation

    records = [
        {"output_column_name": "sex", "comparison_vector_value": 0, "m_probability": 0.0, "u_probability": 0.5},
        {"output_column_name": "sex", "comparison_vector_value": 1, "m_probability": 1.0, "u_probability": 0.5},
    ]
    with model.underflowed_m_floored():
        lookup = expectation_maximisation.m_u_records_to_lookup_dict(records)
    assert lookup["sex"][0]["m_probability"] == model.UNREACHED_M
    assert lookup["sex"][0]["m_probability"] / lookup["sex"][0]["u_probability"] < 0.001
    assert lookup["sex"][1]["m_probability"] == 1.0


def test_rows_not_in_compares_only_rows_of_recurring_persons_and_finds_what_a_whole_comparison_finds():
    from tfnis.linkage.incremental import INDEX_COLUMNS, rows_not_in

    rng = np.random.default_rng(11)

    pool = pd.DataFrame({c: pd.Series(rng.choice(["a", "b", None], 6), dtype="string") for c in INDEX_COLUMNS})

    def rows(n: int, keys: list[str | None]) -> pd.DataFrame:  # six kinds of row, so rows repeat
        frame = pool.iloc[rng.integers(0, len(pool), n)].reset_index(drop=True)
        return frame.assign(person_key=pd.Series(rng.choice(keys, n), dtype="string"))

    old = rows(400, [f"k{i}" for i in range(40)])
    new_rows = rows(600, [f"k{i}" for i in range(20, 400)] + [None])  # some persons known, most new, some blank
    combined = pd.concat([old, new_rows], ignore_index=True)
    whole = combined.iloc[len(old) :][~combined.duplicated(keep="first").to_numpy()[len(old) :]]
    added = rows_not_in(old, new_rows)
    pd.testing.assert_frame_equal(added, whole.reset_index(drop=True))
    assert 0 < len(added) < len(new_rows)


def test_the_share_of_stated_values_is_counted_once_per_column_and_forgotten_with_it():
    import gc

    from tfnis.linkage import model

    records = pd.DataFrame({"forename": pd.Series(["a", None, "b", None], dtype="string")})
    assert model._share_stated(records["forename"]) == 0.5
    assert model._SHARE_STATED[id(records["forename"].array)] == 0.5  # pandas' arrays are unhashable: keyed by id
    records["forename"] = pd.Series([None, None, None, "c"], dtype="string")  # a new array: counted afresh
    assert model._share_stated(records["forename"]) == 0.25
    entries = len(model._SHARE_STATED)
    del records
    gc.collect()
    assert len(model._SHARE_STATED) == entries - 1


def test_a_model_stored_for_duckdb_scores_on_spark_with_its_own_m_and_u():
    """The national re-link can run the model matching stored: the same comparisons in Spark's SQL, level for
    level, with the stored m and u (a fresh Spark settings dict has none, so a wrong match of levels shows)."""
    from tfnis.generate import generate_frames
    from tfnis.linkage.normalise import match_fields
    from tfnis.linkage.parameters import prior_model, with_parameters

    individuals = generate_frames(councils=1, families=40, periods=1, seed=4).individuals
    fields = match_fields(individuals.drop(columns=["record_id"], errors="ignore"))
    fields["uid"], fields["cluster"] = np.arange(len(fields)), np.arange(len(fields))
    records = model.with_representatives(fields)
    rules = model.blocking_rules(records, scoped=False)
    stored = prior_model()
    on_spark = model._in_dialect(stored, records, rules, "spark")
    assert on_spark is not None and on_spark.sql_dialect == "spark"
    as_duckdb = with_parameters(model._settings(records, model.comparisons(records), rules, "duckdb"), stored, "duckdb")
    spark_settings = model._settings(records, model.comparisons(records, "spark"), rules, "spark")
    as_spark = with_parameters(spark_settings, on_spark, "spark")

    def m_and_u(settings: dict) -> list[tuple]:
        levels = [level for c in settings["comparisons"] for level in c["comparison_levels"]]
        return [(level.get("m_probability"), level.get("u_probability")) for level in levels]

    assert m_and_u(as_spark) == m_and_u(as_duckdb)
    assert sum(m is not None for m, _ in m_and_u(as_spark)) > 20
    assert [c["comparison_levels"][1]["sql_condition"] for c in as_spark["comparisons"]] != [
        c["comparison_levels"][1]["sql_condition"] for c in as_duckdb["comparisons"]
    ]  # the same model, Spark's own SQL


def test_the_prior_of_a_selection_is_that_of_the_population_it_was_drawn_from():
    """Pairs found grow with the records and all pairs with their square: a selection of a tenth of the
    population, read as the whole, would make every pair ten times likelier a match."""
    records = pd.DataFrame({"cluster": [0, 0, 1, 1, 2, 3, 4, 5, 6, 7]})
    whole = model.prior_from_clusters(records)
    assert whole == pytest.approx(2 / model.KEY_RECALL / 45)
    assert model.prior_from_clusters(records, population=100) == pytest.approx(whole / 10)
    assert model.prior_from_clusters(records, population=5) == whole  # never more than the records themselves


def test_a_submissions_model_input_stands_for_the_whole_index():
    from tfnis.linkage.incremental import ModelUse, _model_input
    from tfnis.linkage.normalise import match_fields

    fields = match_fields(
        pd.DataFrame({"forename": ["Ann", "Bo", "Cy"], "surname": ["Lee"] * 3, "date_of_birth": ["2001-01-01"] * 3})
    )
    candidates = fields.iloc[:2].assign(person_key=["k1", "k2"])
    model_input = _model_input(candidates, fields.iloc[2:], ModelUse(index_rows=5_000_000))
    assert len(model_input.records) == 3 and model_input.population == 5_000_001
