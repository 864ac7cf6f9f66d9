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


# Census 2021, England and Wales, ethnic group of usual residents (ONS): White British 74.4 %, White Irish 0.9 %,
# Mixed 2.9 % (British-pool names here), other White 6.5 % (Roma and Gypsy included), Asian other than Chinese
# 8.6 % and Other 2.1 % (the South Asian pool), Black 4.0 %, Chinese 0.7 %. The share of each name pool among
# people outside the study (tfnis.generate.national), rounded; it was 20 % each, which made a Chinese-pool name
# (16 surnames) about 25 times commoner in an extract than in England.
POPULATION_NAME_POOLS: dict[str, float] = {
    "british": 0.782, "east_european": 0.065, "south_asian": 0.107, "african": 0.040, "chinese": 0.006,
}  # fmt: skip
# Smith, the commonest surname in England and Wales, is held by ~1.26 % of people (ONS count of the NHS Central
# Register, 2002: ~652,000 Smiths). The British list (surnames.csv, 509 names) gave Smith 2.9 % of the pool: its
# weights are scaled so that Smith has 1.26 % and the rest of the pool goes to a long tail of rarer surnames,
# each below the rarest listed one (England has tens of thousands of surnames; docs/generate.md "Names").
COMMONEST_BRITISH_SURNAME_SHARE = 0.0126
_TAIL_STEMS_TEXT = (
    "Ash Bad Bark Bel Bick Black Blen Brad Bram Brock Bur Cal Carl Chad Chil Clay Cliff Cod Cold Cot Crom Dal Dar "
    "Den Dun Eas Eld Elm Fair Far Fen Fox Gar Glad Gos Hal Ham Har Hay Hen Hol Horn Hud Ing Kel Ken Kirk Lang Lid "
    "Lind Lock Lud Mar Mel Mid Mil Mor Nor Oak Ock Old Pad Pen Pick Pil Pres Rad Ral Red Rid Rock Rom Rud Sal San "
    "Scar Shel Sher Shir Sid Sil Stan Stock Sud Sut Tad Tal Thorn Tid Tod Tun Ud Wal War Wat Wed Wel Whit Wick Wil "
    "Win Wol Wor Yar"
)
_TAIL_SUFFIXES_TEXT = (
    "by bury combe croft dale den don field ford gate ham hurst ington ley low more ridge shaw stead stone thorpe "
    "ton well wick wood worth bourne cliffe fold house land"
)


def _long_tail(listed: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The British list scaled to Smith's real share, then a tail of compound surnames (stem + suffix, none a
    listed name) holding the rest of the pool, falling by half from its commonest (under the rarest listed) to
    its rarest."""
    total, top, rarest = sum(w for _, w in listed), max(w for _, w in listed), min(w for _, w in listed)
    scale = COMMONEST_BRITISH_SURNAME_SHARE * total / top  # Smith's weight becomes 1.26 % of the pool's total
    known = {n for n, _ in listed}
    compounds = (s + x for s in _TAIL_STEMS_TEXT.split() for x in _TAIL_SUFFIXES_TEXT.split())
    tail = [name for name in dict.fromkeys(compounds) if name not in known]
    shape = [1.0 / (1.0 + rank / len(tail)) for rank in range(len(tail))]
    room = total - scale * total  # the listed names now hold scale x total of the pool's weight
    tail_weights = [x * room / sum(shape) for x in shape]
    if tail_weights[0] >= rarest * scale:
        raise ValueError("the surname tail's commonest name would be commoner than a listed one")
    return [(n, w * scale) for n, w in listed] + list(zip(tail, tail_weights, strict=True))


@cache
def surnames() -> dict[str, NameList]:
    grouped: dict[str, list[tuple[str, float]]] = {}
    for r in _rows("surnames.csv"):
        grouped.setdefault(r["pool"], []).append((r["surname"], float(r["weight"])))
    grouped["british"] = _long_tail(grouped["british"])
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
