"""Deterministic match keys (ONS style): records that agree exactly on every part of a key are one person.

Rules run strongest first; a record is labelled with the first rule that links it. The relaxed keys are the
ONS variants of the full name + date of birth + postcode key: initial instead of forename, day and month
read either way round, Soundex surname, postcode district instead of full postcode. A key is only formed
when every part is known, so a blank or invalid identifier never links anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import jellyfish
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MatchKeyRule:
    name: str
    parts: tuple[str, ...]
    forename_relaxed: bool = False  # the key drops the forename: guard against twins sharing an initial


MATCH_KEY_RULES: tuple[MatchKeyRule, ...] = (
    MatchKeyRule("nino_dob", ("nino", "dob")),
    MatchKeyRule("nhs_number_dob", ("nhs_number", "dob")),
    MatchKeyRule("upn", ("upn",)),
    MatchKeyRule("other_id_dob", ("other_id", "dob")),
    MatchKeyRule("name_dob_postcode", ("forename", "surname", "dob", "postcode")),
    MatchKeyRule("swapped_day_month", ("forename", "surname", "dob_unordered", "postcode")),
    MatchKeyRule("phonetic_surname", ("forename", "surname_phonetic", "dob", "postcode")),
    MatchKeyRule("postcode_district", ("forename", "surname", "dob", "postcode_district")),
    MatchKeyRule("initial_dob_postcode", ("forename_initial", "surname", "dob", "postcode"), True),
)
RULE_NAMES = tuple(rule.name for rule in MATCH_KEY_RULES)


def key_parts(fields: pd.DataFrame) -> pd.DataFrame:
    """The derived parts keys use besides the match fields themselves."""
    parts = pd.DataFrame(index=fields.index)
    parts["forename_initial"] = fields["forename"].str[:1]
    dob = fields["dob"]
    month, day = dob.str[5:7], dob.str[8:10]
    low = month.where(month <= day, day)
    high = day.where(month <= day, month)
    parts["dob_unordered"] = dob.str[:4] + "-" + low + "-" + high
    return parts


def match_key(fields: pd.DataFrame, rule: MatchKeyRule) -> pd.Series:
    """The key of each record under a rule; <NA> where any part is blank."""
    parts = key_parts(fields) if {"forename_initial", "dob_unordered"} & set(rule.parts) else fields
    columns = [parts[p] if p in parts.columns else fields[p] for p in rule.parts]
    key = columns[0].astype("string")
    for column in columns[1:]:
        key = key + "\x1f" + column.astype("string")
    return key


def forenames_compatible(a: str | None, b: str | None, aliases_a: str | None, aliases_b: str | None) -> bool:
    """Could two forenames under one initial be the same person's (typo, nickname, initial only)?"""
    if not a or not b or a == b or len(a) == 1 or len(b) == 1:
        return True
    if aliases_a and aliases_b and set(aliases_a.split("|")) & set(aliases_b.split("|")):
        return True
    return jellyfish.jaro_winkler_similarity(a, b) >= 0.88


# A postcode's area: the letters its outward code starts with (S, LS, BS, M). The model's "same area" level reads
# the district with the same pattern in SQL (tfnis.linkage.model), the second look's key here in pandas.
POSTCODE_AREA = "^[A-Z]+"

# Parts derived from one match field, computed once per distinct value of that field.
_DERIVED_PARTS = {
    "forename_initial": "forename",
    "dob_unordered": "dob",
    "dob_year": "dob",
    "dob_day_month": "dob",
    # The second look's (tfnis.linkage.second_look): a surname's initial, a postcode's area (its letters: S, LS).
    "surname_initial": "surname",
    "postcode_area": "postcode_district",
}


def _derive(name: str, values: pd.Series) -> pd.Series:
    if name == "dob_year":
        return values.str[:4]
    if name == "dob_day_month":
        return values.str[-5:]
    if name == "surname_initial":
        return values.str[:1]
    if name == "postcode_area":
        return values.str.extract(f"({POSTCODE_AREA})", expand=False).astype("string")
    return key_parts(pd.DataFrame({"forename": values, "dob": values}))[name]


