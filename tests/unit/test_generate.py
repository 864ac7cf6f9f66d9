"""Synthetic returns: layout, determinism, truth, households, dates, identifiers, variation between periods."""

from __future__ import annotations

import argparse
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tfnis.generate import choose_period_ends, generate_frames, generate_returns
from tfnis.generate.population import framework_for
from tfnis.spec import identifiers as spec_ids
from tfnis.spec.codes import ETHNICITY_EXTENDED, ETHNICITY_MAIN, FRAMEWORKS, HEADLINE_PROBLEMS
from tfnis.spec.columns import FAMILY_COLUMNS, INDIVIDUAL_COLUMNS, LA_CODE_PATTERN, LOCAL_ID_PATTERN, NAME_PATTERN


@pytest.fixture(scope="module")
def frames():
    return generate_frames(councils=4, families=400, periods=4, seed=7)


def as_dates(text: pd.Series) -> pd.Series:
    """Parse the two date forms the spec accepts; blank -> NaT."""
    iso = pd.to_datetime(text.where(text.str.contains("-")), format="%Y-%m-%d", errors="coerce")
    dmy = pd.to_datetime(text.where(text.str.contains("/")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(dmy)


def ages(individuals: pd.DataFrame) -> pd.Series:
    born, end = as_dates(individuals["date_of_birth"]), as_dates(individuals["period_end"])
    before = (born.dt.month > end.dt.month) | ((born.dt.month == end.dt.month) & (born.dt.day > end.dt.day))
    return end.dt.year - born.dt.year - before.astype(int)


def present(series: pd.Series) -> pd.Series:
    return series[series != ""]


# --- layout and determinism ------------------------------------------------------------------------------
def test_same_seed_gives_identical_returns():
    a = generate_frames(councils=2, families=150, periods=2, seed=3)
    b = generate_frames(councils=2, families=150, periods=2, seed=3)
    pd.testing.assert_frame_equal(a.individuals, b.individuals)
    pd.testing.assert_frame_equal(a.families, b.families)
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_different_seeds_give_different_returns():
    a = generate_frames(councils=1, families=100, periods=1, seed=1)
    b = generate_frames(councils=1, families=100, periods=1, seed=2)
    assert not a.individuals["forename"].equals(b.individuals["forename"])


def test_returns_are_written_one_folder_per_council_and_period(tmp_path):
    made = generate_returns(tmp_path, councils=2, families=50, periods=2, seed=1)
    assert len(made.returns) == 4
    for r in made.returns:
        assert r.families == tmp_path / r.la_code / r.period_end.isoformat() / "families.csv"
        fams = pd.read_csv(r.families, dtype=str, keep_default_na=False)
        people = pd.read_csv(r.individuals, dtype=str, keep_default_na=False)
        assert list(fams.columns) == [c.name for c in FAMILY_COLUMNS]
        assert list(people.columns) == [c.name for c in INDIVIDUAL_COLUMNS]
        assert (fams["la_code"] == r.la_code).all() and len(fams) == r.n_families == 50
        assert len(people) == r.n_individuals
    truth = pd.read_csv(made.truth, dtype=str)
    assert list(truth.columns) == ["la_code", "period_end", "family_id", "person_id", "true_family", "true_person"]
    assert len(truth) == made.n_individuals


def test_files_are_utf8_with_accented_names_kept(tmp_path):
    made = generate_returns(tmp_path, councils=2, families=400, periods=1, seed=4)
    text = "".join(r.individuals.read_text(encoding="utf-8") for r in made.returns)
    assert re.search(r"[^\x00-\x7f]", text)


def test_cli_generate_writes_the_set_and_rejects_bad_arguments(tmp_path, capsys):
    from tfnis.cli import generate

    parser = argparse.ArgumentParser()
    generate.register(parser.add_subparsers())
    args = parser.parse_args(["generate", "--out", str(tmp_path), "--councils", "1", "--families", "20"])
    assert args.func(args) == 0
    assert (tmp_path / "truth.csv").exists()
    args = parser.parse_args(["generate", "--out", str(tmp_path), "--councils", "99"])
    assert args.func(args) == 2
    assert "councils" in capsys.readouterr().err


# --- periods and frameworks ------------------------------------------------------------------------------
def test_a_few_periods_are_supporting_families_half_years():
    ends = choose_period_ends(3)
    assert ends == [date(2024, 9, 30), date(2025, 3, 31), date(2025, 9, 30)]
    assert {framework_for(d) for d in ends} == {"SF10_2022"}


def test_many_periods_fall_back_to_troubled_families_years():
    ends = choose_period_ends(10)
    assert ends[-1] == date(2020, 9, 30) and len(ends) == 10
    assert {framework_for(d) for d in ends} == {"TF6_2015"}


def test_periods_across_the_framework_gap_are_refused():
    with pytest.raises(ValueError):
        choose_period_ends(12)
    with pytest.raises(ValueError):
        choose_period_ends(2, date(2021, 9, 30))
    with pytest.raises(ValueError):
        choose_period_ends(1, date(2024, 6, 30))


def test_headline_problems_meet_the_framework_minimum(frames):
    fams = frames.families
    framework = FRAMEWORKS[fams["framework"].iloc[0]]
    own = [f"hp_{c}" for c in framework.problems]
    assert ((fams[own] == "Y").sum(axis=1) >= framework.minimum).all()
    assert fams[own].isin(["Y", "N"]).all().all()
    others = [f"hp_{c}" for c in HEADLINE_PROBLEMS if c not in framework.problems]
    assert (fams[others] == "").all().all()


# --- truth -----------------------------------------------------------------------------------------------
def test_truth_has_one_row_per_individual_row(frames):
    ind, truth = frames.individuals, frames.truth
    assert len(truth) == len(ind)
    assert (truth["person_id"].to_numpy() == ind["person_id"].to_numpy()).all()
    assert (truth["family_id"].to_numpy() == ind["family_id"].to_numpy()).all()
    assert not truth.duplicated(["la_code", "period_end", "true_person"]).any()


def test_ids_are_unique_in_each_return_and_every_person_has_a_family(frames):
    for _, _, fams, people in frames.returns():
        assert fams["family_id"].is_unique and people["person_id"].is_unique
        assert people["family_id"].isin(fams["family_id"]).all()
        assert fams["family_id"].isin(people["family_id"]).all()
        assert fams["family_id"].str.fullmatch(LOCAL_ID_PATTERN).all()
        assert people["person_id"].str.fullmatch(LOCAL_ID_PATTERN).all()
        assert (fams["family_id"].str.len() <= 36).all()


def test_a_person_keeps_their_person_id_in_later_periods_most_of_the_time(frames):
    truth = frames.truth
    pairs = truth.merge(truth, on=["la_code", "true_person"])
    pairs = pairs[pairs["period_end_x"] < pairs["period_end_y"]]
    kept = (pairs["person_id_x"] == pairs["person_id_y"]).mean()
    assert 0.9 < kept < 1.0


def test_some_families_move_council_under_new_ids(frames):
    truth = frames.truth
    councils_per_family = truth.groupby("true_family")["la_code"].nunique()
    movers = councils_per_family[councils_per_family > 1].index
    assert len(movers) > 0
    moved = truth[truth["true_family"].isin(movers)]
    assert (moved.groupby("true_family")["family_id"].nunique() > 1).all()


def test_people_are_recorded_differently_across_periods(frames):
    truth = frames.truth.assign(
        forename=frames.individuals["forename"].str.upper(), surname=frames.individuals["surname"].str.upper()
    )
    first = truth.groupby("true_person")[["forename", "surname"]].nunique()
    assert (first["forename"] > 1).mean() > 0.01
    assert (first["surname"] > 1).mean() > 0.01
    nino = frames.individuals.assign(true_person=truth["true_person"])
    nino = nino[ages(nino) >= 17]
    mixed = nino.groupby("true_person")["nino"].agg(lambda s: (s == "").any() and (s != "").any())
    assert mixed.mean() > 0.05


# --- households ------------------------------------------------------------------------------------------
def test_each_family_has_one_main_carer_and_plausible_ages(frames):
    ind = frames.individuals.assign(age=ages(frames.individuals))
    assert (ind["age"].between(0, 110)).all()
    carers = ind[ind["relation_in_family"] == "MAIN_CARER"]
    assert not carers.duplicated(["la_code", "period_end", "family_id"]).any()
    assert len(carers) == len(frames.families)
    assert (carers["age"] >= 17).all()
    assert (ind.loc[ind["relation_in_family"] == "PARTNER", "age"] >= 17).all()
    children = ind[ind["relation_in_family"] == "CHILD"].merge(
        carers[["la_code", "period_end", "family_id", "age"]], on=["la_code", "period_end", "family_id"],
        suffixes=("", "_carer"),
    )  # fmt: skip
    gap = children["age_carer"] - children["age"]
    assert (gap >= 14).mean() > 0.99  # a slipped date of birth may shave a year
    assert (children["age"] <= 30).all()
    sizes = ind.groupby(["la_code", "period_end", "family_id"]).size()
    assert 2.5 < sizes.mean() < 5.5 and sizes.max() <= 14


def test_measures_are_only_recorded_in_their_age_bands(frames):
    ind = frames.individuals.assign(age=ages(frames.individuals))
    assert ind.loc[ind["neet"] != "", "age"].between(16, 24).all()
    assert ind.loc[ind["missing_education"] != "", "age"].between(5, 16).all()
    assert ind.loc[ind["nino"] != "", "age"].ge(16).all()
    assert ind.loc[ind["upn"] != "", "age"].between(4, 19).all()


def test_coverage_is_partial_with_blanks_and_zeros_both_present(frames):
    for table, cols in (
        (frames.families, ["evictions", "homelessness_applications", "weeks_homeless", "police_callouts"]),
        (frames.individuals, ["asb_nfi", "asb_fi"]),
    ):
        for col in cols:
            values = table[col]
            assert (values == "").any() and (values == "0").any(), col
            assert (present(values).astype(int) >= 0).all()
    assert frames.families["weeks_homeless"].replace("", "0").astype(int).le(27).all()
    for col in ("housing_status", "ethnicity", "nino", "domestic_violence", "mental_health"):
        filled = (frames.individuals if col in frames.individuals else frames.families)[col].ne("").mean()
        assert 0.05 < filled < 1.0, col


def test_ethnicity_is_mostly_main_codes_with_some_extended_and_not_known(frames):
    codes = present(frames.individuals["ethnicity"])
    assert codes.isin(set(ETHNICITY_MAIN) | set(ETHNICITY_EXTENDED)).all()
    assert codes.isin(ETHNICITY_MAIN).mean() > 0.8
    assert codes.isin(ETHNICITY_EXTENDED).any()
    assert codes.isin(["REFU", "NOBT"]).any()


def test_names_and_codes_follow_the_spec(frames):
    ind = frames.individuals
    for col in ("forename", "surname"):
        assert ind[col].str.fullmatch(NAME_PATTERN).all(), col
        assert (ind[col].str.len() <= 100).all()
    assert ind["la_code"].str.fullmatch(LA_CODE_PATTERN).all()
    assert ind["sex"].isin(["1", "2", "M", "F"]).all()


# --- dates -----------------------------------------------------------------------------------------------
def test_family_dates_are_consistent_with_status(frames):
    fams = frames.families
    end, identified = as_dates(fams["period_end"]), as_dates(fams["date_identified"])
    start, stop = as_dates(fams["support_start_date"]), as_dates(fams["support_end_date"])
    status = fams["intervention_status"]
    assert set(status) == {"COMPARISON", "ACTIVE", "ENDED", "WITHDRAWN"}
    assert end.dt.month.isin([3, 9]).all() and (identified <= end).all()
    assert start[status == "COMPARISON"].isna().all() and stop[status == "COMPARISON"].isna().all()
    supported = status != "COMPARISON"
    assert start[supported].notna().all()
    assert (identified[supported] <= start[supported]).all() and (start[supported] <= end[supported]).all()
    assert stop[status == "ACTIVE"].isna().all() and stop[status == "ENDED"].notna().all()
    has_stop = stop.notna()
    assert (start[has_stop] <= stop[has_stop]).all() and (stop[has_stop] <= end[has_stop]).all()
    assert (as_dates(frames.individuals["date_of_birth"]) <= as_dates(frames.individuals["period_end"])).all()


# --- identifiers -----------------------------------------------------------------------------------------
def test_every_identifier_is_valid_at_error_rate_zero(frames):
    ind = frames.individuals
    assert spec_ids.upn_valid_mask(present(ind["upn"])).all()
    assert (spec_ids.nino_classes(present(ind["nino"])) == "VALID").all()
    assert (spec_ids.postcode_classes(present(ind["postcode"])) == "VALID").all()
    assert spec_ids.nhs_valid_mask(present(ind["nhs_number"])).all()
    assert ((ind["postcode"] != "") | (ind["no_fixed_abode"] == "Y")).all()
    for _, _, _, people in frames.returns():
        assert not present(people["upn"]).duplicated().any()


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_error_rate_makes_that_share_of_identifiers_invalid(rate):
    ind = generate_frames(councils=2, families=800, periods=1, seed=11, error_rate=rate).individuals
    invalid = {
        "upn": ~spec_ids.upn_valid_mask(present(ind["upn"])),
        "nino": spec_ids.nino_classes(present(ind["nino"])) != "VALID",
        "postcode": spec_ids.postcode_classes(present(ind["postcode"])) != "VALID",
        "nhs_number": ~spec_ids.nhs_valid_mask(present(ind["nhs_number"])),
    }
    for col, bad in invalid.items():
        assert abs(bad.mean() - rate) < 0.05, col


def test_invalid_identifiers_never_blank_a_required_cell():
    ind = generate_frames(councils=2, families=300, periods=1, seed=12, error_rate=0.3).individuals
    assert ((ind["postcode"] != "") | (ind["no_fixed_abode"] == "Y")).all()
    assert (ind[["forename", "surname", "date_of_birth", "sex", "person_id"]] != "").all().all()


def test_large_sets_are_generated_without_per_person_loops():
    made = generate_frames(councils=2, families=5_000, periods=1, seed=5)
    assert len(made.individuals) > 30_000
    assert np.isfinite(made.truth["true_person"]).all()
