"""The true population behind the synthetic returns: households, their stints in a council, and how both
change from one half-year to the next (births, partners joining and leaving, families closing, moving
house or council). Everything is columnar numpy; the only Python loop is over periods.

A *stint* is one family's time on one council's caseload: it has the council's family_id. A family that
moves council ends one stint and starts another (new la_code, family_id and person_ids), with the same
true family and true people behind it: the ground truth the linkage benchmarks score against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tfnis.generate import identifiers as ids
from tfnis.generate import reference
from tfnis.spec.codes import ETHNICITY_MAIN, FRAMEWORKS, RELATIONS, SUPPORT_INTENSITIES

MAIN_CARER, PARTNER, CHILD, OTHER_ADULT, OTHER_CHILD = (RELATIONS.index(r) for r in RELATIONS)
ETHNICITIES: tuple[str, ...] = tuple(c for c in ETHNICITY_MAIN if c not in ("REFU", "NOBT"))
YEAR = 365.25
NO_DATE = -(10**9)  # day number standing for "no date"
NEVER = np.int16(32_000)  # a period index no run reaches: "this never happens"
MAX_PEOPLE = 9_000_000  # UPNs are unique up to here; person_id numbers are a bijection of [0, 2 * MAX_PEOPLE)

# Per half-year rates of change, chosen to look like a caseload, not measured from one.
FAMILY_CLOSES = 0.05  # drops out of the council's returns
FAMILY_MOVES_COUNCIL = 0.015
FAMILY_MOVES_HOUSE = 0.07
BIRTH = 0.035
TWINS = 0.03  # of siblings, roughly the UK multiple-birth rate
PARTNER_LEAVES, PARTNER_JOINS = 0.04, 0.025
ADULT_CHILD_LEAVES, OTHER_ADULT_LEAVES, OTHER_CHILD_LEAVES = 0.15, 0.08, 0.05
SURNAME_CHANGE_ADULT, SURNAME_CHANGE_CHILD = 0.015, 0.006
# Half-years an intervention family waits from identification to support (0: within the half-year it was
# identified), and a delayed start's day after the period end before it.
SUPPORT_WAIT = (0.3, 0.3, 0.2, 0.1, 0.1)
SUPPORT_DELAY_DAYS = (95, 175)
HALF_YEAR_DAYS = 183
PERSON_ID_REISSUED = 0.01  # a duplicate record merged, a system migration: a new council person_id

# How often each headline problem is Y among eligible families (before topping up to the minimum).
PROBLEM_RATES: dict[str, float] = {
    "CRIME_ASB": 0.35, "EDUCATION": 0.5, "CHILD_NEEDS_HELP": 0.55, "WORKLESS_FIN": 0.6,
    "DOMESTIC_ABUSE": 0.38, "HEALTH": 0.58, "EARLY_YEARS": 0.25, "SUBSTANCE": 0.2, "FAMILY_REL": 0.5,
    "CHILD_SAFE": 0.45, "CRIME": 0.25, "HOUSING": 0.3, "FINANCE": 0.55,
}  # fmt: skip


def day_number(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


@dataclass
class Columns:
    """A growable table of equal-length numpy columns."""

    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.cols[name] = values

    def extend(self, more: dict[str, np.ndarray]) -> np.ndarray:
        """Append rows; returns the indexes they got."""
        start = len(self)
        if not self.cols:
            self.cols = {k: np.asarray(v) for k, v in more.items()}
        else:
            self.cols = {k: np.concatenate([self.cols[k], np.asarray(more[k])]) for k in self.cols}
        return np.arange(start, len(self))


@dataclass
class Snapshot:
    """Who is on which caseload at one period end: the rows of that period's returns."""

    period: int
    period_end: date
    stints: np.ndarray  # indexes into Population.stints, sorted by council then stint
    people: np.ndarray  # indexes into Population.people, grouped by family in stint order
    person_stint: np.ndarray  # the stint each of those people is recorded under


