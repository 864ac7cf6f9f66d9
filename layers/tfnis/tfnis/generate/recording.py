"""How a council's case system records the true population at one period end: the two tables of a return.

This is where the realism lives: each council has its own coverage per field (and gets a little better each
period), its own id and date formats; names pick up nicknames, typos and lost accents, dates of birth get
mistyped, identifiers go missing, and with an error rate some identifiers are invalid. Zero and blank are
kept apart: a provided count is often 0, a field not provided is empty.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from tfnis.generate import identifiers as ids
from tfnis.generate import reference
from tfnis.generate.effects import Planting
from tfnis.generate.population import (
    CHILD,
    ETHNICITIES,
    MAIN_CARER,
    MAX_PEOPLE,
    NO_DATE,
    PARTNER,
    Population,
    Snapshot,
)
from tfnis.spec.codes import HEADLINE_PROBLEMS, RELATIONS
from tfnis.spec.columns import FAMILY_COLUMNS, INDIVIDUAL_COLUMNS

# Probability that a field is filled in, drawn per council from these ranges: councils differ a lot.
COVERAGE_RANGES: dict[str, tuple[float, float]] = {
    "support_intensity": (0.4, 1.0),
    "housing_status": (0.5, 0.95),
    "evictions": (0.3, 0.9),
    "homelessness_applications": (0.3, 0.9),
    "weeks_homeless": (0.2, 0.8),
    "rent_arrears": (0.3, 0.85),
    "police_callouts": (0.4, 0.95),
    "middle_names": (0.2, 0.8),
    "no_fixed_abode": (0.2, 0.9),
    "nino": (0.35, 0.85),
    "upn": (0.5, 0.92),
    "nhs_number": (0.1, 0.6),
    "ethnicity": (0.7, 0.97),
    "asb_nfi": (0.4, 0.9),
    "asb_fi": (0.4, 0.9),
    "domestic_violence": (0.3, 0.8),
    "alcohol_dependent": (0.3, 0.75),
    "drug_dependent": (0.3, 0.75),
    "neet": (0.5, 0.92),
    "missing_education": (0.5, 0.95),
    "mental_health": (0.3, 0.8),
}
COVERAGE_GAIN_PER_PERIOD = 0.02
TENURES = (
    ("OWNER_OCCUPIER", 0.08), ("SOCIAL_RENT_LA", 0.30), ("SOCIAL_RENT_RP", 0.20), ("PRIVATE_RENT", 0.27),
    ("TEMPORARY_ACCOM", 0.05), ("WITH_FRIENDS_FAMILY", 0.03), ("OTHER", 0.02), ("NOT_KNOWN", 0.05),
)  # fmt: skip
NO_FIXED_ABODE_RATE = 0.004
Corrupter = Callable[[np.ndarray, np.random.Generator], np.ndarray]  # makes valid identifiers invalid
NICKNAME_RATE, TYPO_RATE, DOB_SLIP_RATE = 0.03, 0.015, 0.004
_NEIGHBOURS = {
    "a": "qswz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji", "v": "cfgb",
    "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


@dataclass(frozen=True)
class Practice:
    """Each council's recording habits, drawn once per generated set."""

    coverage: dict[str, np.ndarray]  # field -> per-council probability of being filled
    extended_ethnicity: np.ndarray  # share of ethnicities recorded with a DfE extended code
    not_obtained: np.ndarray  # share recorded REFU/NOBT
    upper_surnames: np.ndarray  # the case system stores surnames in capitals
    strips_accents: np.ndarray  # the case system cannot store accented letters

    @classmethod
    def draw(cls, n_councils: int, rng: np.random.Generator) -> Practice:
        return cls(
            coverage={f: rng.uniform(lo, hi, n_councils) for f, (lo, hi) in COVERAGE_RANGES.items()},
            extended_ethnicity=np.where(rng.random(n_councils) < 0.4, rng.uniform(0.1, 0.6, n_councils), 0.0),
            not_obtained=rng.uniform(0.02, 0.12, n_councils),
            upper_surnames=rng.random(n_councils) < 0.2,
            strips_accents=rng.random(n_councils) < 0.5,
        )

    def filled(self, field: str, council: np.ndarray, period: int, rng: np.random.Generator) -> np.ndarray:
        rate = np.minimum(self.coverage[field][council] + COVERAGE_GAIN_PER_PERIOD * period, 0.99)
        return rng.random(len(council)) < rate


