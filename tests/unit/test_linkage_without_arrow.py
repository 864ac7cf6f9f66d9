"""Matching runs where pyarrow is absent (the match Lambda: docs/deploy.md) and gives the same answers."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from tests.unit.test_spec_without_arrow import pyarrow_blocked
from tfnis.generate import generate_frames
from tfnis.linkage import link_records, match_submission
from tfnis.linkage.normalise import match_fields

pytestmark = pytest.mark.slow  # trains and links generated councils twice (over a minute on a loaded CI machine)


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    frames = generate_frames(councils=2, families=600, periods=2, seed=3)
    people = frames.individuals
    return people.assign(record_token=[f"t{i}" for i in range(len(people))], record_id=range(len(people)))


def counter_keys():
    numbers = itertools.count()
    return lambda: f"k{next(numbers):06d}"


def test_match_fields_are_the_same_without_pyarrow(people):
    expected = match_fields(people)
    with pyarrow_blocked():
        got = match_fields(people)
    pd.testing.assert_frame_equal(got.astype(object), expected.astype(object))


def test_match_submission_runs_end_to_end_without_pyarrow_and_agrees(people):
    def run_all() -> list[pd.DataFrame]:
        index, key_maps, new_key = None, [], counter_keys()
        for _, submission in people.groupby(["period_end", "la_code"], sort=True):
            result = match_submission(submission, index, new_key=new_key)
            index = result.index
            key_maps.append(result.key_map)
        return key_maps

    expected = run_all()
    with pyarrow_blocked():
        got = run_all()
    assert len(got) == 4
    for mine, theirs in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    assert (got[-1]["match_rule"] == "council_person_id").mean() > 0.8


def test_the_model_trains_and_links_without_pyarrow(people):
    expected = link_records(people, new_key=counter_keys())
    with pyarrow_blocked():
        got = link_records(people, new_key=counter_keys())
    assert (got["match_rule"] == "probabilistic").sum() > 50  # splink trained and predicted
    pd.testing.assert_frame_equal(got, expected)