class KeyCodes:
    """Integer codes of each key part of a frame, factorised once and shared by every rule (and by the
    model's blocking): combining codes is integer arithmetic, where building each rule's key as text costs
    seconds at a million records. Code -1 is a blank."""

    def __init__(self, fields: pd.DataFrame, codes: dict[str, tuple[np.ndarray, int]] | None = None) -> None:
        self.fields = fields
        self._codes: dict[str, tuple[np.ndarray, int]] = dict(codes or {})

    def over(self, fields: pd.DataFrame) -> KeyCodes:
        """These codes for another frame of the same rows in the same order (with other columns besides)."""
        return KeyCodes(fields, self._codes)

    def take(self, positions: np.ndarray) -> KeyCodes:
        """The codes of fields.iloc[positions], without factorising again."""
        taken = {name: (codes[positions], distinct) for name, (codes, distinct) in self._codes.items()}
        return KeyCodes(self.fields.iloc[positions].reset_index(drop=True), taken)

    def part(self, name: str) -> tuple[np.ndarray, int]:
        """(codes, number of distinct values) of one part."""
        if name not in self._codes:
            if name in _DERIVED_PARTS:
                # Derived once per distinct value of its field (a million records hold a few thousand dates).
                source_codes, source_values = pd.factorize(self.fields[_DERIVED_PARTS[name]], use_na_sentinel=True)
                derived = _derive(name, pd.Series(source_values, dtype="string"))
                derived_codes, derived_values = pd.factorize(derived, use_na_sentinel=True)
                codes = np.append(derived_codes, -1)[source_codes]
                self._codes[name] = (codes.astype(np.int32), len(derived_values))
            else:
                codes, values = pd.factorize(self.fields[name], use_na_sentinel=True)
                self._codes[name] = (codes.astype(np.int32), len(values))
        return self._codes[name]

    def combine(self, parts: tuple[str, ...] | list[str], *, blank_is_a_value: bool = False) -> np.ndarray:
        """One integer per record for the parts together (equal parts, equal integers); -1 where any is blank,
        unless blank_is_a_value (then blanks are equal to each other, as in telling identical records)."""
        combined: np.ndarray | None = None
        present = np.ones(len(self.fields), dtype=bool)
        for name in parts:
            codes, distinct = self.part(name)
            if blank_is_a_value:
                codes, distinct = codes + 1, distinct + 1
            present &= codes >= 0
            if combined is None:
                combined = codes.astype(np.int64)
            else:
                # Below n * (distinct + 1) <= 10^13 at a million records: no overflow; renumber to stay small.
                combined = pd.factorize(combined * (distinct + 1) + codes)[0].astype(np.int64)
        assert combined is not None
        return np.where(present, combined, -1)

    def key(self, rule: MatchKeyRule) -> np.ndarray:
        return self.combine(rule.parts)


def key_edges(fields: pd.DataFrame, rule: MatchKeyRule, codes: KeyCodes | None = None) -> pd.DataFrame:
    """Edges (left, right) between records (by position) sharing a key: each record to its group's first."""
    key = (codes or KeyCodes(fields)).key(rule)
    present = key >= 0
    positions = np.flatnonzero(present)
    if len(positions) < 2:
        return pd.DataFrame({"left": np.array([], dtype=np.int64), "right": np.array([], dtype=np.int64)})
    order = np.argsort(key[present], kind="stable")
    sorted_codes = key[present][order]
    first_of_group = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    anchor = positions[order][np.maximum.accumulate(np.where(first_of_group, np.arange(len(order)), 0))]
    member = positions[order]
    keep = member != anchor
    edges = pd.DataFrame({"left": anchor[keep], "right": member[keep]})
    if rule.forename_relaxed and len(edges):
        edges = edges[_compatible_forenames(fields, edges)]
    return edges


def _compatible_forenames(fields: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    forename = fields["forename"].to_numpy(dtype=object, na_value=None)
    aliases = fields["forename_aliases"].to_numpy(dtype=object, na_value=None)
    left, right = edges["left"].to_numpy(), edges["right"].to_numpy()
    differ = forename[left] != forename[right]
    verdict = np.ones(len(edges), dtype=bool)
    # Only pairs whose forenames differ need a look; evaluate each distinct pair once.
    pairs = {
        (forename[i], forename[j], aliases[i], aliases[j]) for i, j in zip(left[differ], right[differ], strict=True)
    }
    compatible = {pair: forenames_compatible(*pair) for pair in pairs}
    verdict[differ] = [
        compatible[(forename[i], forename[j], aliases[i], aliases[j])]
        for i, j in zip(left[differ], right[differ], strict=True)
    ]
    return verdict