class Population:
    """Simulates K half-years of C councils' caseloads of about F families each, from one seed."""

    def __init__(
        self, councils: list[reference.Council], families: int, period_ends: list[date], rng: np.random.Generator
    ):
        self.rng = rng
        self.councils = councils
        self.families_per_council = families
        self.period_ends = period_ends
        self.days = np.array([day_number(d) for d in period_ends], dtype=np.int64)
        self.framework = FRAMEWORKS[framework_for(period_ends[0])]
        profiles = reference.ethnicity_profiles()
        self.ethnicity_mix = np.array([[profiles[c.profile][e] for e in ETHNICITIES] for c in councils])
        self.families = Columns()  # true families
        self.stints = Columns()
        self.people = Columns()
        self.stint_now = np.zeros(0, dtype=np.int64)  # per true family: its current stint, -1 if none

    # --- the period loop ----------------------------------------------------------------------------
    def snapshots(self):
        """Yield one Snapshot per period, evolving the population in between."""
        for p in range(len(self.period_ends)):
            if p == 0:
                councils = np.repeat(np.arange(len(self.councils)), self.families_per_council)
                self._new_families(councils, p)
            else:
                self._close_and_move(p)
                self._household_changes(p)
            yield self._snapshot(p)

    def _snapshot(self, p: int) -> Snapshot:
        st = self.stints
        active = np.flatnonzero((st["start"] <= p) & (st["end"] > p))
        active = active[np.lexsort((active, st["council"][active]))]
        pe = self.people
        stint_of_person = self.stint_now[pe["true_family"]]
        present = np.flatnonzero((pe["enter"] <= p) & (pe["exit"] > p) & (stint_of_person >= 0))
        rank = np.empty(len(st), dtype=np.int64)
        rank[active] = np.arange(len(active))
        order = np.lexsort((pe["role"][present], rank[stint_of_person[present]]))
        present = present[order]
        return Snapshot(p, self.period_ends[p], active, present, stint_of_person[present])

    # --- families and stints ------------------------------------------------------------------------
    def _new_families(self, councils: np.ndarray, p: int) -> None:
        """Create true families identified in period p in the given councils, with their households."""
        rng, n = self.rng, len(councils)
        if n == 0:
            return
        eth = _draw(rng, self.ethnicity_mix[councils])
        fam = self.families.extend(
            {
                "ethnicity": eth.astype(np.int16),
                "surname": _surnames(rng, _pool_of(eth)),
                "carer": np.full(n, -1, dtype=np.int64),
                "first_council": councils.astype(np.int16),
            }
        )
        self.stint_now = np.concatenate([self.stint_now, np.full(n, -1, dtype=np.int64)])
        self._new_stints(fam, councils, p)
        self._new_households(fam, p)

    def _new_stints(self, fam: np.ndarray, councils: np.ndarray, p: int) -> None:
        rng, n, end_day = self.rng, len(fam), self.days[p]
        after = self.days[p - 1] + 1 if p > 0 else end_day - 540
        identified = rng.integers(after, end_day + 1, size=n)
        intervention = rng.random(n) < 0.72
        withdrawn = intervention & (rng.random(n) < 0.1)
        start = self._support_starts(identified, p, rng)
        length = np.where(withdrawn, rng.integers(7, 150, size=n), rng.integers(90, 460, size=n))
        problems = self.framework.problems
        rates = np.array([PROBLEM_RATES[c] for c in problems])
        draw = rng.random((n, len(problems)))
        rank = np.argsort(np.argsort(draw / rates, axis=1), axis=1)
        hp = (draw < rates) | (rank < self.framework.minimum)
        stint = self.stints.extend(
            {
                "true_family": fam,
                "council": councils.astype(np.int16),
                "start": np.full(n, p, dtype=np.int16),
                "end": np.full(n, NEVER, dtype=np.int16),
                "date_identified": identified,
                "intervention": intervention,
                "withdrawn": withdrawn,
                "support_start": np.where(intervention, start, NO_DATE),
                "support_end": np.where(intervention, start + length, NO_DATE),
                "intensity": rng.choice(np.array(SUPPORT_INTENSITIES), size=n, p=[0.25, 0.5, 0.25]),
                "problems": hp,
                "housing": rng.random(n),  # a family's housing tenure is a stable trait; see recording
                "postcode": ids.make_postcodes(self._districts(councils), rng).astype(object),
            }
        )
        self.stint_now[fam] = stint

    def _support_starts(self, identified: np.ndarray, p: int, rng: np.random.Generator) -> np.ndarray:
        """Support starts soon after identification for some families; the rest wait one to four half-years
        (a keyworker to be free, consent), so they are on the caseload before support starts: what lets a
        comparison see a supported family's before and after. A delayed start falls 3 to 6 months after a
        period end, so every month banding of it stays on the right side of that period end."""
        n, end_day = len(identified), self.days[p]
        soon = np.minimum(identified + rng.exponential(35, size=n).astype(np.int64), end_day)
        wait = rng.choice(len(SUPPORT_WAIT), size=n, p=SUPPORT_WAIT)
        base = self._period_day(p + wait - 1)
        later = base + rng.integers(SUPPORT_DELAY_DAYS[0], SUPPORT_DELAY_DAYS[1] + 1, size=n)
        return np.where(wait == 0, soon, later)

    def _period_day(self, q: np.ndarray) -> np.ndarray:
        """The day number of period end q, projected half a year at a time past the last one generated."""
        last = len(self.days) - 1
        return self.days[np.clip(q, 0, last)] + np.maximum(q - last, 0) * HALF_YEAR_DAYS

    def _districts(self, councils: np.ndarray) -> np.ndarray:
        u = self.rng.random(len(councils))
        out = np.empty(len(councils), dtype=object)
        for c in np.unique(councils):
            at = councils == c
            districts = np.array(self.councils[c].districts)
            out[at] = districts[(u[at] * len(districts)).astype(np.int64)]
        return out

    def _close_and_move(self, p: int) -> None:
        """Between p-1 and p: some stints close, some families move council, new families arrive."""
        rng, st = self.rng, self.stints
        active = np.flatnonzero((st["start"] <= p - 1) & (st["end"] > p - 1))
        u = rng.random(len(active))
        closing = active[u < FAMILY_CLOSES]
        n_councils = len(self.councils)
        moves = (u >= FAMILY_CLOSES) & (u < FAMILY_CLOSES + FAMILY_MOVES_COUNCIL) & (n_councils > 1)
        moving = active[moves]
        st["end"][np.concatenate([closing, moving])] = p
        self.stint_now[st["true_family"][closing]] = -1
        from_council = st["council"][moving].astype(np.int64)
        to_council = (from_council + rng.integers(1, max(n_councils, 2), size=len(moving))) % n_councils
        self._new_stints(st["true_family"][moving], to_council, p)
        # keep each council near its size: replace what closed or left, less what moved in
        lost = np.bincount(st["council"][closing], minlength=n_councils) + np.bincount(
            from_council, minlength=n_councils
        )
        gained = np.bincount(to_council, minlength=n_councils)
        fresh = np.maximum(lost - gained, 0)
        self._new_families(np.repeat(np.arange(n_councils), fresh), p)
        moved_house = active[
            (u >= FAMILY_CLOSES + FAMILY_MOVES_COUNCIL) & (rng.random(len(active)) < FAMILY_MOVES_HOUSE)
        ]
        moved_house = moved_house[st["end"][moved_house] > p]
        st["postcode"][moved_house] = ids.make_postcodes(self._districts(st["council"][moved_house]), rng)

    # --- people -------------------------------------------------------------------------------------
    def _new_households(self, fam: np.ndarray, p: int) -> None:
        """Main carer, sometimes a partner, children of ages the carer could have, other adults."""
        rng, n, day = self.rng, len(fam), self.days[p]
        carer_age = np.clip(rng.normal(34, 8.5, size=n), 18, 68)
        carer_sex = np.where(rng.random(n) < 0.87, 2, 1)
        has_partner = (rng.random(n) < 0.45) & (carer_age < 62)
        partner_age = np.clip(carer_age + rng.normal(2.5, 4, size=n), 18, 78)
        partner_sex = np.where(rng.random(n) < 0.97, 3 - carer_sex, carer_sex)
        max_children = np.clip(((carer_age - 16) // 2 + 1).astype(np.int64), 1, 8)
        n_children = np.minimum(rng.choice(7, size=n, p=[0.04, 0.26, 0.29, 0.21, 0.11, 0.06, 0.03]), max_children)
        n_adult_children = ((carer_age >= 36) & (rng.random(n) < 0.08)).astype(np.int64)
        n_other_adults = (rng.random(n) < 0.12).astype(np.int64)
        n_other_children = np.where(rng.random(n) < 0.04, rng.integers(1, 3, size=n), 0)

        groups = [
            (np.ones(n, dtype=np.int64), MAIN_CARER),
            (has_partner.astype(np.int64), PARTNER),
            (n_children, CHILD),
            (n_adult_children, CHILD),
            (n_other_adults, OTHER_ADULT),
            (n_other_children, OTHER_CHILD),
        ]
        ages, sexes, roles, owners = [], [], [], []
        for g, (count, role) in enumerate(groups):
            owner = np.repeat(np.arange(n), count)
            m = len(owner)
            ca = carer_age[owner]
            if g == 0:
                age, sex = ca, carer_sex
            elif g == 1:
                age, sex = partner_age[owner], partner_sex[owner]
            elif g == 2:  # the carer was 16-45 at the birth
                youngest = np.maximum(ca - 45, 0)
                age = youngest + rng.random(m) * (np.minimum(ca - 16, 18) - youngest)
                sex = rng.integers(1, 3, size=m)
                # twins: same birthday, surname and address, different forenames - a classic false match
                twin = np.flatnonzero((owner[1:] == owner[:-1]) & (rng.random(m - 1) < TWINS)) + 1
                age[twin] = age[twin - 1]
            elif g == 3:
                age = 18 + rng.random(m) * (np.minimum(ca - 16, 25) - 18)
                sex = rng.integers(1, 3, size=m)
            elif g == 4:  # a grandparent, or an adult relative or lodger
                grandparent = rng.random(m) < 0.6
                age = np.where(grandparent, np.minimum(ca + rng.uniform(18, 30, m), 88), rng.uniform(18, 60, m))
                sex = np.where(grandparent, np.where(rng.random(m) < 0.75, 2, 1), rng.integers(1, 3, size=m))
            else:
                age = rng.random(m) * 18
                sex = rng.integers(1, 3, size=m)
            ages.append(age)
            sexes.append(sex)
            roles.append(np.full(m, role))
            owners.append(owner)
        owner = np.concatenate(owners)
        dob = day - (np.concatenate(ages) * YEAR).astype(np.int64)
        new = self._add_people(fam[owner], np.concatenate(roles), dob, np.concatenate(sexes), p)
        carers = new[np.concatenate(roles) == MAIN_CARER]
        self.families["carer"][self.people["true_family"][carers]] = carers

    def _household_changes(self, p: int) -> None:
        rng, pe, day = self.rng, self.people, self.days[p]
        on_caseload = self.stint_now[pe["true_family"]] >= 0
        present = (pe["enter"] <= p - 1) & (pe["exit"] > p - 1) & on_caseload
        age = (day - pe["dob"]) / YEAR
        role = pe["role"]
        leave_rate = np.select(
            [role == PARTNER, (role == CHILD) & (age >= 18), role == OTHER_ADULT, role == OTHER_CHILD],
            [PARTNER_LEAVES, ADULT_CHILD_LEAVES, OTHER_ADULT_LEAVES, OTHER_CHILD_LEAVES],
            0.0,
        )
        leaving = present & (rng.random(len(pe)) < leave_rate)
        pe["exit"][leaving] = p

        families = np.flatnonzero(self.stint_now >= 0)
        carer = self.families["carer"][families]
        carer_age = (day - pe["dob"][carer]) / YEAR
        mother = (pe["sex"][carer] == 2) & (carer_age < 44)
        born = families[mother & (rng.random(len(families)) < BIRTH)]
        dob = rng.integers(self.days[p - 1] + 1, day + 1, size=len(born))
        self._add_people(born, np.full(len(born), CHILD), dob, rng.integers(1, 3, size=len(born)), p)

        still = (pe["exit"] > p) & (pe["role"] == PARTNER) & (pe["enter"] <= p)
        partnered = np.zeros(len(self.families), dtype=bool)
        partnered[pe["true_family"][still]] = True
        joins = families[~partnered[families] & (carer_age < 60) & (rng.random(len(families)) < PARTNER_JOINS)]
        carer = self.families["carer"][joins]
        joiner_age = np.clip((day - pe["dob"][carer]) / YEAR + rng.normal(2.5, 5, len(joins)), 18, 80)
        self._add_people(
            joins, np.full(len(joins), PARTNER), day - (joiner_age * YEAR).astype(np.int64),
            3 - pe["sex"][carer], p, own_surname=True,
        )  # fmt: skip

    def _add_people(
        self, fam: np.ndarray, role: np.ndarray, dob: np.ndarray, sex: np.ndarray, p: int, own_surname=False
    ) -> np.ndarray:
        """Add people to true families, with names, ethnicity and identifiers."""
        rng, n, K = self.rng, len(fam), len(self.period_ends)
        fams = self.families
        family_eth = fams["ethnicity"][fam].astype(np.int64)
        council = self.stints["council"][self.stint_now[fam]].astype(np.int64)
        eth = np.where(rng.random(n) < 0.88, family_eth, _draw(rng, self.ethnicity_mix[council]))
        pool = _pool_of(eth)
        surname = _surnames(rng, pool)
        keeps_family_name = np.array([1.0, 0.55, 0.8, 0.35, 0.3])  # by role, in RELATIONS order
        keep = rng.random(n) < keeps_family_name[role] * (0.0 if own_surname else 1.0)
        surname = np.where(keep, fams["surname"][fam], surname)
        adult = dob < self.days[p] - int(18 * YEAR)
        change_rate = np.where((sex == 2) & adult, SURNAME_CHANGE_ADULT, np.where(adult, 0.0, SURNAME_CHANGE_CHILD))
        change_at = np.where(change_rate > 0, p + rng.geometric(np.maximum(change_rate, 1e-9)), NEVER)
        new_surname = _surnames(rng, pool)
        double_barrel = adult & (rng.random(n) < 0.15)
        new_surname = np.where(
            double_barrel, np.char.add(np.char.add(surname.astype(str), "-"), new_surname.astype(str)), new_surname
        ).astype(object)
        born_year = np.datetime64(0, "D") + dob
        year = born_year.astype("datetime64[Y]").astype(np.int64) + 1970
        dfe_la = np.array([c.dfe_la for c in self.councils])[self.families["first_council"][fam]]
        start = len(self.people)
        index = np.arange(start, start + n)
        if start + n > MAX_PEOPLE:
            raise ValueError(f"at most {MAX_PEOPLE:,} people per generated set")
        return self.people.extend(
            {
                "true_family": fam.astype(np.int64),
                "role": role.astype(np.int8),
                "dob": dob.astype(np.int64),
                "sex": sex.astype(np.int8),
                "ethnicity": eth.astype(np.int16),
                "forename": _forenames(rng, pool, sex, year),
                "middle_names": np.where(rng.random(n) < 0.55, _forenames(rng, pool, sex, year), "").astype(object),
                "surname": surname.astype(object),
                "new_surname": new_surname,
                "surname_changes": change_at.astype(np.int16),
                "enter": np.full(n, p, dtype=np.int16),
                "exit": np.full(n, NEVER, dtype=np.int16),
                "reissued": np.where(
                    rng.random(n) < PERSON_ID_REISSUED * K, p + rng.integers(1, max(K, 2), size=n), NEVER
                ).astype(np.int16),
                "nino": ids.make_ninos(index, rng).astype(object),
                "upn": ids.make_upns(index, dfe_la, year + 4, rng).astype(object),
                "nhs_number": ids.make_nhs_numbers(index).astype(object),
            }
        )


def framework_for(period_end: date) -> str:
    """TF6_2015 for returns up to September 2020, SF10_2022 from September 2022."""
    if period_end < date(2020, 10, 1):
        return "TF6_2015"
    if period_end >= date(2022, 9, 30):
        return "SF10_2022"
    raise ValueError(f"no framework for period end {period_end}: choose periods up to 2020-09-30 or from 2022-09-30")


def _draw(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix."""
    cumulative = probabilities.cumsum(axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return (u > cumulative).sum(axis=1)


def _pool_of(eth: np.ndarray) -> np.ndarray:
    lookup = np.array([reference.NAME_POOLS.index(reference.NAME_POOL_OF_ETHNICITY[e]) for e in ETHNICITIES])
    return lookup[eth]


def _pick(rng: np.random.Generator, names: reference.NameList, size: int) -> np.ndarray:
    weights = np.asarray(names.weights)
    cumulative = weights.cumsum()
    at = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.asarray(names.names, dtype=object)[np.minimum(at, len(weights) - 1)]


def _surnames(rng: np.random.Generator, pool: np.ndarray) -> np.ndarray:
    out = np.empty(len(pool), dtype=object)
    lists = reference.surnames()
    for i, name in enumerate(reference.NAME_POOLS):
        at = pool == i
        out[at] = _pick(rng, lists[name], int(at.sum()))
    return out


def _forenames(rng: np.random.Generator, pool: np.ndarray, sex: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Forenames by pool and sex; people born since 2000 mostly get the names of their generation."""
    out = np.empty(len(pool), dtype=object)
    lists = reference.forenames()
    young = (year >= 2000) & (rng.random(len(pool)) < 0.7)
    for i, name in enumerate(reference.NAME_POOLS):
        for s in (1, 2):
            for cohort in ("any", "young"):
                key = (name, str(s), cohort)
                at = (pool == i) & (sex == s)
                if (name, str(s), "young") in lists:
                    at &= young if cohort == "young" else ~young
                elif cohort == "young":
                    continue
                out[at] = _pick(rng, lists[key], int(at.sum()))
    return out
