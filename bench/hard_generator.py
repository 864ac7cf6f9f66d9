"""Person records harder than `tfnis generate`: the character of the held-out sets in issue 14.

Names from many Faker locales, ASCII-folded (anyascii) and Zipf-weighted within each locale; households share
a surname and a postcode; about 2 % of people are twins (one date of birth, one household, often one initial);
about 1.86 records a person across 10 councils; every record corrupted on its own (typos, swapped or missing
names, surname changes, moves, date slips, missing NINO and UPN, a sex not stated); records of people from
Cyrillic, Greek and Arabic script locales sometimes carry the name as written in that script. Seeded: one seed,
one data set. The engines see the identifier columns; `person` is the truth, `la_code` where it was recorded.

Three knobs, all off by default (the default output is the stress set, byte for byte): `corruption` scales
every per-record corruption rate (not the NINO and UPN missing rates, nor the population: households, twins,
Zipf weights, locales stay); `script_share` sets the share of records of script locales written in their own
script (None: each locale's own share, 0.3; 0: every name ASCII-folded, as issue 14's held-out sets are); and
`namesakes=False` gives no two housemates one forename (Zipf draws in a small pool give one in ten households
of two or more a pair of namesakes, which no corruption setting takes away). `CALIBRATED` is the setting at
which splink alone scores on this data at 1M what it scored on the issue's held-out 1M, and the tfnis code of
the issue's time what it scored there at 20k (docs/linkage-benchmarks.md, "Data as hard as the issue's
held-out sets").

    .venv/bin/python bench/hard_generator.py --records 20000 --out hard.parquet \
        [--corruption 0.5 --script-share 0 --no-namesakes]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

# (locale, share of households, native script rendered as written with this probability per record)
LOCALES: tuple[tuple[str, float, float], ...] = (
    ("en_GB", 0.50, 0.0),
    ("en_IE", 0.04, 0.0),
    ("en_IN", 0.05, 0.0),
    ("en_PK", 0.03, 0.0),
    ("en_NG", 0.02, 0.0),
    ("pl_PL", 0.05, 0.0),
    ("ro_RO", 0.03, 0.0),
    ("lt_LT", 0.01, 0.0),
    ("de_DE", 0.02, 0.0),
    ("fr_FR", 0.02, 0.0),
    ("it_IT", 0.02, 0.0),
    ("pt_PT", 0.02, 0.0),
    ("es_ES", 0.01, 0.0),
    ("tr_TR", 0.03, 0.0),
    ("hu_HU", 0.01, 0.0),
    ("cs_CZ", 0.01, 0.0),
    ("yo_NG", 0.01, 0.0),
    ("vi_VN", 0.01, 0.0),
    ("ru_RU", 0.02, 0.3),
    ("uk_UA", 0.02, 0.3),
    ("bg_BG", 0.01, 0.3),
    ("el_GR", 0.01, 0.3),
    ("ar_AA", 0.02, 0.3),
    ("fa_IR", 0.01, 0.3),
    ("zh_CN", 0.01, 0.0),
)
ZIPF_EXPONENT = 1.0
COUNCILS = 10
RECORDS_PER_PERSON = 1.86
TWIN_SHARE = 0.02

# Per-record corruption rates, each drawn independently.
FORENAME_TYPO = 0.10
SURNAME_TYPO = 0.08
SECOND_TYPO = 0.15  # of typed-wrong names, a second typo
NAMES_SWAPPED = 0.02
FORENAME_MISSING = 0.02
SURNAME_MISSING = 0.02
SURNAME_CHANGED = 0.04  # adult women: a new surname (marriage, separation)
FORENAME_VARIANT = 0.05  # first name only of a two-part forename, or the middle name used as forename
DOB_MISSING = 0.02
DOB_TYPO = 0.03
DOB_SWAPPED = 0.01
DOB_YEAR_OUT = 0.01
MOVED = 0.15  # another postcode (a third of moves to another council)
POSTCODE_MISSING = 0.03
POSTCODE_TYPO = 0.02
NINO_MISSING = 0.4
UPN_MISSING = 0.4
SEX_MISSING = 0.03

# Issue 14's held-out sets as calibrated against its two anchors (namesakes 0.0: none); see the docs.
CALIBRATED: dict[str, float] = {"corruption": 0.5, "script_share": 0.0, "namesakes": 0.0}


def _scaled(rate: float, corruption: float) -> float:
    """A corruption rate times the knob, at most 1 (times 1.0 is the rate itself, bit for bit)."""
    return min(1.0, rate * corruption)


@dataclass(frozen=True)
class NamePool:
    """ASCII and as-written forms of one locale's names, with Zipf weights."""

    ascii: np.ndarray
    written: np.ndarray
    weights: np.ndarray


