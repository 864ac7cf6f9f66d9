"""Synthetic national extracts (issue 15 item 5) and precision-first reference matching (item 4)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tfnis.generate import generate_frames
from tfnis.generate.national import reference_extract, study_people
from tfnis.linkage import match_submission
from tfnis.reference import contract
from tfnis.reference.matching import match_reference
from tfnis.reference.validation import check_extract
from tfnis.spec.columns import LINKAGE_COLUMNS
from tfnis.spec.findings import Severity

DATASETS = ("education", "offending", "benefits_employment")


@pytest.fixture(scope="module")
def study():
    frames = generate_frames(councils=2, families=250, periods=1, seed=3)
    index = None
    for _la, _period, _families, people in frames.returns():
        identifiers = people[list(LINKAGE_COLUMNS)].assign(record_token=[f"t{i}" for i in range(len(people))])
        index = match_submission(identifiers, index).index
    owners = frames.truth.merge(index[["la_code", "person_id", "person_key"]], on=["la_code", "person_id"])
    return frames, index, owners[["true_person", "person_key"]].drop_duplicates()


def ages(extract: pd.DataFrame, period_end: date) -> pd.Series:
    return (pd.Timestamp(period_end) - pd.to_datetime(extract["date_of_birth"], errors="coerce")).dt.days / 365.25


@pytest.mark.parametrize("dataset", DATASETS)
def test_generated_extract_has_the_contract_columns_a_majority_outside_and_validates(study, dataset):
    frames, _, _ = study
    period_end = frames.period_ends[-1]
    extract, truth = reference_extract(study_people(frames), dataset, period_end, np.random.default_rng(1))
    assert tuple(extract.columns) == contract(dataset).columns
    assert truth["true_person"].isna().mean() > 0.5
    result, _ = check_extract(extract, contract(dataset), "records.csv", period_end)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    low, high = contract(dataset).age_range
    age = ages(extract, period_end)
    assert age.min() >= low - 0.1 and age.max() < max(high, 91) + 1


def test_upn_only_for_school_ages_and_nino_only_for_adults(study):
    frames, _, _ = study
    people, period_end = study_people(frames), frames.period_ends[-1]
    education, _ = reference_extract(people, "education", period_end, np.random.default_rng(1))
    benefits, _ = reference_extract(people, "benefits_employment", period_end, np.random.default_rng(1))
    assert ages(education, period_end).max() < 20 and (education["upn"] != "").mean() > 0.95
    assert ages(benefits, period_end).min() >= 16 and (benefits["nino"] != "").mean() > 0.95


def test_offending_states_middle_names_on_part_of_its_records_and_the_other_datasets_none(study):
    frames, _, _ = study
    people, period_end = study_people(frames), frames.period_ends[-1]
    offending, _ = reference_extract(people, "offending", period_end, np.random.default_rng(1), records=4000)
    benefits, _ = reference_extract(people, "benefits_employment", period_end, np.random.default_rng(1))
    assert 0.25 < (offending["middle_names"] != "").mean() < 0.55  # 55 % have one, 70 % of those stated
    assert "middle_names" not in benefits.columns


def test_cli_writes_extracts_and_reference_truth(tmp_path: Path):
    from tfnis.cli.generate import run

    args = argparse.Namespace(
        out=tmp_path, councils=1, families=40, periods=1, seed=2, error_rate=0.0, last_period=None, effect=[],
        reference="offending,education",
    )  # fmt: skip
    assert run(args) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "reference").rglob("records.csv"))
    assert written == ["reference/education/2025-09-30/records.csv", "reference/offending/2025-09-30/records.csv"]
    truth = pd.read_csv(tmp_path / "reference_truth.csv")
    assert list(truth.columns) == ["dataset", "period_end", "record_id", "true_person"]
    assert set(truth["dataset"]) == {"offending", "education"}


@pytest.mark.parametrize("dataset", DATASETS)
def test_reference_matching_is_precise_and_finds_most_study_people(study, dataset):
    frames, index, owners = study
    # 5,000 records: a name + date of birth counts as evidence only when the extract shows the name is rare,
    # which a few hundred records cannot (tfnis.reference.name_dob).
    extract, truth = reference_extract(
        study_people(frames), dataset, frames.period_ends[-1], np.random.default_rng(5), records=5_000
    )
    before = index.copy()
    result = match_reference(extract[list(contract(dataset).identifiers)].replace("", None), index)
    pd.testing.assert_frame_equal(index, before)  # reference records never enter the index
    found = result.matches.assign(true_person=truth["true_person"].to_numpy()[result.matches["position"]])
    correct = len(found.merge(owners, on=["true_person", "person_key"]))
    assert correct / len(found) >= 0.99
    assert correct / truth["true_person"].notna().sum() >= 0.9
    assert result.matches["person_key"].is_unique  # one record per person
    assert 0 < result.match_rate < 0.5 and 0 <= result.estimated_false_match_rate < 0.01


def one_person_index() -> pd.DataFrame:
    council = pd.DataFrame(
        [{"la_code": "E09000012", "period_end": "2025-09-30", "family_id": "F1", "person_id": "P1",
          "forename": "Amelia", "middle_names": "", "surname": "Hartley", "date_of_birth": "1990-05-17", "sex": "2",
          "postcode": "E8 1AA", "nino": "AB123456C", "upn": "", "nhs_number": "", "record_token": "t1"}]
    )  # fmt: skip
    return match_submission(council, None).index


def test_name_and_dob_never_match_when_a_valid_nino_disagrees():
    index = one_person_index()
    same = {"forename": "Amelia", "surname": "Hartley", "date_of_birth": "1990-05-17", "sex": "2",
            "postcode": "E8 1AA"}  # fmt: skip
    assert match_reference(pd.DataFrame([{**same, "nino": "AB123456C"}]), index).matches["position"].tolist() == [0]
    assert match_reference(pd.DataFrame([{**same, "nino": ""}]), index).matches["match_rule"].tolist() == [
        "name_dob_postcode"
    ]
    assert match_reference(pd.DataFrame([{**same, "nino": "CE654321A"}]), index).matches.empty


def test_a_record_that_matches_nobody_leaves_nothing_behind():
    index = one_person_index()
    records = pd.DataFrame([{"forename": "Other", "surname": "Person", "date_of_birth": "1970-01-01", "sex": "1"}])
    result = match_reference(records, index)
    assert result.matches.empty and result.match_rate == 0.0


def _fields(rows: list[dict]) -> pd.DataFrame:
    from tfnis.linkage.normalise import match_fields

    return match_fields(pd.DataFrame(rows))


def test_a_name_and_birthday_count_only_when_the_extract_shows_the_name_is_rare():
    from tfnis.reference.name_dob import name_dob_matches

    rng = np.random.default_rng(0)
    born = [f"19{rng.integers(70, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(4000)]
    people = [
        {"forename": "Zebedee", "surname": "Quillfeather", "date_of_birth": "1985-03-02", "sex": "M"},
        {"forename": "John", "surname": "Smith", "date_of_birth": "1985-03-02", "sex": "M"},
        {"forename": "Oriel", "surname": "Featherstonehaugh", "date_of_birth": "1979-11-23", "sex": "F"},
    ]
    old = _fields(people).assign(person_key=["p1", "p2", "p3"])
    strangers = [{"forename": f"F{i % 700:03d}", "surname": f"S{i % 900:03d}", "date_of_birth": d, "sex": "M"}
                 for i, d in enumerate(born)]  # fmt: skip
    namesakes = [{**people[1], "date_of_birth": d} for d in born[:300]]  # John Smith: a common name here
    typo = {**people[2], "surname": "Featherstonhaugh"}  # one letter dropped, no postcode
    extract = _fields([people[0], people[1], typo, *strangers, *namesakes])
    found = name_dob_matches(extract, old, np.arange(len(extract)), share=0.5)
    assert dict(zip(found["position"], found["person_key"], strict=True)) == {0: "p1", 2: "p3"}
    assert (found["match_probability"] >= 0.99).all()
    # Without the typo'd record's district agreeing, one of a person's districts differing counts against it.
    moved = _fields([{**typo, "postcode": "E8 1AA"}, *strangers])
    held = old.assign(postcode_district=["M1", "M1", "LS6"])
    assert name_dob_matches(moved, held, np.arange(len(moved)), share=0.5, moved=0.001).empty


def test_a_typo_in_a_common_forename_is_weighed_by_the_names_close_to_it_not_by_the_name_itself():
    """A close level's u is the share of records whose name is close to the person's but not equal: a
    stranger named exactly Michael would agree at the equal level. Counting the 2,000 Michaels as close
    neighbours made a typo'd Micheal with the person's surname and birthday look like a likely stranger."""
    from tfnis.reference.name_dob import name_dob_matches

    rng = np.random.default_rng(1)
    born = [f"19{rng.integers(70, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(4000)]
    person = {"forename": "Michael", "surname": "Quillfeather", "date_of_birth": "1985-03-02", "sex": "M"}
    old = _fields([person]).assign(person_key=["p1"])
    michaels = [{"forename": "Michael", "surname": f"S{i:04d}", "date_of_birth": d, "sex": "M"}
                for i, d in enumerate(born[:2000])]  # fmt: skip
    quillfeathers = [{"forename": f"F{i:03d}", "surname": "Quillfeather", "date_of_birth": d, "sex": "M"}
                     for i, d in enumerate(born[2000:2020])]  # fmt: skip
    others = [{"forename": f"G{i:03d}", "surname": f"T{i:04d}", "date_of_birth": d, "sex": "F"}
              for i, d in enumerate(born[2020:])]  # fmt: skip
    typo = {**person, "forename": "Micheal"}  # two letters swapped, no postcode
    extract = _fields([typo, *michaels, *quillfeathers, *others])
    found = name_dob_matches(extract, old, np.arange(len(extract)), share=0.5)
    assert found["position"].tolist() == [0] and found["person_key"].tolist() == ["p1"]


def test_a_middle_name_both_sides_state_tells_a_common_name_from_a_stranger_and_a_different_one_rules_out():
    """The PNC holds second forenames: equal, a rare middle name makes a no-postcode John Smith born that day
    the person; without one the name is too common; a different middle name is a stranger, however alike."""
    from tfnis.reference.name_dob import name_dob_matches

    rng = np.random.default_rng(2)
    born = [f"19{rng.integers(70, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(4000)]
    person = {"forename": "John", "middle_names": "Alistair", "surname": "Smith", "date_of_birth": "1985-03-02",
              "sex": "M"}  # fmt: skip
    old = _fields([person]).assign(person_key=["p1"])
    smiths = [{"forename": "John", "middle_names": ("Paul", "James", "")[i % 3], "surname": "Smith",
               "date_of_birth": d, "sex": "M"} for i, d in enumerate(born[:300])]  # fmt: skip
    strangers = [{"forename": f"F{i:03d}", "middle_names": "Paul", "surname": f"S{i:04d}", "date_of_birth": d,
                  "sex": "M"} for i, d in enumerate(born[300:])]  # fmt: skip

    def found(record: dict) -> list[str]:
        extract = _fields([record, *smiths, *strangers])
        return name_dob_matches(extract, old, np.arange(len(extract)), share=0.5)["person_key"].tolist()

    assert found(person) == ["p1"]
    assert found({**person, "middle_names": ""}) == []
    assert found({**person, "middle_names": "Paul"}) == []
