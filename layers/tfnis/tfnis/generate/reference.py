"""Reference lists the generator draws from: councils (real GSS codes, DfE LA numbers, postcode districts),
name pools, nickname variants and ethnicity mixes. All shipped as CSV beside this module; no real people."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tfnis.spec.codes import ETHNICITY_EXTENDED

DATA_DIR = Path(__file__).with_name("data")

# Which name pool a family of each DfE main ethnicity draws from (a rough, deliberately coarse mapping).
NAME_POOL_OF_ETHNICITY: dict[str, str] = {
    **dict.fromkeys(("WBRI", "WIRI", "WIRT", "MWBC", "MWBA", "MWAS", "MOTH", "BCRB"), "british"),
    **dict.fromkeys(("WOTH", "WROM"), "east_european"),
    **dict.fromkeys(("AIND", "APKN", "ABAN", "AOTH", "OOTH"), "south_asian"),
    **dict.fromkeys(("BAFR", "BOTH"), "african"),
    "CHNE": "chinese",
}
NAME_POOLS: tuple[str, ...] = ("british", "east_european", "south_asian", "african", "chinese")


@dataclass(frozen=True)
class Council:
    """One upper-tier authority as the generator needs it, and how its case system writes a return."""

    la_code: str
    name: str
    dfe_la: str  # 3-digit DfE LA number, positions 2-4 of the UPNs it allocates
    profile: str  # ethnicity mix, a row of ethnicity_profiles.csv
    id_style: str  # prefixed | dashed | plain: how its family_id / person_id look
    date_format: str  # iso | dmy (DD/MM/YYYY, which the spec accepts)
    sex_format: str  # digit (ISO/IEC 5218) | letter (M/F/U, accepted and mapped)
    districts: tuple[str, ...]  # postcode districts (outward codes) inside the authority


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def councils() -> tuple[Council, ...]:
    return tuple(
        Council(
            la_code=r["la_code"],
            name=r["name"],
            dfe_la=r["dfe_la"],
            profile=r["profile"],
            id_style=r["id_style"],
            date_format=r["date_format"],
            sex_format=r["sex_format"],
            districts=tuple(r["districts"].split()),
        )
        for r in _rows("councils.csv")
    )


@cache
def ethnicity_profiles() -> dict[str, dict[str, float]]:
    """profile -> {main code: probability}; probabilities sum to 1."""
    out = {}
    for r in _rows("ethnicity_profiles.csv"):
        weights = {k: float(v) for k, v in r.items() if k != "profile"}
        total = sum(weights.values())
        out[r["profile"]] = {k: v / total for k, v in weights.items()}
    return out


@dataclass(frozen=True)
class NameList:
    names: tuple[str, ...]
    weights: tuple[float, ...]


@cache
def forenames() -> dict[tuple[str, str, str], NameList]:
    """(pool, sex '1'/'2', cohort 'any'/'young') -> names with weights."""
    grouped: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for r in _rows("forenames.csv"):
        grouped.setdefault((r["pool"], r["sex"], r["cohort"]), []).append((r["forename"], float(r["weight"])))
    return {k: NameList(tuple(n for n, _ in v), tuple(w for _, w in v)) for k, v in grouped.items()}


@cache
def surnames() -> dict[str, NameList]:
    grouped: dict[str, list[tuple[str, float]]] = {}
    for r in _rows("surnames.csv"):
        grouped.setdefault(r["pool"], []).append((r["surname"], float(r["weight"])))
    return {k: NameList(tuple(n for n, _ in v), tuple(w for _, w in v)) for k, v in grouped.items()}


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal forename -> the nicknames and spelling variants a case worker may record instead."""
    grouped: dict[str, list[str]] = {}
    for r in _rows("nicknames.csv"):
        grouped.setdefault(r["forename"], []).append(r["variant"])
    return {k: tuple(v) for k, v in grouped.items()}


@cache
def extended_codes_of() -> dict[str, tuple[str, ...]]:
    """Main ethnicity code -> the DfE extended codes that roll up to it."""
    grouped: dict[str, list[str]] = {}
    for ext, main in ETHNICITY_EXTENDED.items():
        grouped.setdefault(main, []).append(ext)
    return {k: tuple(v) for k, v in grouped.items()}