@dataclass(frozen=True)
class RecordedPeriod:
    families: pd.DataFrame
    individuals: pd.DataFrame
    truth: pd.DataFrame


@dataclass(frozen=True)
class PeriodRecording:
    """What every step of recording one period end shares: who is on the caseloads, the councils' habits, and
    the one random generator. The steps draw from it in a fixed order, so a seed always gives the same returns."""

    population: Population
    snapshot: Snapshot
    practice: Practice
    planting: Planting
    error_rate: float
    rng: np.random.Generator
    day: int  # the period end as a day number
    family_council: np.ndarray  # per family row: its council's index
    person_council: np.ndarray  # per person row: its council's index
    family_row: np.ndarray  # per person row: the row of the family it is recorded under

    @classmethod
    def of(
        cls,
        population: Population,
        snapshot: Snapshot,
        practice: Practice,
        planting: Planting,
        error_rate: float,
        rng: np.random.Generator,
    ) -> PeriodRecording:
        stints, rows = population.stints, snapshot.stints
        row_of_stint = np.empty(len(stints), dtype=np.int64)
        row_of_stint[rows] = np.arange(len(rows))
        return cls(
            population, snapshot, practice, planting, error_rate, rng,
            day=int(population.days[snapshot.period]),
            family_council=stints["council"][rows].astype(np.int64),
            person_council=stints["council"][snapshot.person_stint].astype(np.int64),
            family_row=row_of_stint[snapshot.person_stint],
        )  # fmt: skip

    def for_families(self, column: str) -> np.ndarray:
        """A column of the population's stints, one value per family row of this period."""
        return self.population.stints[column][self.snapshot.stints]

    def for_people(self, column: str) -> np.ndarray:
        """A column of the population's people, one value per person row of this period."""
        return self.population.people[column][self.snapshot.people]

    def filled(self, field: str, council: np.ndarray) -> np.ndarray:
        """Which rows the councils filled `field` in this period."""
        return self.practice.filled(field, council, self.snapshot.period, self.rng)

    def dates(self, days: np.ndarray, council: np.ndarray) -> np.ndarray:
        """Day numbers as each row's council writes dates."""
        day_month_year = np.array([c.date_format == "dmy" for c in self.population.councils])
        return _dates(days, day_month_year[council])

    def la_codes(self, council: np.ndarray) -> np.ndarray:
        return np.array([c.la_code for c in self.population.councils], dtype=object)[council]

    def corrupted(self, values: np.ndarray, corrupter: Corrupter) -> np.ndarray:
        """values with a share error_rate of them made invalid by `corrupter`."""
        return _corrupt(values, self.error_rate, corrupter, self.rng)


@dataclass(frozen=True)
class FamilyProblems:
    """Per family row: the headline problems the recorded outcomes depend on, named across both frameworks."""

    crime: np.ndarray  # CRIME_ASB (2015 framework) or CRIME (2022)
    domestic_abuse: np.ndarray
    substance: np.ndarray  # SUBSTANCE, or HEALTH where the framework has no separate substance problem
    education: np.ndarray
    health: np.ndarray
    housing: np.ndarray  # HOUSING, or WORKLESS_FIN where the framework has no housing problem

    @classmethod
    def of(cls, framework_problems: Sequence[str], problems: np.ndarray) -> FamilyProblems:
        has = {code: problems[:, i] for i, code in enumerate(framework_problems)}
        none = np.zeros(len(problems), bool)
        return cls(
            crime=has.get("CRIME_ASB", has.get("CRIME", none)),
            domestic_abuse=has["DOMESTIC_ABUSE"],
            substance=has.get("SUBSTANCE", has["HEALTH"]),
            education=has["EDUCATION"],
            health=has["HEALTH"],
            housing=has.get("HOUSING", has.get("WORKLESS_FIN", none)),
        )

    def at(self, rows: np.ndarray) -> FamilyProblems:
        """The same flags for other rows (each person's family's)."""
        return FamilyProblems(*(getattr(self, f.name)[rows] for f in fields(self)))


