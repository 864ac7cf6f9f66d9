"""Synthetic national reference extracts (tfnis generate --reference): the records a national dataset holds
for the generated study people, among a majority of people outside the study, each dataset with its own
recording habits, and the truth of which record is which study person (reference_truth.csv).

Study people are taken from the generated returns (their latest record; a NINO or UPN the councils never
recorded is made up, as the national system has one). People outside the study are drawn from the same name
pools and districts; a few are look-alikes of study people (same surname and postcode, a sibling not on the
caseload) and, in the NINO- and UPN-keyed datasets, namesakes born on the same day with their own NINO or
UPN: the pairs a reference match must not take for the same person."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tfnis.generate import identifiers as ids
from tfnis.generate import reference
from tfnis.generate.effects import Planting
from tfnis.generate.population import _forenames, _surnames
from tfnis.generate.recording import _misspell, _vary_forenames
from tfnis.reference import contract

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.generate.returns import GeneratedFrames

REFERENCE_TRUTH_COLUMNS = ("dataset", "period_end", "record_id", "true_person")
OUTSIDE_PER_STUDY_RECORD = 3.0  # outside people per study record: a majority outside the study
# Shares of outside records. Namesakes (name, sex and birthday of a study person) at 0.05 % give ~0.15 % of
# study people one in the extract: several times what a 1M extract of England's 56M people would hold (about
# 0.03 %), on purpose; bench/reference_bench.py --namesakes raises it.
LOOKALIKE_SHARE, NAMESAKE_SHARE = 0.05, 0.0005
MIDDLE_NAME_SHARE = 0.55  # people with a middle name, as the population the returns are drawn from


@dataclass(frozen=True)
class Habits:
    """How a national dataset records people: which study people it holds, and its own slips."""

    coverage: float  # share of study people in the age range that the dataset holds in a period
    key_present: float  # share of records with the dataset's key identifier (UPN or NINO)
    postcode_present: float
    nickname: bool  # records the name a person goes by (offending: aliases), else the formal one
    typo_rate: float
    dob_slip_rate: float
    middle_present: float = 0.0  # share of people with a middle name whose record states it (contracts with one)


HABITS = {
    "education": Habits(0.97, 0.99, 0.95, False, 0.01, 0.003),
    "offending": Habits(0.12, 0.0, 0.7, True, 0.03, 0.01, middle_present=0.7),
    "benefits_employment": Habits(0.9, 0.99, 0.9, False, 0.01, 0.003),
}


def study_people(frames: GeneratedFrames) -> pd.DataFrame:
    """One row per true study person: their latest recorded names, DOB, sex, postcode, and any NINO/UPN."""
    import pandas as pd

    from tfnis.linkage.normalise import normalise_dobs, normalise_sexes
    from tfnis.spec.identifiers import NinoClass, nino_classes, normalise_postcodes, upn_valid_mask

    columns = ["forename", "middle_names", "surname", "date_of_birth", "sex", "postcode", "nino", "upn"]
    people = frames.individuals[columns].copy()
    people["middle_names"] = people["middle_names"].replace("", None)
    people["true_person"] = frames.truth["true_person"].to_numpy()
    people["date_of_birth"] = normalise_dobs(people["date_of_birth"])
    people["sex"] = normalise_sexes(people["sex"])
    people["postcode"] = normalise_postcodes(people["postcode"])
    people["nino"] = (
        people["nino"].str.replace(" ", "").str.upper().where(nino_classes(people["nino"]) == NinoClass.VALID)
    )
    people["upn"] = people["upn"].where(upn_valid_mask(people["upn"]).fillna(False).astype(bool))
    latest = people.groupby("true_person", sort=True).last()  # last non-blank value of each column
    return latest.reset_index().replace({pd.NA: None})


def _ages(dob: pd.Series, period_end: date) -> np.ndarray:
    import pandas as pd

    return ((pd.Timestamp(period_end) - pd.to_datetime(dob, errors="coerce")).dt.days / 365.25).to_numpy()


def _outside_people(
    n: int, study: pd.DataFrame, spec: str, period_end: date, rng: np.random.Generator, namesakes: float
) -> pd.DataFrame:
    """People outside the study in the dataset's age range, with look-alikes and namesakes of study people."""
    import pandas as pd

    low, high = contract(spec).age_range
    high = min(high, 90)
    shares = np.array([reference.POPULATION_NAME_POOLS[p] for p in reference.NAME_POOLS])
    pool = rng.choice(len(reference.NAME_POOLS), size=n, p=shares / shares.sum())  # England's mix (Census 2021)
    sex = rng.integers(1, 3, size=n)
    age_days = rng.integers(int(low * 365.25) + 1, int((high + 1) * 365.25) - 1, size=n)
    born = pd.Timestamp(period_end) - pd.to_timedelta(age_days, unit="D")
    districts = np.array([d for c in reference.councils() for d in c.districts])
    side = rng.spawn(1)[0]  # middle names from a stream of their own: the other columns' draws are unchanged
    has_middle = side.random(n) < MIDDLE_NAME_SHARE
    middle = np.full(n, None, dtype=object)
    middle[has_middle] = np.asarray(_forenames(side, pool, sex, born.year.to_numpy()), dtype=object)[has_middle]
    outside = pd.DataFrame(
        {
            "forename": _forenames(rng, pool, sex, born.year.to_numpy()),
            "middle_names": middle.astype(object),
            "surname": _surnames(rng, pool),
            "date_of_birth": born.strftime("%Y-%m-%d"),
            "sex": np.where(sex == 1, "M", "F"),
            "postcode": ids.make_postcodes(districts[rng.integers(0, len(districts), size=n)], rng).astype(object),
            "true_person": pd.Series([None] * n, dtype=object),
        }
    )
    in_range = study[
        (_ages(study["date_of_birth"], period_end) >= low) & (_ages(study["date_of_birth"], period_end) < high + 1)
    ]
    if len(in_range):
        like = np.flatnonzero(rng.random(n) < LOOKALIKE_SHARE)
        source = in_range.iloc[rng.integers(0, len(in_range), size=len(like))]
        outside.loc[like, "surname"] = source["surname"].to_numpy()
        outside.loc[like, "postcode"] = source["postcode"].to_numpy()
        if contract(spec).name != "offending":  # a namesake born the same day is told apart only by NINO/UPN
            same = np.flatnonzero(rng.random(n) < namesakes)
            source = in_range.iloc[rng.integers(0, len(in_range), size=len(same))]
            for column in ("forename", "surname", "date_of_birth", "sex"):
                outside.loc[same, column] = source[column].to_numpy()
    return outside