def _names(provider: object, *attributes: str) -> list[str]:
    for attribute in attributes:
        values = getattr(provider, attribute, None)
        if values:
            return [str(v) for v in (values.keys() if isinstance(values, dict) else values)]
    return []


@cache
def name_pools(locale: str, seed: int) -> dict[str, NamePool]:
    """'male', 'female', 'surname' pools of a locale: each name once, weights 1/rank^s in a seeded order."""
    import importlib

    from anyascii import anyascii

    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    lists = {
        "male": _names(provider, "first_names_male", "first_names"),
        "female": _names(provider, "first_names_female", "first_names"),
        "surname": _names(provider, "last_names", "last_names_male"),
    }
    rng = np.random.default_rng([seed, sum(map(ord, locale))])
    pools = {}
    for kind, names in lists.items():
        written = np.array(sorted({n.strip() for n in names if n.strip()}), dtype=object)
        rng.shuffle(written)
        ascii_ = np.array([anyascii(n).strip().title() or n for n in written], dtype=object)
        weights = 1.0 / np.arange(1, len(written) + 1) ** ZIPF_EXPONENT
        pools[kind] = NamePool(ascii_, written, weights / weights.sum())
    return pools


def _typo(name: str, rng: np.random.Generator) -> str:
    if len(name) < 2:
        return name
    kind, at = int(rng.integers(0, 4)), int(rng.integers(0, len(name)))
    letter = "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(0, 26))]
    if kind == 0:
        return name[:at] + letter + name[at + 1 :]
    if kind == 1:
        return name[:at] + name[at + 1 :]
    if kind == 2:
        return name[:at] + letter + name[at:]
    at = min(at, len(name) - 2)
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def _misspell(values: np.ndarray, rate: float, rng: np.random.Generator, second: float = SECOND_TYPO) -> np.ndarray:
    out = values.copy()
    for i in np.flatnonzero(rng.random(len(values)) < rate):
        if isinstance(out[i], str):
            out[i] = _typo(out[i], rng)
            if rng.random() < second:
                out[i] = _typo(out[i], rng)
    return out


