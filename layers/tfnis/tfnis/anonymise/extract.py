"""Build the research extract of one submission from its attribute frames and its key map.

Inputs are what validation and matching leave in WorkBucket (briefs/ATTRIBUTES.md): family and individual
attributes keyed by random tokens, and the key map record_token → person_key, family_key. Nothing here ever
sees an identifier; the output carries pseudonyms in place of tokens and linkage keys, coarsened fields in
place of fine ones (ONS ethnic group, month and year of birth), and exactly the allow-listed columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tfnis.anonymise.check import check_extract
from tfnis.anonymise.columns import INTERVENTION_GROUP_OF_STATUS, ExtractColumn, ExtractKind, extract_columns
from tfnis.anonymise.pseudonyms import pseudonymise
from tfnis.spec.codes import ONS_ETHNIC_GROUP


class KeyMapMismatch(ValueError):
    """The key map does not cover the submission's records one to one (matching is incomplete)."""


@dataclass(frozen=True)
class ResearchExtract:
    """One submission's contribution to extract/period_end=…/la_code=…/."""

    families: pd.DataFrame
    individuals: pd.DataFrame
    area: str = "postcode_district"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"families": self.families, "individuals": self.individuals}

    def parquet(self) -> dict[str, bytes]:
        """Both tables as Parquet bytes, typed by the allow-list."""
        return {
            table: extract_parquet(frame, extract_columns(table, self.area)) for table, frame in self.tables().items()
        }

    def check(self) -> None:
        """Raise ExtractRefused unless both tables pass the pre-write check."""
        for table, frame in self.tables().items():
            check_extract(frame, table, extract_columns(table, self.area))


def build_extract(
    families: pd.DataFrame, individuals: pd.DataFrame, key_map: pd.DataFrame, project_key: bytes
) -> ResearchExtract:
    """The pseudonymised extract; checked before it is returned, so a caller cannot write an unchecked one."""
    family_keys = _family_keys(key_map)
    person_keys = key_map[["record_token", "person_key", "family_key"]]
    if person_keys["record_token"].duplicated().any():  # cheaper than merge(validate=...) at 100k rows
        raise KeyMapMismatch(f"{int(person_keys['record_token'].duplicated().sum())} record(s) twice in the key map")

    fam = families.merge(family_keys, on="family_token", how="left")  # family_keys: one row per family_token
    if fam["family_key"].isna().any():
        raise KeyMapMismatch(f"{int(fam['family_key'].isna().sum())} family(ies) without a family_key")
    fam["family_key"] = pseudonymise(fam["family_key"], project_key, "family")
    fam["intervention_group"] = fam["intervention_status"].astype("string").map(INTERVENTION_GROUP_OF_STATUS)

    ind = individuals.merge(person_keys, on="record_token", how="left")
    if ind["person_key"].isna().any():
        raise KeyMapMismatch(f"{int(ind['person_key'].isna().sum())} record(s) without a person_key")
    ind["person_key"] = pseudonymise(ind["person_key"], project_key, "person")
    ind["family_key"] = pseudonymise(ind["family_key"], project_key, "family")
    ind["ethnic_group"] = ind["ethnicity"].astype("string").map(ONS_ETHNIC_GROUP, na_action="ignore")
    birth_month = pd.to_datetime(ind["birth_month"])
    months = {month: f"{month:%Y-%m}" for month in birth_month.dropna().unique()}  # a few hundred distinct
    ind["birth_year_month"] = birth_month.map(months)

    area = "lsoa" if "lsoa" in ind.columns and ind["lsoa"].notna().any() else "postcode_district"
    extract = ResearchExtract(
        families=_conform(fam, extract_columns("families")),
        individuals=_conform(ind, extract_columns("individuals", area)),
        area=area,
    )
    extract.check()
    return extract


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
