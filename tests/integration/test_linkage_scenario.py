"""Multi-period, multi-council matching of `tfnis generate` data scored against its truth: each council's
return matched serially against the index the previous one left, as the match stage does. The generator
simulates nicknames, typos, surname changes, moves, missing and invalid NINOs and UPNs, re-issued council
person ids and families moving council."""

import pandas as pd
import pytest

from tfnis.generate import generate_frames
from tfnis.linkage import match_submission

IDENTIFIERS = ["la_code", "period_end", "family_id", "person_id", "forename", "middle_names", "surname"]
IDENTIFIERS += ["date_of_birth", "sex", "postcode", "nino", "upn", "nhs_number"]


def submissions():
    """Each council's return, period by period, with its truth (person, family) beside it."""
    frames = generate_frames(councils=3, families=120, periods=4, seed=3, error_rate=0.02)
    people = frames.individuals[IDENTIFIERS].copy()
    people.insert(0, "record_token", [f"r{i}" for i in range(len(people))])
    people["person"] = frames.truth["true_person"].to_numpy()
    people["family"] = frames.truth["true_family"].to_numpy()
    for _, submission in people.groupby(["period_end", "la_code"], sort=True):
        yield submission.reset_index(drop=True)


def pairwise(truth, predicted):
    frame = pd.DataFrame({"t": truth, "p": predicted})

    def pairs(sizes):
        return float((sizes * (sizes - 1) / 2).sum())

    tp = pairs(frame.groupby(["t", "p"]).size())
    return tp / pairs(frame.groupby("p").size()), tp / pairs(frame.groupby("t").size())


@pytest.fixture(scope="module")
def matched():
    index, key_maps, last = None, [], None
    for sub in submissions():
        result = match_submission(sub.drop(columns=["person", "family"]), index)
        index = result.index
        key_maps.append(result.key_map.merge(sub[["record_token", "person", "family", "period_end", "la_code"]]))
        last = (sub, result)
    return pd.concat(key_maps, ignore_index=True), index, last


@pytest.mark.slow
def test_person_keys_across_periods_and_councils_meet_precision_and_recall_floors(matched):
    key_map, _, _ = matched
    precision, recall = pairwise(key_map["person"], key_map["person_key"])
    assert precision >= 0.99
    assert recall >= 0.97


@pytest.mark.slow
def test_a_family_keeps_its_family_key_across_periods_and_councils(matched):
    key_map, _, _ = matched
    keys_per_family = key_map.groupby("family")["family_key"].nunique()
    assert (keys_per_family == 1).mean() >= 0.95


@pytest.mark.slow
def test_replaying_the_last_submission_changes_nothing(matched):
    _, index, (sub, result) = matched
    again = match_submission(sub.drop(columns=["person", "family"]), index)
    assert again.key_map[["person_key", "family_key"]].equals(result.key_map[["person_key", "family_key"]])
    assert again.index.equals(index)