def _key_identifiers(records: pd.DataFrame, spec: str, period_end: date, rng: np.random.Generator) -> None:
    """The dataset's own key: a UPN for every pupil, a NINO for every adult; made up where councils had none."""
    n = len(records)
    if spec == "education":
        missing = records["upn"].isna().to_numpy()
        dfe = np.array([c.dfe_la for c in reference.councils()])[rng.integers(0, len(reference.councils()), size=n)]
        year = np.array([int(d[:4]) + 4 for d in records["date_of_birth"]])
        fresh = ids.make_upns(8_999_999 - np.arange(n), dfe, year, rng)
        records["upn"] = np.where(missing, fresh, records["upn"].to_numpy(dtype=object))
    if spec == "benefits_employment":
        missing = records["nino"].isna().to_numpy()
        fresh = ids.make_ninos(50_000_000 + np.arange(n), rng)
        records["nino"] = np.where(missing, fresh, records["nino"].to_numpy(dtype=object))


def _recorded(records: pd.DataFrame, habits: Habits, rng: np.random.Generator) -> pd.DataFrame:
    """The dataset's recording slips: name variants, typos, a slipped date, blanks."""
    import pandas as pd

    out = records.copy()
    names = out["forename"].to_numpy(dtype=object)
    out["forename"] = _vary_forenames(names, rng) if habits.nickname else _misspell(names, habits.typo_rate, rng)
    out["surname"] = _misspell(out["surname"].to_numpy(dtype=object), habits.typo_rate, rng)
    slip = np.flatnonzero(rng.random(len(out)) < habits.dob_slip_rate)
    dob = out["date_of_birth"].to_numpy(dtype=object)
    dob[slip] = [d[:8] + f"{(int(d[8:]) % 28) + 1:02d}" for d in dob[slip]]  # the day typed wrong
    out["date_of_birth"] = dob
    out.loc[rng.random(len(out)) >= habits.postcode_present, "postcode"] = None
    side = rng.spawn(1)[0]  # middle names from a stream of their own: the other columns' draws are unchanged
    middle = out["middle_names"].to_numpy(dtype=object)
    stated = np.flatnonzero(pd.notna(middle) & (side.random(len(out)) < habits.middle_present))
    kept = np.full(len(out), None, dtype=object)
    kept[stated] = _misspell(middle[stated], habits.typo_rate, side)
    out["middle_names"] = kept
    for key in ("upn", "nino"):
        if key in out.columns:
            out.loc[rng.random(len(out)) >= habits.key_present, key] = None
    return out