def _postcodes(districts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from tfnis.generate.identifiers import make_postcodes

    return make_postcodes(districts, rng).astype(object)


def _no_household_namesakes(
    frame: pd.DataFrame, forename_ascii: np.ndarray, forename_written: np.ndarray, rng: np.random.Generator, seed: int
) -> None:
    """Redraw the forename of anyone who has a housemate's (parents seldom give two children one name; a Zipf
    draw in a small pool does it often, and such pairs agree on every field but the date of birth)."""
    for _ in range(20):
        clash = np.flatnonzero(pd.DataFrame({"h": frame["household"], "f": forename_ascii}).duplicated().to_numpy())
        if not len(clash):
            return
        for (locale, letter), at in frame.iloc[clash].groupby(["locale", "sex"]).groups.items():
            pool = name_pools(LOCALES[locale][0], seed)["male" if letter == "M" else "female"]
            picked = rng.choice(len(pool.ascii), p=pool.weights, size=len(at))
            forename_ascii[at], forename_written[at] = pool.ascii[picked], pool.written[picked]


def people(persons: int, seed: int, *, namesakes: bool = True) -> pd.DataFrame:
    """The true people: household, locale, names (ASCII and as written), sex, date of birth, identifiers.

    namesakes=False: no two members of a household share a forename (the default lets Zipf draws repeat)."""
    from tfnis.generate.identifiers import make_ninos, make_upns
    from tfnis.generate.reference import councils

    rng = np.random.default_rng(seed)
    council_list = councils()[:COUNCILS]
    sizes = rng.choice([1, 2, 3, 4, 5, 6], p=[0.22, 0.25, 0.21, 0.17, 0.09, 0.06], size=persons)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), persons)) + 1]
    households = len(sizes)
    shares = np.array([share for _, share, _ in LOCALES])
    h_locale = rng.choice(len(LOCALES), p=shares / shares.sum(), size=households)
    h_council = rng.integers(0, len(council_list), size=households)
    districts = np.array([rng.choice(council_list[c].districts) for c in h_council], dtype=object)
    h_postcode = _postcodes(districts, rng)

    household = np.repeat(np.arange(households), sizes)[:persons]
    member = np.concatenate([np.arange(s) for s in sizes])[:persons]
    locale = h_locale[household]
    # First member an adult; the second an adult partner in 70 % of households; the rest children.
    adult = (member == 0) | ((member == 1) & (rng.random(persons) < 0.7))
    sex = np.where(rng.random(persons) < 0.5, "M", "F").astype(object)
    sex[(member == 1) & adult] = np.where(sex[np.flatnonzero((member == 1) & adult) - 1] == "M", "F", "M")
    age_days = np.where(adult, rng.integers(19 * 365, 65 * 365, size=persons), rng.integers(0, 18 * 365, size=persons))
    # Twins: a child with the next member's date of birth (and half the time a forename of the same initial).
    twin = (~adult) & (rng.random(persons) < TWIN_SHARE / 2) & (member + 1 < sizes[household])
    twin_of = np.flatnonzero(twin)
    twin_of = twin_of[~adult[twin_of + 1]]
    age_days[twin_of + 1] = age_days[twin_of]
    dob = (pd.Timestamp("2025-09-30") - pd.to_timedelta(age_days, unit="D")).strftime("%Y-%m-%d").to_numpy()

    forename_ascii = np.empty(persons, dtype=object)
    forename_written = np.empty(persons, dtype=object)
    surname_ascii = np.empty(persons, dtype=object)
    surname_written = np.empty(persons, dtype=object)
    middle_ascii = np.full(persons, None, dtype=object)
    h_surname = np.empty(households, dtype=np.int64)
    for index, (code, _, _) in enumerate(LOCALES):
        pools = name_pools(code, seed)
        in_h = np.flatnonzero(h_locale == index)
        h_surname[in_h] = rng.choice(len(pools["surname"].ascii), p=pools["surname"].weights, size=len(in_h))
        rows = np.flatnonzero(locale == index)
        # One in ten members carries a surname of their own (a partner who kept theirs, a step-child).
        own = rng.random(len(rows)) < 0.1
        chosen = np.where(
            own,
            rng.choice(len(pools["surname"].ascii), p=pools["surname"].weights, size=len(rows)),
            h_surname[household[rows]],
        )
        surname_ascii[rows], surname_written[rows] = pools["surname"].ascii[chosen], pools["surname"].written[chosen]
        for kind, letter in (("male", "M"), ("female", "F")):
            of_sex = rows[sex[rows] == letter]
            pool = pools[kind]
            picked = rng.choice(len(pool.ascii), p=pool.weights, size=len(of_sex))
            forename_ascii[of_sex], forename_written[of_sex] = pool.ascii[picked], pool.written[picked]
            middle = of_sex[rng.random(len(of_sex)) < 0.3]
            middle_ascii[middle] = pool.ascii[rng.choice(len(pool.ascii), p=pool.weights, size=len(middle))]
    if not namesakes:
        frame = pd.DataFrame({"household": household, "locale": locale, "sex": sex})
        _no_household_namesakes(frame, forename_ascii, forename_written, rng, seed)
    # Twins' forenames: half the time another name of the same initial, if the pool has one.
    for i in twin_of[rng.random(len(twin_of)) < 0.5]:
        pool = name_pools(LOCALES[locale[i + 1]][0], seed)["male" if sex[i + 1] == "M" else "female"]
        same = np.flatnonzero(
            (np.array([n[:1] for n in pool.ascii]) == forename_ascii[i][:1]) & (pool.ascii != forename_ascii[i])
        )
        if len(same):
            pick = same[int(rng.integers(0, len(same)))]
            forename_ascii[i + 1], forename_written[i + 1] = pool.ascii[pick], pool.written[pick]

    index = np.arange(persons)
    nino = np.where(adult & (rng.random(persons) < 0.9), make_ninos(index, rng).astype(object), None)
    at_school = (age_days >= 4 * 365) & (age_days < 18 * 365)
    dfe = np.array([council_list[c].dfe_la for c in h_council[household]])
    upns = make_upns(index, dfe, 2025 - age_days // 365 + 4, rng).astype(object)
    upn = np.where(at_school & (rng.random(persons) < 0.9), upns, None)
    return pd.DataFrame(
        {
            "household": household,
            "locale": locale,
            "council": h_council[household],
            "postcode": h_postcode[household],
            "adult": adult,
            "twin": np.isin(index, np.r_[twin_of, twin_of + 1]),
            "sex": sex,
            "date_of_birth": dob,
            "forename": forename_ascii,
            "forename_written": forename_written,
            "middle_names": middle_ascii,
            "surname": surname_ascii,
            "surname_written": surname_written,
            "nino": nino,
            "upn": upn,
        }
    )


def _slip_dates(dob: np.ndarray, rng: np.random.Generator, corruption: float = 1.0) -> np.ndarray:
    out = dob.copy()
    n = len(dob)
    typo = rng.random(n) < _scaled(DOB_TYPO, corruption)
    for i in np.flatnonzero(typo):
        at = int(rng.choice([2, 3, 5, 6, 8, 9]))
        out[i] = out[i][:at] + str(int(rng.integers(0, 10))) + out[i][at + 1 :]
    swap = (rng.random(n) < _scaled(DOB_SWAPPED, corruption)) & ~typo
    for i in np.flatnonzero(swap):
        y, m, d = out[i].split("-")
        if int(d) <= 12:
            out[i] = f"{y}-{d}-{m}"
    year = (rng.random(n) < _scaled(DOB_YEAR_OUT, corruption)) & ~typo & ~swap
    for i in np.flatnonzero(year):
        out[i] = f"{int(out[i][:4]) + int(rng.choice([-1, 1]))}{out[i][4:]}"
    out[rng.random(n) < _scaled(DOB_MISSING, corruption)] = None
    return out


def _names_of_records(
    rows: pd.DataFrame, rng: np.random.Generator, seed: int, corruption: float, script_share: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each record's forename, middle names and surname: as written or ASCII, variants, changes, typos, swaps."""
    n = len(rows)
    shares = [LOCALES[i][2] if script_share is None or LOCALES[i][2] == 0 else script_share for i in rows["locale"]]
    written = rng.random(n) < np.array(shares)
    forename = np.where(written, rows["forename_written"], rows["forename"]).astype(object)
    surname = np.where(written, rows["surname_written"], rows["surname"]).astype(object)
    middle = rows["middle_names"].to_numpy(dtype=object).copy()
    # Variants: a two-part forename as its first part, or the middle name used as the forename.
    variant = np.flatnonzero(rng.random(n) < _scaled(FORENAME_VARIANT, corruption))
    for i in variant:
        if isinstance(forename[i], str) and " " in forename[i].strip():
            forename[i] = forename[i].split()[0]
        elif middle[i]:
            forename[i], middle[i] = middle[i], None
    changed = (
        (rows["sex"].to_numpy() == "F")
        & rows["adult"].to_numpy()
        & (rng.random(n) < _scaled(SURNAME_CHANGED, corruption))
    )
    locale_of_changed = rows["locale"].to_numpy()[changed]
    surname[changed] = [
        name_pools(LOCALES[i][0], seed)["surname"].ascii[
            rng.choice(len(name_pools(LOCALES[i][0], seed)["surname"].ascii))
        ]
        for i in locale_of_changed
    ]
    second = _scaled(SECOND_TYPO, corruption)
    forename = _misspell(forename, _scaled(FORENAME_TYPO, corruption), rng, second)
    surname = _misspell(surname, _scaled(SURNAME_TYPO, corruption), rng, second)
    swapped = rng.random(n) < _scaled(NAMES_SWAPPED, corruption)
    forename[swapped], surname[swapped] = surname[swapped], forename[swapped].copy()
    forename[rng.random(n) < _scaled(FORENAME_MISSING, corruption)] = None
    surname[rng.random(n) < _scaled(SURNAME_MISSING, corruption)] = None
    return forename, middle, surname


def _places_of_records(
    rows: pd.DataFrame, rng: np.random.Generator, council_list: list, corruption: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each record's council and postcode: the household's, or after a move; typed wrong or missing."""
    n = len(rows)
    council = rows["council"].to_numpy().copy()
    postcode = rows["postcode"].to_numpy(dtype=object).copy()
    moved = np.flatnonzero(rng.random(n) < _scaled(MOVED, corruption))
    elsewhere = rng.random(len(moved)) < 1 / 3
    council[moved[elsewhere]] = rng.integers(0, len(council_list), size=int(elsewhere.sum()))
    districts = np.array([rng.choice(council_list[c].districts) for c in council[moved]], dtype=object)
    postcode[moved] = _postcodes(districts, rng)
    for i in np.flatnonzero(rng.random(n) < _scaled(POSTCODE_TYPO, corruption)):
        if postcode[i]:
            at = len(postcode[i]) - int(rng.integers(1, 3))
            postcode[i] = postcode[i][:at] + "ABDEFGHJLNPQRSTUWXYZ"[int(rng.integers(0, 20))] + postcode[i][at + 1 :]
    postcode[rng.random(n) < _scaled(POSTCODE_MISSING, corruption)] = None
    return council, postcode


def hard_records(
    records: int,
    seed: int = 1,
    *,
    corruption: float = 1.0,
    script_share: float | None = None,
    namesakes: bool = True,
) -> pd.DataFrame:
    """About `records` records (record_id, forename, middle_names, surname, date_of_birth, sex, postcode, nino,
    upn, nhs_number, la_code, person) of about records / 1.86 people.

    corruption scales every per-record corruption rate (typos, swaps, missing names, postcodes, dates and sex,
    variants, surname changes, moves, date slips), capped at 1; script_share, where not None, is the share of
    script locales' records written in their own script; namesakes=False gives no two housemates one forename.
    The defaults are the stress set as it always was.
    """
    from tfnis.generate.reference import councils

    rng = np.random.default_rng([seed, 14])
    population = people(max(2, round(records / RECORDS_PER_PERSON)), seed, namesakes=namesakes)
    counts = 1 + rng.poisson(RECORDS_PER_PERSON - 1, size=len(population))
    person = np.repeat(np.arange(len(population)), counts)
    rows = population.iloc[person].reset_index(drop=True)
    n = len(rows)
    council_list = councils()[:COUNCILS]
    # The draws in the order they always were: names, places, identifiers, sex, then dates.
    forename, middle, surname = _names_of_records(rows, rng, seed, corruption, script_share)
    council, postcode = _places_of_records(rows, rng, council_list, corruption)
    nino = rows["nino"].to_numpy(dtype=object).copy()
    nino[rng.random(n) < NINO_MISSING] = None
    upn = rows["upn"].to_numpy(dtype=object).copy()
    upn[rng.random(n) < UPN_MISSING] = None
    sex = rows["sex"].to_numpy(dtype=object).copy()
    sex[rng.random(n) < _scaled(SEX_MISSING, corruption)] = None

    out = pd.DataFrame(
        {
            "record_id": np.arange(n),
            "forename": forename,
            "middle_names": middle,
            "surname": surname,
            "date_of_birth": _slip_dates(rows["date_of_birth"].to_numpy(dtype=object), rng, corruption),
            "sex": sex,
            "postcode": postcode,
            "nino": nino,
            "upn": upn,
            "nhs_number": None,
            "la_code": [council_list[c].la_code for c in council],
            "person": person,
        }
    )
    # Records arrive council by council, not person by person.
    out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    out["record_id"] = np.arange(n)
    identifier_columns = ["forename", "middle_names", "surname", "date_of_birth", "sex", "postcode", "nino", "upn"]
    out[identifier_columns] = out[identifier_columns].astype("string")
    out["nhs_number"] = out["nhs_number"].astype("string")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--corruption", type=float, default=1.0, help="scales every per-record corruption rate")
    parser.add_argument("--script-share", type=float, default=None, help="script locales' names as written")
    parser.add_argument("--no-namesakes", action="store_true", help="no two housemates share a forename")
    args = parser.parse_args()
    records = hard_records(
        args.records,
        args.seed,
        corruption=args.corruption,
        script_share=args.script_share,
        namesakes=not args.no_namesakes,
    )
    records.to_parquet(args.out)
    print(f"{len(records):,} records of {records['person'].nunique():,} people -> {args.out}")


if __name__ == "__main__":
    main()
