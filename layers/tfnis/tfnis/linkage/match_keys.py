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


class KeyCodes:
    """Integer codes of each key part of a frame, factorised once and shared by every rule: combining codes
    is integer arithmetic, where building each rule's key as text costs seconds at a million records."""

    def __init__(self, fields: pd.DataFrame) -> None:
        self.fields = fields
        self._parts: pd.DataFrame | None = None
        self._codes: dict[str, tuple[np.ndarray, int]] = {}

    def part(self, name: str) -> tuple[np.ndarray, int]:
        """(codes, number of distinct values) of one part; code -1 where blank."""
        if name not in self._codes:
            if name in self.fields.columns:
                column = self.fields[name]
            else:
                if self._parts is None:
                    self._parts = key_parts(self.fields)
                column = self._parts[name]
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            self._codes[name] = (codes.astype(np.int64), len(uniques))
        return self._codes[name]

    def key(self, rule: MatchKeyRule) -> np.ndarray:
        """One integer per record for the rule's key (equal keys, equal integers); -1 where any part is blank."""
        combined: np.ndarray | None = None
        present = np.ones(len(self.fields), dtype=bool)
        for name in rule.parts:
            codes, distinct = self.part(name)
            present &= codes >= 0
            if combined is None:
                combined = codes.copy()
            else:
                # Below n * (distinct + 1) <= 10^13 at a million records: no overflow; renumber to stay small.
                combined = pd.factorize(combined * (distinct + 1) + codes)[0].astype(np.int64)
        assert combined is not None
        return np.where(present, combined, -1)


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
