"""How a council's case system records the true population at one period end: the two tables of a return.

This is where the realism lives: each council has its own coverage per field (and gets a little better each
period), its own id and date formats; names pick up nicknames, typos and lost accents, dates of birth get
mistyped, identifiers go missing, and with an error rate some identifiers are invalid. Zero and blank are
kept apart: a provided count is often 0, a field not provided is empty.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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


def record(
    pop: Population,
    snap: Snapshot,
    practice: Practice,
    error_rate: float,
    rng: np.random.Generator,
    planting: Planting | None = None,
) -> RecordedPeriod:
    """The returns of every council for one period end, as two DataFrames of strings, plus the truth.

    A family is supported from the first period end after its support starts; before that it is recorded as
    COMPARISON with no support dates (the return has no status for "support not yet started"). `planting`
    moves its outcomes from then on (tfnis.generate.effects)."""
    plant = planting or Planting({})
    councils = pop.councils
    day = int(pop.days[snap.period])
    st, pe = pop.stints, pop.people
    la_codes = np.array([c.la_code for c in councils], dtype=object)
    dmy = np.array([c.date_format == "dmy" for c in councils])

    # --- families -----------------------------------------------------------------------------------
    s = snap.stints
    fc = st["council"][s].astype(np.int64)
    n = len(s)
    fam: dict[str, np.ndarray] = {
        "la_code": la_codes[fc],
        "period_end": _dates(np.full(n, day), dmy[fc]),
        "family_id": _local_ids(s, fc, councils, "F", 10_000_000, 100),
        "framework": np.full(n, pop.framework.code, dtype=object),
        "date_identified": _dates(st["date_identified"][s], dmy[fc]),
    }
    problems = st["problems"][s]
    for code in HEADLINE_PROBLEMS:
        if code in pop.framework.problems:
            fam[f"hp_{code}"] = np.where(problems[:, pop.framework.problems.index(code)], "Y", "N").astype(object)
        else:
            fam[f"hp_{code}"] = np.full(n, "", dtype=object)
    has = {code: problems[:, i] for i, code in enumerate(pop.framework.problems)}
    crime = has.get("CRIME_ASB", has.get("CRIME", np.zeros(n, bool)))
    abuse = has["DOMESTIC_ABUSE"]
    substance = has.get("SUBSTANCE", has["HEALTH"])
    education = has["EDUCATION"]
    health = has["HEALTH"]
    housing_problem = has.get("HOUSING", has.get("WORKLESS_FIN", np.zeros(n, bool)))

    support_start, support_end = st["support_start"][s], st["support_end"][s]
    intervention = st["intervention"][s] & (support_start <= day)
    ended = intervention & (support_end <= day)
    status = np.where(
        ~intervention, "COMPARISON", np.where(ended, np.where(st["withdrawn"][s], "WITHDRAWN", "ENDED"), "ACTIVE")
    )
    fam["intervention_status"] = status.astype(object)
    fam["support_start_date"] = _dates(np.where(intervention, support_start, NO_DATE), dmy[fc])
    fam["support_end_date"] = _dates(np.where(ended, support_end, NO_DATE), dmy[fc])
    fam["support_intensity"] = _blank_unless(
        intervention & practice.filled("support_intensity", fc, snap.period, rng), st["intensity"][s]
    )

    # tenure is a stable trait of the family, re-drawn now and then; housing problems mean worse housing
    u = np.where(rng.random(n) < 0.05, rng.random(n), st["housing"][s])
    tenure = np.array([t for t, _ in TENURES], dtype=object)[
        np.searchsorted(np.cumsum([w for _, w in TENURES]), u * 0.9999, side="right")
    ]
    tenure = np.where(housing_problem & (u < 0.1), "TEMPORARY_ACCOM", tenure)
    no_fixed_abode = rng.random(n) < NO_FIXED_ABODE_RATE
    tenure = np.where(no_fixed_abode, "NO_FIXED_ABODE", tenure)
    fam["housing_status"] = _blank_unless(practice.filled("housing_status", fc, snap.period, rng), tenure)
    insecure = np.isin(tenure, ["TEMPORARY_ACCOM", "NO_FIXED_ABODE", "WITH_FRIENDS_FAMILY"])
    means = {
        "evictions": np.where(housing_problem, 0.12, 0.03),
        "homelessness_applications": np.where(insecure, 0.8, 0.05),
    }
    for col, mean in means.items():
        filled = practice.filled(col, fc, snap.period, rng)
        fam[col] = _counts(filled, plant.counts(col, rng.poisson(mean), mean, intervention, filled, rng))
    filled = practice.filled("weeks_homeless", fc, snap.period, rng)
    weeks = np.where(insecure, rng.integers(1, 27, n), 0)
    fam["weeks_homeless"] = _counts(
        filled, plant.counts("weeks_homeless", weeks, np.where(insecure, 14.0, 0.0), intervention, filled, rng)
    )
    filled = practice.filled("rent_arrears", fc, snap.period, rng)
    p_arrears = plant.chance("rent_arrears", np.where(housing_problem, 0.45, 0.18), intervention, filled)
    fam["rent_arrears"] = _blank_unless(filled, np.where(rng.random(n) < p_arrears, "Y", "N"))
    filled = practice.filled("police_callouts", fc, snap.period, rng)
    mean = np.where(crime | abuse, 1.4, 0.2)
    fam["police_callouts"] = _counts(
        filled, plant.counts("police_callouts", rng.poisson(mean), mean, intervention, filled, rng)
    )

    # --- individuals --------------------------------------------------------------------------------
    i, ps = snap.people, snap.person_stint
    m = len(i)
    c = st["council"][ps].astype(np.int64)
    row_of_stint = np.empty(len(st), dtype=np.int64)
    row_of_stint[s] = np.arange(n)
    fr = row_of_stint[ps]  # each person's family row
    reissued = snap.period >= pe["reissued"][i]
    ind: dict[str, np.ndarray] = {
        "la_code": la_codes[c],
        "period_end": fam["period_end"][fr],
        "family_id": fam["family_id"][fr],
        "person_id": _local_ids(i + reissued * MAX_PEOPLE, c, councils, "P", 2 * MAX_PEOPLE, 0),
        "relation_in_family": np.array(RELATIONS, dtype=object)[pe["role"][i]],
    }
    forename = _vary_forenames(pe["forename"][i], rng)
    surname = np.where(snap.period >= pe["surname_changes"][i], pe["new_surname"][i], pe["surname"][i])
    surname = _misspell(surname.astype(object), TYPO_RATE, rng)
    middle = _blank_unless(practice.filled("middle_names", c, snap.period, rng), pe["middle_names"][i])
    strip = practice.strips_accents[c]
    forename, surname, middle = (_strip_accents(x, strip) for x in (forename, surname, middle))
    upper = practice.upper_surnames[c]
    surname[upper] = np.array([x.upper() for x in surname[upper]], dtype=object)
    ind["forename"], ind["surname"], ind["middle_names"] = forename, surname, middle

    dob = _slip_dates(pe["dob"][i], day, rng)
    ind["date_of_birth"] = _dates(dob, dmy[c])
    age = _whole_years(dob, day)
    sex = pe["sex"][i]
    letters = np.array([x.sex_format == "letter" for x in councils])[c]
    ind["sex"] = np.where(letters, np.where(sex == 1, "M", "F"), np.where(sex == 1, "1", "2")).astype(object)

    nfa = no_fixed_abode[fr]
    postcode = st["postcode"][ps].astype(str)
    ind["postcode"] = np.where(nfa, "", _corrupt(postcode, error_rate, ids.corrupt_postcodes, rng)).astype(object)
    ind["postcode"] = _postcode_styles(ind["postcode"], rng)
    ind["no_fixed_abode"] = np.where(
        nfa, "Y", np.where(practice.filled("no_fixed_abode", c, snap.period, rng), "N", "")
    ).astype(object)

    has_nino = (age >= 16) & practice.filled("nino", c, snap.period, rng)
    nino = _corrupt(pe["nino"][i].astype(str), error_rate, ids.corrupt_ninos, rng)
    ind["nino"] = _nino_styles(_blank_unless(has_nino, nino), rng)
    school = (age >= 4) & (age <= 19) & ~((age >= 17) & (rng.random(m) < 0.6))
    upn = _corrupt(pe["upn"][i].astype(str), error_rate, ids.corrupt_upns, rng)
    ind["upn"] = _blank_unless(school & practice.filled("upn", c, snap.period, rng), upn)
    nhs = _corrupt(pe["nhs_number"][i].astype(str), error_rate, ids.corrupt_nhs_numbers, rng)
    ind["nhs_number"] = _blank_unless(practice.filled("nhs_number", c, snap.period, rng), nhs)
    ind["ethnicity"] = _ethnicities(pe["ethnicity"][i], c, practice, snap.period, rng)

    f_crime, f_abuse, f_subst = crime[fr], abuse[fr], substance[fr]
    supported = intervention[fr]
    f_educ, f_health, f_work = education[fr], health[fr], housing_problem[fr]
    youth = (age >= 10) & (age <= 25)
    for col, rate in (("asb_nfi", 0.6), ("asb_fi", 0.25)):
        lam = np.where(f_crime & youth, rate, np.where(f_crime, rate / 4, 0.03))
        filled = (age >= 10) & practice.filled(col, c, snap.period, rng)
        ind[col] = _counts(filled, plant.counts(col, rng.poisson(lam), lam, supported, filled, rng))
    adult = age >= 16
    role = pe["role"][i]
    dv = np.full(m, "NONE", dtype=object)
    u = rng.random(m)
    dv[f_abuse & (role == MAIN_CARER) & (u < 0.6)] = "VICTIM"
    dv[f_abuse & (role == PARTNER) & (u < 0.4)] = "PERPETRATOR"
    dv[f_abuse & adult & (u > 0.97)] = "BOTH"
    ind["domestic_violence"] = _blank_unless(adult & practice.filled("domestic_violence", c, snap.period, rng), dv)
    for col, rate in (("alcohol_dependent", 0.06), ("drug_dependent", 0.05)):
        filled = adult & practice.filled(col, c, snap.period, rng)
        p_yes = plant.chance(col, np.where(f_subst, rate * 3, rate), supported, filled)
        ind[col] = _yes_no(filled, rng.random(m) < p_yes)
    filled = (age >= 16) & (age <= 24) & practice.filled("neet", c, snap.period, rng)
    p_neet = plant.chance("neet", np.where(f_work | f_educ, 0.4, 0.2), supported, filled)
    ind["neet"] = _yes_no(filled, rng.random(m) < p_neet)
    filled = (age >= 5) & (age <= 16) & practice.filled("missing_education", c, snap.period, rng)
    p_missing = plant.chance("missing_education", np.where(f_educ, 0.12, 0.02), supported, filled)
    ind["missing_education"] = _yes_no(filled, rng.random(m) < p_missing)
    p_mh = np.where(adult, 0.22, np.where(role == CHILD, 0.08, 0.1)) * np.where(f_health, 1.8, 1.0)
    filled = practice.filled("mental_health", c, snap.period, rng)
    ind["mental_health"] = _yes_no(filled, rng.random(m) < plant.chance("mental_health", p_mh, supported, filled))

    families = pd.DataFrame({col.name: fam[col.name] for col in FAMILY_COLUMNS})
    individuals = pd.DataFrame({col.name: ind[col.name] for col in INDIVIDUAL_COLUMNS})
    truth = pd.DataFrame(
        {
            "la_code": ind["la_code"],
            "period_end": np.full(m, str(snap.period_end)),
            "family_id": ind["family_id"],
            "person_id": ind["person_id"],
            "true_family": pe["true_family"][i],
            "true_person": i,
        }
    )
    return RecordedPeriod(families, individuals, truth)


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
def _corrupt(values: np.ndarray, rate: float, corrupter, rng: np.random.Generator) -> np.ndarray:
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