def _outcomes(spec: str, n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Outcome values of a half-year, roughly the shape of the real distributions (not measured from them), and
    the expected value of each count (what a planted effect is measured against)."""
    if spec == "education":
        possible = rng.integers(180, 191, size=n)
        persistent = rng.random(n) < 0.15
        mean = np.where(persistent, 45.0, 9.0)
        missed = np.minimum(rng.poisson(mean), possible)
        return {
            "sessions_possible": possible, "sessions_missed": missed,
            "fixed_term_exclusions": rng.poisson(0.12, size=n),
            "permanent_exclusion": np.where(rng.random(n) < 0.003, "Y", "N"),
        }, {"sessions_possible": possible.astype(float), "sessions_missed": mean,
            "fixed_term_exclusions": np.full(n, 0.12)}  # fmt: skip
    if spec == "offending":
        offences = 1 + rng.poisson(0.6, size=n)
        codes = np.array(contract("offending").outcomes[2].codes)
        return {
            "proven_offences": offences, "custodial_sentences": rng.binomial(offences, 0.1),
            "most_serious_offence": codes[rng.integers(0, len(codes), size=n)],
        }, {"proven_offences": np.full(n, 1.6)}  # fmt: skip
    benefit = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 7, size=n))
    employed = rng.integers(0, 7 - benefit)
    return {"months_out_of_work_benefits": benefit, "months_employed": employed}, {
        "months_out_of_work_benefits": np.full(n, 1.75),
        "months_employed": (6.0 - benefit) / 2,
    }


def _planted(
    spec: str, recorded: pd.DataFrame, values: dict[str, np.ndarray], means: dict[str, np.ndarray],
    treated: frozenset[int], planting: Planting, rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """The planted effects on the treated study people's counts (tfnis.generate.effects), kept within the
    contract's ranges (a count moved past its maximum or past the outcome it cannot exceed is cut back)."""
    on = recorded["true_person"].isin(treated).to_numpy()
    filled = np.ones(len(recorded), dtype=bool)
    out = dict(values)
    for outcome in contract(spec).outcomes:
        if outcome.name in planting.deltas and outcome.name in means:
            moved = planting.counts(outcome.name, out[outcome.name], means[outcome.name], on, filled, rng)
            out[outcome.name] = np.clip(moved, outcome.minimum or 0, outcome.maximum)
    for outcome in contract(spec).outcomes:
        if outcome.not_above:
            out[outcome.name] = np.minimum(out[outcome.name], out[outcome.not_above])
    return out


def reference_extract(
    study: pd.DataFrame,
    spec: str,
    period_end: date,
    rng: np.random.Generator,
    records: int | None = None,
    namesakes: float = NAMESAKE_SHARE,
    treated: frozenset[int] = frozenset(),
    planting: Planting | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One dataset's extract for one period (columns of its contract) and its truth rows.

    records: the extract's size (people outside the study fill it up); by default OUTSIDE_PER_STUDY_RECORD
    outside people for each study record. treated: the true persons whose family's support had started by
    period_end; planting moves their counts by the planted effects."""
    import pandas as pd

    terms, habits = contract(spec), HABITS[spec]
    low, high = terms.age_range
    age = _ages(study["date_of_birth"], period_end)
    held = study[(age >= low) & (age < high + 1) & (rng.random(len(study)) < habits.coverage)]
    n_outside = (records - len(held)) if records is not None else round(OUTSIDE_PER_STUDY_RECORD * len(held))
    if n_outside < 0:
        raise ValueError(f"{spec}: {records} records cannot hold the {len(held)} study people it covers")
    outside = _outside_people(n_outside, study, spec, period_end, rng, namesakes)
    people = pd.concat([held, outside], ignore_index=True)
    people = people.iloc[rng.permutation(len(people))].reset_index(drop=True)
    for key in ("upn", "nino"):
        people[key] = people[key] if key in people.columns else None
        people[key] = people[key].astype(object).where(people["true_person"].notna(), None)
    _key_identifiers(people, spec, period_end, rng)
    recorded = _recorded(people, habits, rng)
    if spec != "offending":
        recorded["sex"] = recorded["sex"].map({"M": "1", "F": "2"})
    recorded["record_id"] = [
        f"R{v:08x}" for v in ids.permute(np.arange(len(recorded)), 16**8, zlib.crc32(spec.encode()) % 1000)
    ]
    values, means = _outcomes(spec, len(recorded), rng)
    if planting is not None:
        values = _planted(spec, recorded, values, means, treated, planting, rng)
    for name, column in values.items():
        recorded[name] = column
    if spec == "offending":  # most_serious_offence is blank on a record with no proven offence
        recorded["most_serious_offence"] = recorded["most_serious_offence"].where(recorded["proven_offences"] > 0, "")
    extract = recorded[list(terms.columns)].fillna("").astype(str)
    truth = pd.DataFrame(
        {
            "dataset": spec, "period_end": period_end.isoformat(), "record_id": recorded["record_id"],
            "true_person": recorded["true_person"].astype("Int64"),
        }
    )  # fmt: skip
    return extract, truth


def treated_people(frames: GeneratedFrames) -> dict[date, frozenset[int]]:
    """Per period end, the true persons whose family's support had started by then (the return gives a support
    start date from that period on: tfnis.generate.recording), who carry a planted effect."""
    out = {}
    for period_end, rec in zip(frames.period_ends, frames.by_period, strict=True):
        started = rec.families.loc[rec.families["support_start_date"].fillna("").ne(""), ["la_code", "family_id"]]
        members = rec.truth.merge(started, on=["la_code", "family_id"], how="inner")
        out[period_end] = frozenset(int(p) for p in members["true_person"])
    return out


def generate_reference(
    out: Path, frames: GeneratedFrames, datasets: list[str], *, seed: int, period_end: date | None = None,
    effects: Mapping[str, float] | None = None,
) -> tuple[list[Path], list[dict[str, object]]]:  # fmt: skip
    """Write OUT/reference/<dataset>/<period_end>/records.csv for every period (only `period_end` when given)
    and OUT/reference_truth.csv; returns the files and the realised planted effects on reference outcomes."""
    import pandas as pd

    from tfnis.generate.effects import REFERENCE_MEASURES

    periods = [period_end] if period_end else list(frames.period_ends)
    study = study_people(frames)
    treated = treated_people(frames)
    planting = Planting({m: d for m, d in (effects or {}).items() if m in REFERENCE_MEASURES})
    rng = np.random.default_rng(np.random.SeedSequence([seed, 15]))
    written, truths = [], []
    for spec in datasets:
        for when in periods:
            extract, truth = reference_extract(study, spec, when, rng, treated=treated[when], planting=planting)
            folder = Path(out) / "reference" / spec / when.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            extract.to_csv(folder / "records.csv", index=False, encoding="utf-8", lineterminator="\n")
            written.append(folder / "records.csv")
            truths.append(truth)
    pd.concat(truths, ignore_index=True).to_csv(Path(out) / "reference_truth.csv", index=False, lineterminator="\n")
    return written, planting.manifest()