@dataclass(frozen=True)
class RecordedFamilies:
    """The families table's columns, and what recording each family's people needs from them."""

    columns: dict[str, np.ndarray]
    problems: FamilyProblems
    supported: np.ndarray  # support has started by the period end
    no_fixed_abode: np.ndarray


def record(
    population: Population,
    snapshot: Snapshot,
    practice: Practice,
    error_rate: float,
    rng: np.random.Generator,
    planting: Planting | None = None,
) -> RecordedPeriod:
    """The returns of every council for one period end, as two DataFrames of strings, plus the truth.

    A family is supported from the first period end after its support starts; before that it is recorded as
    COMPARISON with no support dates (the return has no status for "support not yet started"). `planting`
    moves its outcomes from then on (tfnis.generate.effects)."""
    recording = PeriodRecording.of(population, snapshot, practice, planting or Planting({}), error_rate, rng)
    families = _recorded_families(recording)
    individuals = _recorded_individuals(recording, families)
    return RecordedPeriod(
        families=pd.DataFrame({col.name: families.columns[col.name] for col in FAMILY_COLUMNS}),
        individuals=pd.DataFrame({col.name: individuals[col.name] for col in INDIVIDUAL_COLUMNS}),
        truth=_truth(recording, individuals),
    )


# --- families -----------------------------------------------------------------------------------------------
def _recorded_families(recording: PeriodRecording) -> RecordedFamilies:
    """The families table, step by step in the order of the random draws."""
    council, framework = recording.family_council, recording.population.framework
    problems_drawn = recording.for_families("problems")
    problems = FamilyProblems.of(framework.problems, problems_drawn)
    columns = _family_identity_columns(recording) | _headline_problem_columns(framework.problems, problems_drawn)
    support, supported = _support_columns(recording)
    columns |= support
    tenure, no_fixed_abode = _tenures(recording, problems.housing)
    columns |= _housing_columns(recording, tenure, problems.housing, supported)
    mean = np.where(problems.crime | problems.domestic_abuse, 1.4, 0.2)
    filled = recording.filled("police_callouts", council)
    callouts = recording.planting.counts(
        "police_callouts", recording.rng.poisson(mean), mean, supported, filled, recording.rng
    )
    columns["police_callouts"] = _counts(filled, callouts)
    return RecordedFamilies(columns, problems, supported, no_fixed_abode)


def _family_identity_columns(recording: PeriodRecording) -> dict[str, np.ndarray]:
    """la_code, period_end, family_id, framework and date_identified."""
    family_stint, council = recording.snapshot.stints, recording.family_council
    families = len(family_stint)
    return {
        "la_code": recording.la_codes(council),
        "period_end": recording.dates(np.full(families, recording.day), council),
        "family_id": _local_ids(family_stint, council, recording.population.councils, "F", 10_000_000, 100),
        "framework": np.full(families, recording.population.framework.code, dtype=object),
        "date_identified": recording.dates(recording.for_families("date_identified"), council),
    }


def _headline_problem_columns(framework_problems: Sequence[str], problems: np.ndarray) -> dict[str, np.ndarray]:
    """hp_<code>: Y/N for the framework's problems, blank for the other framework's."""
    columns = {}
    for code in HEADLINE_PROBLEMS:
        if code in framework_problems:
            columns[f"hp_{code}"] = np.where(problems[:, framework_problems.index(code)], "Y", "N").astype(object)
        else:
            columns[f"hp_{code}"] = np.full(len(problems), "", dtype=object)
    return columns


def _support_columns(recording: PeriodRecording) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """intervention_status, the support dates and intensity; and which families are supported by now."""
    council, day = recording.family_council, recording.day
    support_start, support_end = recording.for_families("support_start"), recording.for_families("support_end")
    supported = recording.for_families("intervention") & (support_start <= day)
    ended = supported & (support_end <= day)
    status = np.where(
        ~supported,
        "COMPARISON",
        np.where(ended, np.where(recording.for_families("withdrawn"), "WITHDRAWN", "ENDED"), "ACTIVE"),
    )
    columns = {
        "intervention_status": status.astype(object),
        "support_start_date": recording.dates(np.where(supported, support_start, NO_DATE), council),
        "support_end_date": recording.dates(np.where(ended, support_end, NO_DATE), council),
        "support_intensity": _blank_unless(
            supported & recording.filled("support_intensity", council), recording.for_families("intensity")
        ),
    }
    return columns, supported


