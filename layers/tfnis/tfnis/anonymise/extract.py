"""Build the research extract of one submission from its attribute frames and its key map.

Inputs are what validation and matching leave in WorkBucket (briefs/ATTRIBUTES.md): family and individual
attributes keyed by random tokens, and the key map record_token → person_key, family_key. Nothing here ever
sees an identifier; the output carries pseudonyms in place of tokens and linkage keys, minimised fields in
place of fine ones (tfnis.anonymise.minimise: bands of months, age and family size, ONS high-level ethnic
group, no area by default), goes through disclosure control (tfnis.disclosure: k-anonymity by local
suppression, or a refusal), is shuffled, and has exactly the allow-listed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from tfnis.anonymise.check import check_extract
from tfnis.anonymise.columns import (
    AREAS,
    INTERVENTION_GROUP_OF_STATUS,
    ExtractColumn,
    ExtractKind,
    extract_columns,
    staging_columns,
)
from tfnis.anonymise.minimise import (
    LEVELS,
    MEMBER_IDENTIFIERS,
    age_band,
    ethnic_group,
    family_rules,
    family_size_band,
    flags_follow_age_band,
    in_age_band,
    individual_rules,
    months_band,
    months_before,
)
from tfnis.anonymise.pseudonyms import pseudonymise
from tfnis.disclosure.control import DEFAULT_K, DEFAULT_MAX_SUPPRESSION
from tfnis.spec.columns import AGE_BANDS as AGE_BANDS_OF_MEASURES

if TYPE_CHECKING:
    from tfnis.disclosure.report import RiskReport


class KeyMapMismatch(ValueError):
    """The key map does not cover the submission's records one to one (matching is incomplete)."""


@dataclass(frozen=True)
class ExtractPolicy:
    """The disclosure settings of the extract (template parameters DisclosureK, MaxSuppressionShare, ExtractArea)."""

    k: int = DEFAULT_K
    max_suppression: float = DEFAULT_MAX_SUPPRESSION
    area: str = ""  # "", postcode_district or lsoa

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"area must be one of {AREAS}")
        if self.k < 1 or not 0.0 <= self.max_suppression <= 1.0:
            raise ValueError("k must be at least 1 and max_suppression between 0 and 1")


@dataclass(frozen=True)
class ResearchExtract:
    """One submission's contribution to extract/period_end=…/la_code=…/, with its disclosure risk report."""

    families: pd.DataFrame
    individuals: pd.DataFrame
    area: str = ""
    risk: RiskReport | None = None
    # family_key → support_start_month, support_end_month (month numbers): what the panel release needs beside
    # the bands to place every period before and after support started (staging only, never researcher-facing).
    support_months: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"families": self.families, "individuals": self.individuals}

    def parquet(self) -> dict[str, bytes]:
        """Both tables as Parquet bytes, typed by the allow-list."""
        return {
            table: extract_parquet(frame, extract_columns(table, self.area)) for table, frame in self.tables().items()
        }

    def staging_tables(self) -> dict[str, pd.DataFrame]:
        """The tables as staged for the panel release: the families with their support months."""
        months = self.support_months
        if months is None:
            months = pd.DataFrame({"family_key": pd.Series(dtype="string")})
        families = self.families.merge(months, on="family_key", how="left")  # left: keeps the shuffled order
        return {"families": families, "individuals": self.individuals}

    def staging_parquet(self) -> dict[str, bytes]:
        """Both staging tables as Parquet bytes, checked against the staging allow-list first."""
        out = {}
        for table, frame in self.staging_tables().items():
            allowed = staging_columns(table, self.area)
            check_extract(frame, table, allowed)
            out[table] = extract_parquet(_conform(frame, allowed), allowed)
        return out

    def check(self) -> None:
        """Raise ExtractRefused unless both tables pass the pre-write check."""
        for table, frame in self.tables().items():
            check_extract(frame, table, extract_columns(table, self.area))


def build_extract(
    families: pd.DataFrame,
    individuals: pd.DataFrame,
    key_map: pd.DataFrame,
    project_key: bytes,
    policy: ExtractPolicy | None = None,
) -> ResearchExtract:
    """The minimised, disclosure-controlled, shuffled and pseudonymised extract; checked before it is returned,
    so a caller cannot write an unchecked one. Raises DisclosureRefused when k costs too much suppression."""
    from tfnis.disclosure import protect_extract

    policy = policy or ExtractPolicy()
    fam, ind = pseudonymised(families, individuals, key_map, project_key)
    individual_columns = extract_columns("individuals", policy.area)
    protected = protect_extract(
        lambda level: _conform(minimised_families(fam, level), extract_columns("families")),
        lambda level: _conform(minimised_individuals(ind, level, policy.area), individual_columns),
        family_rules(), individual_rules(), MEMBER_IDENTIFIERS,
        k=policy.k, max_suppression=policy.max_suppression, levels=LEVELS,
    )  # fmt: skip
    extract = ResearchExtract(
        families=shuffled(protected.families),
        individuals=shuffled(flags_follow_age_band(protected.individuals)),
        area=policy.area,
        risk=protected.risk,
        support_months=support_months(fam),
    )
    extract.check()
    return extract


