"""Name + date of birth evidence weighed by how common it is in the reference extract itself.

A national dataset often has no postcode (30 % of PNC records) and no NINO or UPN, leaving a name, a date of
birth and a sex. Whether that is enough depends on the name: most of the study is absent from an extract
(offending holds ~12 % of study people), so a record that agrees with a study person on name and birthday is
either that person or a stranger who happens to. The extract is itself a national population, so it says how
often strangers agree: a Fellegi–Sunter posterior whose u-probabilities are the extract's own term
frequencies (splink's term-frequency adjustment, computed here on the whole extract rather than a sample):

    posterior odds = share of study people in the extract (prior) x m / expected strangers agreeing,
    expected strangers agreeing = (records of that name, or one edit / nickname from it) x share of that date.

Levels: forename equal | a nickname or one edit apart; surname equal | one edit apart; date of birth equal |
the day slipped (same year and month) | day and month swapped. Sex must not disagree; a postcode, when both
sides state one, moves the odds (equal district: up; every district of the person different: down).
A record or a person with two candidates over the threshold is left alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Posterior needed for one name + date of birth match (the model's REFERENCE_THRESHOLD); tfnis.reference.matching
# also caps the expected false matches of an upload (FALSE_MATCH_BUDGET).
NAME_DOB_THRESHOLD = 0.99
# m-probabilities: how often one person's two records agree at each level (the recording slips national data
# shows: nicknames and typos in names, a day keyed wrongly). Set, not trained: too few true pairs to learn from.
M_FORENAME = {"equal": 0.92, "close": 0.07}
M_SURNAME = {"equal": 0.94, "close": 0.05}
M_DOB = {"equal": 0.985, "slipped": 0.01, "swapped": 0.003}
# Middle names, when both sides state them (the PNC's second and third forenames, a council's middle names): how
# often one person's two records state the same one (a typo, a dropped second middle name: the rest). Equal,
# the odds rise by this over the share of records stating that middle name; different, they fall to 1 - it.
M_MIDDLE = 0.9
# Share of one person's two records in different postcode districts (people move) when the extract's NINO or
# UPN matches cannot tell (tfnis.reference.matching measures it on them when there are enough).
MOVED_DISTRICT = 0.2


def deletion_variants(values: pd.Series) -> pd.DataFrame:
    """(value code, variant) for each distinct value: itself and every one-letter deletion. Two values within
    one edit (a letter changed, added, dropped, or two swapped) share a variant: a symmetric-delete index,
    written here because it is three lines of pandas over a few thousand distinct names."""
    import pandas as pd

    rows = [(code, v[:i] + v[i + 1 :]) for code, v in enumerate(values) if len(v) > 3 for i in range(len(v))]
    own = pd.DataFrame({"code": np.arange(len(values)), "variant": values.to_numpy(dtype=object)})
    return pd.concat([own, pd.DataFrame(rows, columns=["code", "variant"])], ignore_index=True).drop_duplicates()


def close_pairs(values: pd.Series, aliases: pd.Series | None = None) -> pd.DataFrame:
    """Pairs (a, b) of distinct-value codes one edit apart (or sharing a nickname's canonical name), a != b."""
    import pandas as pd

    variants = deletion_variants(values)
    pairs = variants.merge(variants, on="variant")[["code_x", "code_y"]]
    if aliases is not None:
        canon = pd.DataFrame({"code": np.arange(len(values)), "canon": aliases.fillna("").str.split("|")})
        canon = canon.explode("canon")
        canon = canon[canon["canon"].fillna("") != ""]
        pairs = pd.concat([pairs, canon.merge(canon, on="canon")[["code_x", "code_y"]]], ignore_index=True)
    pairs = pairs[pairs["code_x"] != pairs["code_y"]].drop_duplicates()
    return pairs.rename(columns={"code_x": "a", "code_y": "b"}).reset_index(drop=True)


_COLUMNS = ("forename", "middle_names", "surname", "dob", "sex", "postcode", "postcode_district")


class _Codes:
    """Integer codes of the name, date and place columns over index rows then extract records (one factorising
    per column), with the extract's counts of each value: the term frequencies."""

    def __init__(self, old: pd.DataFrame, fields: pd.DataFrame) -> None:
        import pandas as pd

        self.n_old, self.records = len(old), len(fields)
        self.code: dict[str, np.ndarray] = {}
        self.values: dict[str, pd.Series] = {}
        for column in _COLUMNS:
            both = pd.concat([old[column], fields[column]], ignore_index=True)
            codes, uniques = pd.factorize(both, use_na_sentinel=True)
            self.code[column], self.values[column] = codes.astype(np.int64), pd.Series(uniques, dtype=object)
        dob = self.values["dob"].astype(str)
        derived = {"year": dob.str[:4], "month": dob.str[:7], "swapped": dob.str[:5] + dob.str[8:10] + dob.str[4:7]}
        for name, values in derived.items():  # derived once per distinct date, then spread to the rows
            per_value, uniques = pd.factorize(values)
            self.code[name] = np.where(self.code["dob"] >= 0, np.append(per_value, -1)[self.code["dob"]], -1)
            self.values[name] = pd.Series(uniques, dtype=object)
        swapped = pd.Series(np.arange(len(dob)), index=dob.to_numpy()).reindex(derived["swapped"].to_numpy())
        self.swap_of_dob = swapped.fillna(-1).to_numpy(np.int64)  # dob code -> code of its swapped date, or -1

    def extract(self, column: str) -> np.ndarray:
        return self.code[column][self.n_old :]

    def old(self, column: str) -> np.ndarray:
        return self.code[column][: self.n_old]

    def counts(self, *columns: str) -> pd.Series:
        """Records of the extract per combination of codes (a MultiIndex for several columns)."""
        import pandas as pd

        frame = pd.DataFrame({c: self.extract(c) for c in columns})
        frame = frame[(frame >= 0).all(axis=1)]
        return frame.groupby(list(columns)).size() if len(columns) > 1 else frame[columns[0]].value_counts()


def _close_codes(codes: _Codes, column: str, aliases: pd.Series | None) -> np.ndarray:
    """Sorted a * K + b for every pair of distinct values of `column` one edit (or a nickname) apart."""
    values = codes.values[column].astype(str)
    pairs = close_pairs(values, aliases)
    return np.sort(pairs["a"].to_numpy(np.int64) * len(values) + pairs["b"].to_numpy(np.int64))


def _level(mine: np.ndarray, theirs: np.ndarray, close: np.ndarray, distinct: int) -> np.ndarray:
    """0 equal, 1 close, -1 neither (or blank)."""
    hashed = mine * distinct + theirs
    is_close = np.isin(hashed, close, assume_unique=False)
    return np.where((mine < 0) | (theirs < 0), -1, np.where(mine == theirs, 0, np.where(is_close, 1, -1)))


def _candidates(codes: _Codes, waiting: np.ndarray, close_f: np.ndarray, close_s: np.ndarray) -> pd.DataFrame:
    """(position, row, forename level, surname level, dob level) for waiting records and index rows that agree
    on a date of birth (equal, a slipped day, day and month swapped) and on both names at least closely."""
    import pandas as pd

    e = pd.DataFrame({"position": waiting, **{c: codes.extract(c)[waiting] for c in ("forename", "surname", "dob")}})
    e["month"] = codes.extract("month")[waiting]
    o = pd.DataFrame({"row": np.arange(codes.n_old), **{c: codes.old(c) for c in ("forename", "surname", "dob")}})
    o["month"] = codes.old("month")
    e, o = (
        e[(e[["forename", "surname", "dob"]] >= 0).all(axis=1)],
        o[(o[["forename", "surname", "dob"]] >= 0).all(axis=1)],
    )
    equal = e.merge(o, on="dob", suffixes=("", "_o")).assign(dob_level=0)
    slipped = e.merge(o, on=["forename", "surname", "month"], suffixes=("", "_o"))
    slipped = slipped[slipped["dob"] != slipped["dob_o"]].assign(
        forename_o=lambda f: f["forename"], surname_o=lambda f: f["surname"]
    )
    swapped = codes.swap_of_dob[slipped["dob"].to_numpy()] == slipped["dob_o"].to_numpy()
    slipped = slipped.assign(dob_level=np.where(swapped, 2, 1))
    swaps = e.assign(dob=codes.swap_of_dob[e["dob"].to_numpy()]).merge(o, on=["forename", "surname", "dob"])
    swaps = swaps.assign(forename_o=swaps["forename"], surname_o=swaps["surname"], dob_level=2)
    swaps = swaps[codes.extract("dob")[swaps["position"].to_numpy()] != codes.old("dob")[swaps["row"].to_numpy()]]
    pairs = pd.concat([f[["position", "row", "forename", "forename_o", "surname", "surname_o", "dob_level"]]
                       for f in (equal, slipped, swaps)], ignore_index=True)  # fmt: skip
    n_f, n_s = len(codes.values["forename"]), len(codes.values["surname"])
    pairs["forename_level"] = _level(pairs["forename"].to_numpy(), pairs["forename_o"].to_numpy(), close_f, n_f)
    pairs["surname_level"] = _level(pairs["surname"].to_numpy(), pairs["surname_o"].to_numpy(), close_s, n_s)
    pairs = pairs[(pairs["forename_level"] >= 0) & (pairs["surname_level"] >= 0)]
    return pairs[["position", "row", "forename_level", "surname_level", "dob_level"]].reset_index(drop=True)


class _Frequencies:
    """Shares of the extract's records carrying a value (or one close to it): the u-probabilities."""

    def __init__(self, codes: _Codes, close_f: np.ndarray, close_s: np.ndarray) -> None:
        self.m = codes.records
        self.k = {c: len(codes.values[c]) for c in codes.values}
        self.n = {
            c: self._count(codes.extract(c), self.k[c])
            for c in ("forename", "middle_names", "surname", "dob", "month", "year", "postcode", "postcode_district")
        }
        self.near = {"forename": self._near("forename", close_f), "surname": self._near("surname", close_s)}
        e = {c: codes.extract(c) for c in ("forename", "surname", "year")}
        known = (e["forename"] >= 0) & (e["surname"] >= 0) & (e["year"] >= 0)
        self.name = self._keyed(self._name_key(e["forename"][known], e["surname"][known]))
        self.name_year = self._keyed(self._name_key(e["forename"][known], e["surname"][known], e["year"][known]))
        self.forename_year = self._keyed(e["forename"][known] * self.k["year"] + e["year"][known])

    @staticmethod
    def _count(codes: np.ndarray, distinct: int) -> np.ndarray:
        return np.bincount(codes[codes >= 0], minlength=distinct).astype(np.float64)

    def _near(self, column: str, close: np.ndarray) -> np.ndarray:
        """Records whose value is this one or close to it."""
        k, n = self.k[column], self.n[column]
        return n + np.bincount(close // k, weights=n[close % k], minlength=k)

    def _name_key(self, forename: np.ndarray, surname: np.ndarray, year: np.ndarray | None = None) -> np.ndarray:
        key = forename * self.k["surname"] + surname
        return key if year is None else key * self.k["year"] + year

    @staticmethod
    def _keyed(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values, counts = np.unique(keys, return_counts=True)
        return values, counts.astype(np.float64)

    @staticmethod
    def lookup(table: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> np.ndarray:
        values, counts = table
        at = np.minimum(np.searchsorted(values, keys), max(len(values) - 1, 0))
        return np.where((len(values) > 0) & (values[at] == keys), counts[at] if len(values) else 0.0, 0.0)

    def names(self, f: np.ndarray, s: np.ndarray, y: np.ndarray, f_level: np.ndarray, s_level: np.ndarray):
        """u of the names agreeing at these levels with an index person named (f, s), born in year y. Equal
        names: the larger of the extract's share of that full name, its share among those born that year
        (leaving the record itself out) and the product of the two names' shares. Otherwise the product of
        each name's share (its neighbourhood's, when close), raised by how much more often the two names go
        together than apart (a family of names: a pool's surnames and forenames meet)."""
        m, n_year = self.m, np.maximum(self.n["year"][y], 1.0)
        n_f, n_s = self.n["forename"][f], self.n["surname"][s]
        cohort = np.where(n_f > 0, (self.lookup(self.forename_year, f * self.k["year"] + y) / n_year)
                          / np.maximum(n_f / m, 1e-300), 1.0)  # fmt: skip
        # A close level's u is the share of records whose name is close to this one but not equal (a stranger
        # with the equal name agrees at the equal level, weighed there).
        u_f = np.where(f_level == 0, n_f, self.near["forename"][f] - n_f) / m * np.maximum(cohort, 1.0)
        u_s = np.where(s_level == 0, n_s, self.near["surname"][s] - n_s) / m
        joint = self.lookup(self.name, self._name_key(f, s))
        together = np.where((n_f > 0) & (n_s > 0), joint * m / np.maximum(n_f * n_s, 1.0), 1.0)
        close = np.maximum(together, 1.0) * u_f * u_s
        in_year = (self.lookup(self.name_year, self._name_key(f, s, y)) - 1.0) / n_year
        equal = np.maximum.reduce([joint / m, in_year, u_f * u_s])
        return np.where((f_level == 0) & (s_level == 0), equal, close)


def _forename_aliases(old: pd.DataFrame, fields: pd.DataFrame, codes: _Codes) -> pd.Series:
    """The nickname canonicals of each distinct forename (by code), from whichever side states it first."""
    import pandas as pd

    aliases = pd.concat([old["forename_aliases"], fields["forename_aliases"]], ignore_index=True)
    frame = pd.DataFrame({"code": codes.code["forename"], "aliases": aliases.astype(object)})
    first = frame[frame["code"] >= 0].drop_duplicates("code").set_index("code")["aliases"]
    return first.reindex(np.arange(len(codes.values["forename"])))


def _middle_name_factor(pos: np.ndarray, row: np.ndarray, codes: _Codes, freq: _Frequencies) -> np.ndarray:
    """How much a middle name both sides state moves the odds: up by M_MIDDLE over the share of the extract's
    middle names that are this one when equal, down to 1 - M_MIDDLE when not; 1 when either side has none."""
    mine, theirs = codes.extract("middle_names")[pos], codes.old("middle_names")[row]
    stated = (mine >= 0) & (theirs >= 0)
    equal = stated & (mine == theirs)
    n = freq.n["middle_names"]
    factor = np.ones(len(pos))
    factor[stated] = 1.0 - M_MIDDLE
    factor[equal] = M_MIDDLE * max(float(n.sum()), 1.0) / np.maximum(n[theirs[equal]], 1.0)
    return factor


def _posterior(pairs: pd.DataFrame, codes: _Codes, freq: _Frequencies, share: float, moved: float) -> np.ndarray:
    """P(record is the person) for each candidate pair; 0 where sexes disagree."""
    pos, row = pairs["position"].to_numpy(), pairs["row"].to_numpy()
    f_level, s_level, d_level = (pairs[c].to_numpy() for c in ("forename_level", "surname_level", "dob_level"))
    f, s, y = codes.old("forename")[row], codes.old("surname")[row], codes.old("year")[row]
    u_names = freq.names(f, s, y, f_level, s_level)
    d_mine, d_theirs = codes.extract("dob")[pos], codes.old("dob")[row]
    month = freq.n["month"][codes.old("month")[row]]
    n_dob = np.select([d_level == 0, d_level == 1], [freq.n["dob"][d_theirs], month], freq.n["dob"][d_mine])
    strangers = u_names * np.maximum(n_dob, 1.0)  # records of the extract expected to agree by chance
    m = (np.where(f_level == 0, M_FORENAME["equal"], M_FORENAME["close"])
         * np.where(s_level == 0, M_SURNAME["equal"], M_SURNAME["close"])
         * np.select([d_level == 0, d_level == 1], [M_DOB["equal"], M_DOB["slipped"]], M_DOB["swapped"]))  # fmt: skip
    district = codes.extract("postcode_district")[pos], codes.old("postcode_district")[row]
    postcode = codes.extract("postcode")[pos], codes.old("postcode")[row]
    stated = (district[0] >= 0) & (district[1] >= 0)
    same_district = stated & (district[0] == district[1])
    same_postcode = same_district & (postcode[0] >= 0) & (postcode[0] == postcode[1])
    factor = np.ones(len(pairs))
    factor[stated] = moved
    n_district = np.maximum(freq.n["postcode_district"][district[1][same_district]], 1.0)
    factor[same_district] = (1.0 - moved) * freq.m / n_district
    factor[same_postcode] = (1.0 - moved) * freq.m / np.maximum(freq.n["postcode"][postcode[1][same_postcode]], 1.0)
    sex = codes.extract("sex")[pos], codes.old("sex")[row]
    odds = share * m * factor * _middle_name_factor(pos, row, codes, freq) / strangers
    return np.where((sex[0] >= 0) & (sex[1] >= 0) & (sex[0] != sex[1]), 0.0, odds / (1.0 + odds))


def name_dob_links(
    fields: pd.DataFrame, old: pd.DataFrame, waiting: np.ndarray, share: float, *,
    moved: float = MOVED_DISTRICT, chunk: int = 200_000,
) -> pd.DataFrame:  # fmt: skip
    """position, person (a code of old's person_key), p: every waiting record's candidate persons with their
    posterior (the best of the person's index rows), before any decision."""
    import pandas as pd

    codes = _Codes(old, fields)
    close_f = _close_codes(codes, "forename", _forename_aliases(old, fields, codes))
    close_s = _close_codes(codes, "surname", None)
    freq = _Frequencies(codes, close_f, close_s)
    person = pd.factorize(old["person_key"])[0]
    found = []
    for start in range(0, len(waiting), chunk):
        pairs = _candidates(codes, waiting[start : start + chunk], close_f, close_s)
        scored = pd.DataFrame({"position": pairs["position"].to_numpy(), "person": person[pairs["row"].to_numpy()],
                               "p": _posterior(pairs, codes, freq, share, moved)})  # fmt: skip
        found.append(scored[scored["p"] > 1e-6].groupby(["position", "person"], as_index=False)["p"].max())
    if not found:
        return pd.DataFrame({"position": np.zeros(0, np.int64), "person": np.zeros(0, np.int64), "p": []})
    return pd.concat(found, ignore_index=True)


def decided(links: pd.DataFrame, threshold: float = NAME_DOB_THRESHOLD) -> pd.DataFrame:
    """position, person, p of the links that decide a record: its best person, the posterior times the
    chance its second is not the one; at `threshold` or over; a person two records claim is left alone."""
    links = links.sort_values(["position", "p"], ascending=[True, False])
    rank = links.groupby("position").cumcount().to_numpy()
    second = links[rank == 1].set_index("position")["p"]
    links = links[rank == 0]
    links = links.assign(p=links["p"] * (1.0 - links["position"].map(second).fillna(0.0)))  # and not the other
    links = links[links["p"] >= threshold]
    return links[~links["person"].duplicated(keep=False)]


def name_dob_matches(
    fields: pd.DataFrame, old: pd.DataFrame, waiting: np.ndarray, share: float, *,
    moved: float = MOVED_DISTRICT, threshold: float = NAME_DOB_THRESHOLD, chunk: int = 200_000,
) -> pd.DataFrame:  # fmt: skip
    """position, person_key, match_probability of the waiting records whose name and date of birth make them
    one index person at `threshold`. share: the prior, the share of the index's people the extract holds (a
    lower bound from the strict keys); moved: the share of true pairs in different districts. A record whose
    second person is not unlikely, or a person two records claim, is left alone."""
    import pandas as pd

    links = decided(name_dob_links(fields, old, waiting, share, moved=moved, chunk=chunk), threshold)
    person_keys = pd.factorize(old["person_key"])[1]
    return pd.DataFrame(
        {"position": links["position"].to_numpy(np.int64),
         "person_key": np.asarray(person_keys, dtype=object)[links["person"].to_numpy(np.int64)],
         "match_probability": links["p"].to_numpy(np.float64)}
    )  # fmt: skip
