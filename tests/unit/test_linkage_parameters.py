"""The model's trained parameters kept with the index and reused (tfnis.linkage.parameters): saved, reused, retrained
by the rule, the shipped prior for a new stack's first submission, and a corrupt or unfitting model falling back
to training with a clear log line and no identifier value."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tfnis.generate import generate_frames
from tfnis.linkage import match_submission
from tfnis.linkage.incremental import INDEX_FIELDS
from tfnis.linkage.model import ModelInput, score_with_model
from tfnis.linkage.normalise import match_fields
from tfnis.linkage.parameters import (
    PRIOR,
    RETRAIN_GROWTH,
    REUSED,
    TRAINED,
    ModelParameters,
    prior_model,
    stored_model,
    training_due,
)

IDENTIFIERS = ["la_code", "family_id", "person_id", "forename", "middle_names", "surname", "date_of_birth", "sex"]
IDENTIFIERS += ["postcode", "nino", "upn", "nhs_number"]


@pytest.fixture(scope="module")
def returns() -> list[pd.DataFrame]:
    """One council's three returns (generated; about 6,000 records each: enough for the second to train on)."""
    people = generate_frames(councils=1, families=1500, periods=3, seed=23, error_rate=0.05).individuals
    out = []
    for period_end, frame in people.groupby("period_end", sort=True):
        frame = frame[IDENTIFIERS].reset_index(drop=True).astype("string")
        frame.insert(0, "record_token", [f"{period_end}-{i}" for i in range(len(frame))])
        out.append(frame)
    return out


@pytest.fixture(scope="module")
def first(returns):
    """The second return matched against the first's index: nothing stored, so it trains (the first return, on
    an empty index, uses the prior)."""
    return match_submission(returns[1], match_submission(returns[0], None).index)


@pytest.fixture(scope="module")
def model_input(returns) -> ModelInput:
    """Both returns' records, each its own cluster, as the model reads them."""
    records = pd.concat(returns, ignore_index=True)
    fields = match_fields(records, allow_non_uk_postcodes=False)[list(INDEX_FIELDS)]
    for absent in ("address", "other_id"):
        fields[absent] = pd.Series(pd.NA, index=fields.index, dtype="string")
    return ModelInput(fields.assign(uid=np.arange(len(fields)), cluster=np.arange(len(fields))))


def identifier_values(frame: pd.DataFrame) -> set[str]:
    columns = ("forename", "surname", "date_of_birth", "postcode", "nino", "upn", "nhs_number")
    return {v for c in columns for v in frame[c].dropna().astype(str) if len(v) > 3}


def test_training_is_due_without_a_model_when_asked_and_when_the_index_has_grown_enough():
    model = ModelParameters({"comparisons": []}, index_rows=1000, trained_records=800)
    assert not training_due(None, 0)  # a new stack's first submission: the prior
    assert training_due(None, 1)
    assert not training_due(model, int(RETRAIN_GROWTH * 1000))
    assert training_due(model, int(RETRAIN_GROWTH * 1000) + 1)
    assert training_due(model, 1000, retrain=True)
    assert training_due(replace(model, index_rows=0), 1)  # a model trained before anything was indexed


def test_a_submission_that_trains_returns_its_model_and_it_round_trips_as_json(first, returns):
    assert first.model_source == TRAINED and first.model is not None
    assert first.model.index_rows == len(returns[0]) and first.model.trained_records > 0
    again = ModelParameters.from_json(first.model.to_json())
    assert again == first.model
    text = first.model.to_json().decode()
    assert not any(value in text for value in identifier_values(pd.concat(returns[:2])))


def test_reused_parameters_score_exactly_as_the_training_that_made_them(model_input):
    trained = score_with_model(model_input, 0.5)
    assert trained.how == TRAINED and trained.model is not None and len(trained.pairs) > 0
    reused = score_with_model(model_input, 0.5, model=ModelParameters.from_json(trained.model.to_json()))
    assert reused.how == REUSED
    columns = ["uid_l", "uid_r", "match_probability"]
    expected = trained.pairs.sort_values(["uid_l", "uid_r"]).reset_index(drop=True)[columns]
    actual = reused.pairs.sort_values(["uid_l", "uid_r"]).reset_index(drop=True)[columns]
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)


def test_the_next_submission_reuses_the_stored_model_and_trains_once_the_index_has_grown(first, returns):
    index = first.index
    # The model as if trained on this index (or, were RETRAIN_GROWTH raised, a smaller one): not grown past it.
    stored = replace(first.model, index_rows=int(len(index) / RETRAIN_GROWTH))
    reused = match_submission(returns[2], index, model=stored)
    assert reused.model_source == REUSED and reused.model is None  # nothing new to store
    assert reused.key_map["match_rule"].ne("new_person").mean() > 0.8
    # Trained when the index had fewer rows than now: grown past RETRAIN_GROWTH, so this one trains.
    retrained = match_submission(
        returns[2], index, model=replace(first.model, index_rows=int(len(index) / RETRAIN_GROWTH / 3))
    )
    assert retrained.model_source == TRAINED and retrained.model is not None
    assert retrained.model.index_rows == len(index)
    forced = match_submission(returns[2], index, model=stored, retrain=True)
    assert forced.model_source == TRAINED


def test_a_new_stacks_first_submission_uses_the_shipped_prior_which_fits_the_pipelines_comparisons(returns, caplog):
    with caplog.at_level(logging.WARNING):
        result = match_submission(returns[0], None)
    assert result.model_source == PRIOR and result.model is None  # the prior is not stored as the index's model
    assert "trained on these records" not in caplog.text  # a stale prior would fall back to training, and say so
    assert prior_model().index_rows == 0


@pytest.mark.parametrize(
    "body, says",
    [
        (b"{not json", "unreadable (JSONDecodeError)"),
        (json.dumps({"format": 99}).encode(), "format 99"),
        (json.dumps({"format": 1, "splink_settings": {}}).encode(), "no comparisons"),
        (None, "no stored linkage model"),
    ],
)
def test_an_absent_or_corrupt_stored_model_is_none_with_a_clear_log_line(body, says, caplog):
    with caplog.at_level(logging.INFO, logger="tfnis.linkage.parameters"):
        assert stored_model(body) is None
    assert says in caplog.text and "trained on this submission" in caplog.text


def test_a_stored_model_that_does_not_fit_the_data_falls_back_to_training_and_says_which_comparison(
    first, returns, caplog
):
    settings = json.loads(json.dumps(first.model.settings))
    settings["comparisons"] = [c for c in settings["comparisons"] if c["output_column_name"] != "dob"]
    # A comparison of another council's fields, which this data lacks: kept in the model trained here.
    other = {"output_column_name": "address", "comparison_levels": [{"sql_condition": "ELSE", "m_probability": 0.5,
                                                                      "u_probability": 0.5}]}  # fmt: skip
    settings["comparisons"].append(other)
    unfitting = replace(first.model, settings=settings, index_rows=len(first.index))  # not due by growth
    with caplog.at_level(logging.WARNING, logger="tfnis.linkage.model"):
        result = match_submission(returns[2], first.index, model=unfitting)
    assert result.model_source == TRAINED and result.model is not None
    assert other in result.model.settings["comparisons"]
    assert [c["output_column_name"] for c in result.model.settings["comparisons"]].count("dob") == 1
    assert "lacks the dob comparison" in caplog.text and "trained on these records" in caplog.text
    assert not any(value in caplog.text for value in identifier_values(returns[2]))