def pseudonymised(
    families: pd.DataFrame, individuals: pd.DataFrame, key_map: pd.DataFrame, project_key: bytes
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attribute frames with keyed pseudonyms in place of tokens; every record must be in the key map."""
    family_keys = _family_keys(key_map)
    person_keys = key_map[["record_token", "person_key", "family_key"]]
    if person_keys["record_token"].duplicated().any():  # cheaper than merge(validate=...) at 100k rows
        raise KeyMapMismatch(f"{int(person_keys['record_token'].duplicated().sum())} record(s) twice in the key map")

    fam = families.merge(family_keys, on="family_token", how="left")  # family_keys: one row per family_token
    if fam["family_key"].isna().any():
        raise KeyMapMismatch(f"{int(fam['family_key'].isna().sum())} family(ies) without a family_key")
    fam["family_key"] = pseudonymise(fam["family_key"], project_key, "family")

    ind = individuals.merge(person_keys, on="record_token", how="left")
    if ind["person_key"].isna().any():
        raise KeyMapMismatch(f"{int(ind['person_key'].isna().sum())} record(s) without a person_key")
    ind["person_key"] = pseudonymise(ind["person_key"], project_key, "person")
    ind["family_key"] = pseudonymise(ind["family_key"], project_key, "family")
    return fam, ind


def month_number(dates: pd.Series) -> pd.Series:
    """year * 12 + month - 1 of each date: months count by subtraction; <NA> where no date."""
    when = pd.to_datetime(dates)
    return (when.dt.year * 12 + when.dt.month - 1).astype("Int64")


def support_months(fam: pd.DataFrame) -> pd.DataFrame:
    """family_key → the month numbers of its support start and end in this return (staging only)."""
    none = pd.Series(pd.NaT, index=fam.index)
    return pd.DataFrame(
        {
            "family_key": fam["family_key"].astype("string"),
            "support_start_month": month_number(fam.get("support_start_date", none)),
            "support_end_month": month_number(fam.get("support_end_date", none)),
        }
    ).drop_duplicates("family_key")


def minimised_families(fam: pd.DataFrame, level: int = 0) -> pd.DataFrame:
    """Months (banded) before period_end in place of dates, family size banded, intervention group added."""
    out = fam.copy()
    out["intervention_group"] = out["intervention_status"].astype("string").map(INTERVENTION_GROUP_OF_STATUS)
    for column, date in (
        ("months_since_identified", "date_identified"),
        ("months_since_support_start", "support_start_date"),
        ("months_since_support_end", "support_end_date"),
    ):
        dates = out[date] if date in out.columns else pd.Series(pd.NaT, index=out.index)
        out[column] = months_band(months_before(dates, out["period_end"]), level)
    out["family_size"] = family_size_band(out["members"], level)
    return out


def minimised_individuals(ind: pd.DataFrame, level: int = 0, area: str = "") -> pd.DataFrame:
    """Age band and eligibility flags in place of age and birth month; ONS high-level ethnic group; the area
    only if asked for (and none from level 1 up)."""
    out = ind.copy()
    out["age_band"] = age_band(out["age"], level)
    for flag, band in (("missing_education_eligible", "missing_education"), ("neet_eligible", "neet")):
        out[flag] = in_age_band(out["age"], *AGE_BANDS_OF_MEASURES[band])
    ethnicity = out["ethnicity"] if "ethnicity" in out.columns else pd.Series(pd.NA, index=out.index)
    out["ethnic_group"] = ethnic_group(ethnicity, level)
    if area and (level > 0 or area not in out.columns):
        out[area] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in an order drawn from the operating system's CSPRNG, so row position says nothing about the
    council's return (sorting by 64 random bits per row: vectorised, and ties are vanishingly rare)."""
    import os

    import numpy as np

    order = np.argsort(np.frombuffer(os.urandom(8 * len(frame)), dtype=np.uint64), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


SQL_TYPES = {
    ExtractKind.PSEUDONYM: "VARCHAR",
    ExtractKind.CODE: "VARCHAR",
    ExtractKind.DATE: "DATE",
    ExtractKind.INT: "BIGINT",
}


def extract_parquet(frame: pd.DataFrame, allowed: tuple[ExtractColumn, ...]) -> bytes:
    """Parquet bytes with the allow-list's types, so every partition of the extract has one schema (an all-blank
    column would otherwise be written untyped and break reading extract/ as one dataset)."""
    import tempfile
    from pathlib import Path

    import duckdb

    columns = ", ".join(f'CAST("{c.name}" AS {SQL_TYPES[c.kind]}) AS "{c.name}"' for c in allowed)
    with tempfile.TemporaryDirectory(prefix="tfnis-extract-") as tmp, duckdb.connect() as con:
        path = Path(tmp) / "extract.parquet"
        con.register("extract", frame[[c.name for c in allowed]])
        con.execute(f"COPY (SELECT {columns} FROM extract) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        return path.read_bytes()


def _family_keys(key_map: pd.DataFrame) -> pd.DataFrame:
    """family_token → family_key, one each; two keys for one council family is a matching fault."""
    pairs = key_map[["family_token", "family_key"]].drop_duplicates()
    if pairs["family_token"].duplicated().any():
        raise KeyMapMismatch(f"{int(pairs['family_token'].duplicated().sum())} family(ies) with two family_keys")
    return pairs


def _conform(frame: pd.DataFrame, allowed: tuple[ExtractColumn, ...]) -> pd.DataFrame:
    """Exactly the allowed columns, in order, typed for Parquet; a column absent from the return is all <NA>."""
    out = pd.DataFrame(index=frame.index)
    for column in allowed:
        values = frame[column.name] if column.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        out[column.name] = _typed(values, column)
    return out.reset_index(drop=True)


def _typed(values: pd.Series, column: ExtractColumn) -> pd.Series:
    if column.kind is ExtractKind.DATE:  # datetime.date objects: no pyarrow in Lambda, DuckDB writes DATE
        stamps = pd.to_datetime(values)
        return stamps.dt.date.astype(object).where(stamps.notna(), None)
    if column.kind is ExtractKind.INT:
        return pd.to_numeric(values).astype("Int64")
    return values.astype("string")