def _tenures(recording: PeriodRecording, housing_problem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each family's tenure, and which have no fixed abode.

    Tenure is a stable trait of the family, re-drawn now and then; housing problems mean worse housing."""
    rng, families = recording.rng, len(recording.snapshot.stints)
    drawn = np.where(
        rng.random(families) < 0.05,
        rng.random(families),
        recording.for_families("housing"),
    )
    tenure = np.array([t for t, _ in TENURES], dtype=object)[
        np.searchsorted(np.cumsum([w for _, w in TENURES]), drawn * 0.9999, side="right")
    ]
    tenure = np.where(housing_problem & (drawn < 0.1), "TEMPORARY_ACCOM", tenure)
    no_fixed_abode = rng.random(families) < NO_FIXED_ABODE_RATE
    return np.where(no_fixed_abode, "NO_FIXED_ABODE", tenure), no_fixed_abode


def _housing_columns(
    recording: PeriodRecording, tenure: np.ndarray, housing_problem: np.ndarray, supported: np.ndarray
) -> dict[str, np.ndarray]:
    """housing_status, evictions, homelessness_applications, weeks_homeless and rent_arrears."""
    rng, plant, council = recording.rng, recording.planting, recording.family_council
    columns = {"housing_status": _blank_unless(recording.filled("housing_status", council), tenure)}
    insecure = np.isin(tenure, ["TEMPORARY_ACCOM", "NO_FIXED_ABODE", "WITH_FRIENDS_FAMILY"])
    means = {
        "evictions": np.where(housing_problem, 0.12, 0.03),
        "homelessness_applications": np.where(insecure, 0.8, 0.05),
    }
    for measure, mean in means.items():
        filled = recording.filled(measure, council)
        columns[measure] = _counts(filled, plant.counts(measure, rng.poisson(mean), mean, supported, filled, rng))
    filled = recording.filled("weeks_homeless", council)
    weeks = np.where(insecure, rng.integers(1, 27, len(tenure)), 0)
    columns["weeks_homeless"] = _counts(
        filled, plant.counts("weeks_homeless", weeks, np.where(insecure, 14.0, 0.0), supported, filled, rng)
    )
    filled = recording.filled("rent_arrears", council)
    chance_of_arrears = plant.chance("rent_arrears", np.where(housing_problem, 0.45, 0.18), supported, filled)
    columns["rent_arrears"] = _blank_unless(filled, np.where(rng.random(len(tenure)) < chance_of_arrears, "Y", "N"))
    return columns


# --- individuals --------------------------------------------------------------------------------------------
def _recorded_individuals(recording: PeriodRecording, families: RecordedFamilies) -> dict[str, np.ndarray]:
    """The individuals table's columns, step by step in the order of the random draws."""
    council, rows = recording.person_council, recording.family_row
    columns = _person_identity_columns(recording, families.columns)
    columns |= _recorded_names(recording)
    date_of_birth = _slip_dates(recording.for_people("dob"), recording.day, recording.rng)
    columns["date_of_birth"] = recording.dates(date_of_birth, council)
    columns["sex"] = _recorded_sexes(recording)
    age = _whole_years(date_of_birth, recording.day)
    columns |= _address_columns(recording, families.no_fixed_abode[rows])
    columns |= _identifier_columns(recording, age)
    columns["ethnicity"] = _ethnicities(
        recording.for_people("ethnicity"),
        council,
        recording.practice,
        recording.snapshot.period,
        recording.rng,
    )
    columns |= _antisocial_behaviour_counts(recording, age, families.problems.crime[rows], families.supported[rows])
    columns["domestic_violence"] = _domestic_violence(recording, age, families.problems.domestic_abuse[rows])
    columns |= _yes_no_outcomes(recording, age, families.problems.at(rows), families.supported[rows])
    return columns


def _person_identity_columns(
    recording: PeriodRecording, family_columns: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """la_code, period_end, family_id, person_id and relation_in_family."""
    person, council, rows = recording.snapshot.people, recording.person_council, recording.family_row
    reissued = recording.snapshot.period >= recording.for_people("reissued")  # a new person_id from now on
    return {
        "la_code": recording.la_codes(council),
        "period_end": family_columns["period_end"][rows],
        "family_id": family_columns["family_id"][rows],
        "person_id": _local_ids(
            person + reissued * MAX_PEOPLE, council, recording.population.councils, "P", 2 * MAX_PEOPLE, 0
        ),
        "relation_in_family": np.array(RELATIONS, dtype=object)[recording.for_people("role")],
    }


def _recorded_names(recording: PeriodRecording) -> dict[str, np.ndarray]:
    """forename, surname and middle_names as the case system holds them: varied, misspelt, folded, capitalised."""
    council, rng = recording.person_council, recording.rng
    forename = _vary_forenames(recording.for_people("forename"), rng)
    surname = np.where(
        recording.snapshot.period >= recording.for_people("surname_changes"),
        recording.for_people("new_surname"),
        recording.for_people("surname"),
    )
    surname = _misspell(surname.astype(object), TYPO_RATE, rng)
    middle = _blank_unless(recording.filled("middle_names", council), recording.for_people("middle_names"))
    strip = recording.practice.strips_accents[council]
    forename, surname, middle = (_strip_accents(x, strip) for x in (forename, surname, middle))
    upper = recording.practice.upper_surnames[council]
    surname[upper] = np.array([x.upper() for x in surname[upper]], dtype=object)
    return {"forename": forename, "surname": surname, "middle_names": middle}


def _recorded_sexes(recording: PeriodRecording) -> np.ndarray:
    """sex as M/F or 1/2, as the council writes it."""
    sex, council = recording.for_people("sex"), recording.person_council
    letters = np.array([x.sex_format == "letter" for x in recording.population.councils])[council]
    return np.where(letters, np.where(sex == 1, "M", "F"), np.where(sex == 1, "1", "2")).astype(object)


def _address_columns(recording: PeriodRecording, no_fixed_abode: np.ndarray) -> dict[str, np.ndarray]:
    """postcode (blank for a family of no fixed abode) and no_fixed_abode."""
    postcode = recording.population.stints["postcode"][recording.snapshot.person_stint].astype(str)
    postcode = np.where(no_fixed_abode, "", recording.corrupted(postcode, ids.corrupt_postcodes)).astype(object)
    return {
        "postcode": _postcode_styles(postcode, recording.rng),
        "no_fixed_abode": np.where(
            no_fixed_abode, "Y", np.where(recording.filled("no_fixed_abode", recording.person_council), "N", "")
        ).astype(object),
    }


def _identifier_columns(recording: PeriodRecording, age: np.ndarray) -> dict[str, np.ndarray]:
    """nino (16 and over), upn (of school age) and nhs_number, some of them invalid at the error rate."""
    people, council, rng = len(recording.snapshot.people), recording.person_council, recording.rng
    has_nino = (age >= 16) & recording.filled("nino", council)
    nino = recording.corrupted(recording.for_people("nino").astype(str), ids.corrupt_ninos)
    columns = {"nino": _nino_styles(_blank_unless(has_nino, nino), rng)}
    at_school = (age >= 4) & (age <= 19) & ~((age >= 17) & (rng.random(people) < 0.6))
    upn = recording.corrupted(recording.for_people("upn").astype(str), ids.corrupt_upns)
    columns["upn"] = _blank_unless(at_school & recording.filled("upn", council), upn)
    nhs_number = recording.corrupted(recording.for_people("nhs_number").astype(str), ids.corrupt_nhs_numbers)
    columns["nhs_number"] = _blank_unless(recording.filled("nhs_number", council), nhs_number)
    return columns


def _antisocial_behaviour_counts(
    recording: PeriodRecording, age: np.ndarray, family_crime: np.ndarray, supported: np.ndarray
) -> dict[str, np.ndarray]:
    """asb_nfi and asb_fi (10 and over): most often the young people of families with a crime problem."""
    rng, council = recording.rng, recording.person_council
    youth = (age >= 10) & (age <= 25)
    columns = {}
    for measure, rate in (("asb_nfi", 0.6), ("asb_fi", 0.25)):
        mean = np.where(family_crime & youth, rate, np.where(family_crime, rate / 4, 0.03))
        filled = (age >= 10) & recording.filled(measure, council)
        counts = recording.planting.counts(measure, rng.poisson(mean), mean, supported, filled, rng)
        columns[measure] = _counts(filled, counts)
    return columns


def _domestic_violence(recording: PeriodRecording, age: np.ndarray, family_abuse: np.ndarray) -> np.ndarray:
    """VICTIM, PERPETRATOR, BOTH or NONE for adults; blank for children and where not recorded."""
    role, adult = recording.for_people("role"), age >= 16
    violence = np.full(len(age), "NONE", dtype=object)
    drawn = recording.rng.random(len(age))
    violence[family_abuse & (role == MAIN_CARER) & (drawn < 0.6)] = "VICTIM"
    violence[family_abuse & (role == PARTNER) & (drawn < 0.4)] = "PERPETRATOR"
    violence[family_abuse & adult & (drawn > 0.97)] = "BOTH"
    return _blank_unless(adult & recording.filled("domestic_violence", recording.person_council), violence)


def _yes_no_outcomes(
    recording: PeriodRecording, age: np.ndarray, family: FamilyProblems, supported: np.ndarray
) -> dict[str, np.ndarray]:
    """alcohol_dependent, drug_dependent, neet, missing_education and mental_health, each for its ages."""
    rng, plant, council, people = recording.rng, recording.planting, recording.person_council, len(age)
    adult, columns = age >= 16, {}
    for measure, rate in (("alcohol_dependent", 0.06), ("drug_dependent", 0.05)):
        filled = adult & recording.filled(measure, council)
        chance_of_yes = plant.chance(measure, np.where(family.substance, rate * 3, rate), supported, filled)
        columns[measure] = _yes_no(filled, rng.random(people) < chance_of_yes)
    filled = (age >= 16) & (age <= 24) & recording.filled("neet", council)
    chance_of_neet = plant.chance("neet", np.where(family.housing | family.education, 0.4, 0.2), supported, filled)
    columns["neet"] = _yes_no(filled, rng.random(people) < chance_of_neet)
    filled = (age >= 5) & (age <= 16) & recording.filled("missing_education", council)
    chance_of_missing = plant.chance("missing_education", np.where(family.education, 0.12, 0.02), supported, filled)
    columns["missing_education"] = _yes_no(filled, rng.random(people) < chance_of_missing)
    role = recording.for_people("role")
    chance_of_mental_health = np.where(adult, 0.22, np.where(role == CHILD, 0.08, 0.1)) * np.where(
        family.health, 1.8, 1.0
    )
    filled = recording.filled("mental_health", council)
    chance_of_mental_health = plant.chance("mental_health", chance_of_mental_health, supported, filled)
    columns["mental_health"] = _yes_no(filled, rng.random(people) < chance_of_mental_health)
    return columns


def _truth(recording: PeriodRecording, individuals: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each recorded person's true family and person: what linkage is scored against."""
    person = recording.snapshot.people
    return pd.DataFrame(
        {
            "la_code": individuals["la_code"],
            "period_end": np.full(len(person), str(recording.snapshot.period_end)),
            "family_id": individuals["family_id"],
            "person_id": individuals["person_id"],
            "true_family": recording.for_people("true_family"),
            "true_person": person,
        }
    )


# --- council references -----------------------------------------------------------------------------------
def _local_ids(
    number: np.ndarray, council: np.ndarray, councils: list[reference.Council], letter: str, modulus: int, salt: int
) -> np.ndarray:
    """The council's own reference for a family or person, in that council's style; unique per council."""
    width = len(str(modulus - 1))
    out = np.empty(len(number), dtype=object)
    for k in np.unique(council):
        at = council == k
        digits = ids._strings(ids._digits(ids.permute(number[at], modulus, salt + int(k) * 7 + 1), width))
        style = councils[k].id_style
        if style == "prefixed":
            out[at] = np.char.add(letter, digits)
        elif style == "dashed":
            abbreviation = "".join(ch for ch in councils[k].name.upper() if ch.isalpha())[:3]
            out[at] = np.char.add(f"{abbreviation}-{letter}", digits)
        else:
            out[at] = np.char.add("1" if letter == "P" else "2", digits)
    return out


# --- dates ------------------------------------------------------------------------------------------------
def _dates(days: np.ndarray, dmy: np.ndarray) -> np.ndarray:
    """Day numbers as ISO strings, or DD/MM/YYYY where the council writes that; NO_DATE -> blank."""
    days = np.asarray(days, dtype=np.int64)
    blank = days == NO_DATE
    iso = np.datetime_as_string(np.where(blank, 0, days).astype("datetime64[D]"), unit="D").astype("S10")
    matrix = iso.view(np.uint8).reshape(-1, 10)
    slash = np.full((len(days), 1), ord("/"), dtype=np.uint8)
    british = np.hstack([matrix[:, 8:10], slash, matrix[:, 5:7], slash, matrix[:, 0:4]])
    text = np.where(dmy[:, None], british, matrix)
    out = ids._strings(np.ascontiguousarray(text)).astype(object)
    out[blank] = ""
    return out


def _whole_years(dob: np.ndarray, day: int) -> np.ndarray:
    """Age in whole years at the period end (a birthday on the period end counts)."""
    born = dob.astype("datetime64[D]")
    end = np.datetime64(day, "D")
    years = end.astype("datetime64[Y]").astype(np.int64) - born.astype("datetime64[Y]").astype(np.int64)
    born_month = born.astype("datetime64[M]").astype(np.int64) % 12
    born_dom = (born - born.astype("datetime64[M]")).astype(np.int64)
    end_month = int(end.astype("datetime64[M]").astype(np.int64) % 12)
    end_dom = int((end - end.astype("datetime64[M]")).astype(np.int64))
    before = (born_month > end_month) | ((born_month == end_month) & (born_dom > end_dom))
    return years - before


def _slip_dates(dob: np.ndarray, day: int, rng: np.random.Generator) -> np.ndarray:
    """A few dates of birth keyed wrongly: a day out, day and month swapped, a year out."""
    out = dob.copy()
    slip = np.flatnonzero(rng.random(len(dob)) < DOB_SLIP_RATE)
    kind = rng.integers(0, 3, size=len(slip))
    born = dob[slip].astype("datetime64[D]")
    year = born.astype("datetime64[Y]")
    month = born.astype("datetime64[M]")
    dom = (born - month).astype(np.int64)  # 0-based
    mon = (month - year).astype(np.int64)  # 0-based
    swapped = (year + dom.astype("timedelta64[M]")).astype("datetime64[D]") + mon
    swappable = (dom < 12) & (dom != mon)
    new = np.where(
        kind == 0,
        dob[slip] + rng.choice([-1, 1], size=len(slip)),
        np.where((kind == 1) & swappable, swapped.astype(np.int64), dob[slip] + rng.choice([-365, 365], len(slip))),
    )
    out[slip] = np.where(new <= day, new, dob[slip])
    return out


# --- names ------------------------------------------------------------------------------------------------
def _vary_forenames(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = names.astype(object).copy()
    variants = reference.nicknames()
    has = pd.Series(out).isin(variants.keys()).to_numpy()
    chosen = np.flatnonzero(has & (rng.random(len(out)) < NICKNAME_RATE))
    picks = rng.random(len(chosen))
    out[chosen] = [variants[n][int(u * len(variants[n]))] for n, u in zip(out[chosen], picks, strict=True)]
    return _misspell(out, TYPO_RATE, rng)


def _misspell(names: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Typos a keyboard makes inside a name (never its first letter, never next to ' or -)."""
    out = names.copy()
    chosen = np.flatnonzero(rng.random(len(out)) < rate)
    kinds = rng.integers(0, 4, size=len(chosen))
    picks = rng.random(len(chosen))
    out[chosen] = [_typo(n, k, u) for n, k, u in zip(out[chosen], kinds, picks, strict=True)]
    return out


def _typo(name: str, kind: int, u: float) -> str:
    spots = [j for j in range(1, len(name)) if name[j].isalpha() and name[j - 1].isalpha()]
    if not spots:
        return name
    j = spots[int(u * len(spots))]
    ch = name[j]
    if kind == 0 and j + 1 < len(name) and name[j + 1].isalpha():
        return name[:j] + name[j + 1] + ch + name[j + 2 :]
    if kind == 1 and len(name) > 3:
        return name[:j] + name[j + 1 :]
    if kind == 2:
        return name[:j] + ch + name[j:]
    near = _NEIGHBOURS.get(ch.lower())
    if not near:
        return name
    sub = near[int(u * 7919) % len(near)]
    return name[:j] + (sub.upper() if ch.isupper() else sub) + name[j + 1 :]


def _strip_accents(names: np.ndarray, strip: np.ndarray) -> np.ndarray:
    """Fold accented letters to ASCII where the council's system cannot store them."""
    out = names.astype(object).copy()
    where, distinct = pd.factorize(out)  # a few thousand distinct names, not a million
    accented = np.array([not n.isascii() for n in distinct], dtype=bool)[where]
    chosen = np.flatnonzero(strip & accented)
    out[chosen] = [_ascii(n) for n in out[chosen]]
    return out


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


# --- identifiers --------------------------------------------------------------------------------------------
def _corrupt(values: np.ndarray, rate: float, corrupter: Corrupter, rng: np.random.Generator) -> np.ndarray:
    out = values.astype(object)
    if rate <= 0:
        return out
    chosen = np.flatnonzero(rng.random(len(out)) < rate)
    if len(chosen):
        out[chosen] = corrupter(values[chosen].astype(str), rng)
    return out


def _postcode_styles(postcodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Postcodes as typed: mostly 'B12 3AB', some 'B123AB', a few lower case (all normalise the same)."""
    out = postcodes.copy()
    u = rng.random(len(out))
    squashed = np.flatnonzero(u < 0.04)
    out[squashed] = [p.replace(" ", "") for p in out[squashed]]
    lowered = np.flatnonzero((u >= 0.04) & (u < 0.06))
    out[lowered] = [p.lower() for p in out[lowered]]
    return out


def _nino_styles(ninos: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NINOs as typed: mostly 'AB123456C', some spaced 'AB 12 34 56 C' as printed on the card."""
    out = ninos.copy()
    spaced = np.flatnonzero((rng.random(len(out)) < 0.06) & (pd.Series(out).str.len().to_numpy() == 9))
    out[spaced] = [f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:8]} {n[8:]}" for n in out[spaced]]
    return out


# --- attributes -------------------------------------------------------------------------------------------
def _ethnicities(
    eth: np.ndarray, council: np.ndarray, practice: Practice, period: int, rng: np.random.Generator
) -> np.ndarray:
    """Mostly DfE main codes; some councils use extended codes; some people refused or were not asked."""
    main = np.array(ETHNICITIES, dtype=object)[eth]
    out = main.copy()
    extended = reference.extended_codes_of()
    u = rng.random(len(out))
    use_ext = np.flatnonzero(u < practice.extended_ethnicity[council])
    picks = rng.random(len(use_ext))
    out[use_ext] = [
        extended[m][int(p * len(extended[m]))] if m in extended else m
        for m, p in zip(main[use_ext], picks, strict=True)
    ]
    not_known = rng.random(len(out)) < practice.not_obtained[council]
    out[not_known] = np.where(rng.random(int(not_known.sum())) < 0.4, "REFU", "NOBT")
    return _blank_unless(practice.filled("ethnicity", council, period, rng), out)


def _blank_unless(filled: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(filled, values, "").astype(object)


def _counts(filled: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(filled, np.asarray(values).astype(str), "").astype(object)


def _yes_no(filled: np.ndarray, yes: np.ndarray) -> np.ndarray:
    return np.where(filled, np.where(yes, "Y", "N"), "").astype(object)
