"""Normalised match fields: the one representation of a record that match keys and the model compare.

Names lose case, diacritics, punctuation, their script (other scripts are transliterated to Latin letters)
and the hyphen/space difference in double-barrelled names; Mac and Mc prefixes are one form; forenames carry
their nickname-canonical names. Identifiers go through the rules in tfnis.spec.identifiers and an invalid
identifier becomes blank: it is never evidence. String work runs once per distinct value, not once per row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import pandas as pd

from tfnis.spec import identifiers
from tfnis.spec.columnar import onto_rows, per_distinct_values, row_codes

if TYPE_CHECKING:
    import numpy as np

# Integer codes of match fields by name (tfnis.spec.columnar.row_codes), for tfnis.linkage.match_keys.KeyCodes.
FieldCodes = dict[str, tuple["np.ndarray", int]]

# Columns of the normalised frame (besides the caller's own id columns). Every one is a plain string column,
# <NA> when not known, so the frame goes to DuckDB and Parquet as is.
MATCH_FIELDS = (
    "forename",  # normalised full forename, spaces removed ("mary ann" -> "maryann")
    "forename_first",  # first forename token
    "forename_aliases",  # '|'-joined canonical names of forename_first (nickname list), itself included
    "middle_names",  # normalised middle names, spaces removed
    "surname",  # normalised surname, spaces removed ("smith-jones" -> "smithjones")
    "surname_first",  # first token of a double-barrelled surname
    "surname_last",  # last token of a double-barrelled surname
    "surname_phonetic",  # Soundex of the surname
    "dob",  # YYYY-MM-DD as given (not calendar-checked: a typo in a day still compares by characters)
    "sex",  # M / F
    "postcode",  # normalised UK postcode; for tfnis link, also a non-UK code upper-cased without spaces
    "postcode_district",  # outward code of a valid UK postcode
    "nino",  # 8-character stem of a VALID NINO
    "upn",  # valid UPN
    "nhs_number",  # valid NHS number (10 digits)
    "address",  # lower-case words of a free-text address
    "other_id",  # any other identifier, upper-case, letters and digits only
)

_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th", "ð": "d"})
_NOT_LETTER = re.compile(r"[^a-z ]+")
_APOSTROPHES = re.compile(r"['’‘`´.]")
_MAC = re.compile(r"\bma?c\s?(?=[a-z]{3})")


def fold_text(value: str) -> str:
    """Lower-case ASCII letters of a text: diacritics dropped, ligatures spelt out, other scripts
    transliterated (Cyrillic, Greek, Arabic, Han...: Дмитрий -> dmitrii), so a name written in its own script
    compares with the same name in Latin letters."""
    decomposed = unicodedata.normalize("NFKD", value.lower().translate(_FOLD))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if folded.isascii():
        return folded
    return transliterate(folded)


def transliterate(text: str) -> str:
    """Lower-case ASCII transliteration of any text (anyascii: one fixed table, no language guessing)."""
    from anyascii import anyascii

    return anyascii(text).lower()


def name_tokens(value: str | None) -> list[str]:
    """The words of a name, normalised: O'Brien -> obrien, Smith-Jones -> smith jones, MacDonald -> mcdonald."""
    if value is None or value != value:
        return []
    text = _APOSTROPHES.sub("", fold_text(str(value)))
    text = _NOT_LETTER.sub(" ", text.replace("-", " "))
    text = _MAC.sub("mc", " ".join(text.split()))
    tokens = text.split()
    # "O Brien" typed with a space is one surname: glue a lone "o" onto the next word.
    glued: list[str] = []
    for token in tokens:
        if glued and glued[-1] == "o":
            glued[-1] = "o" + token
        else:
            glued.append(token)
    return glued


def normalise_name(value: str | None) -> str | None:
    """A name as one comparable string (no spaces), or None when there is nothing left."""
    return _joined(name_tokens(value))


def _joined(tokens: list[str]) -> str | None:
    return "".join(tokens) or None


@cache
def nickname_canonicals() -> dict[str, tuple[str, ...]]:
    """Nickname -> canonical names, from the shipped nicknames.csv."""
    with resources.files("tfnis.linkage").joinpath("nicknames.csv").open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#", dtype=str)
    return {name: tuple(sorted(group)) for name, group in table.groupby("nickname")["canonical"]}


def forename_aliases(first_token: str | None) -> str | None:
    """'|'-joined set of the names a forename may stand for (itself and the names it is a nickname of)."""
    if not first_token:
        return None
    return "|".join(sorted({first_token, *nickname_canonicals().get(first_token, ())}))


def _per_distinct(
    series: pd.Series, function: Callable[[str], str | None], codes_out: FieldCodes | None = None, name: str = "_"
) -> pd.Series:
    """Apply a scalar function once per distinct value of a column (names repeat; rows are many); its codes
    into codes_out under `name` when given."""
    return per_distinct_values(series, {name: function}, codes_out=codes_out)[name]


def soundex(value: str | None) -> str | None:
    import jellyfish

    return jellyfish.soundex(value) if value else None


_DIGITS_ONLY = re.compile(r"^\d{8}$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def normalise_dob_text(value: str) -> str | None:
    """YYYY-MM-DD from YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY text, without calendar checks."""
    text = value.strip()
    if _DIGITS_ONLY.match(text):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if match := _ISO.match(text):
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    if match := _UK.match(text):
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return None


def normalise_dobs(series: pd.Series, codes_out: FieldCodes | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").astype("string")
    return _per_distinct(series, lambda value: normalise_dob_text(str(value)), codes_out, "dob")


_SEX = {"1": "M", "M": "M", "MALE": "M", "2": "F", "F": "F", "FEMALE": "F"}


def normalise_sexes(series: pd.Series, codes_out: FieldCodes | None = None) -> pd.Series:
    """M or F; ISO 5218 0 (not known) and 9 (not applicable) are not evidence."""
    return _per_distinct(series, lambda value: _SEX.get(str(value).strip().upper()), codes_out, "sex")


def normalise_postcode_fields(
    series: pd.Series, *, allow_non_uk: bool, codes_out: FieldCodes | None = None
) -> tuple[pd.Series, pd.Series]:
    """(postcode, district). NHS no-fixed-abode pseudo-postcodes are blank; so is anything else invalid
    unless allow_non_uk, when it is kept as an upper-case code compared by characters."""
    import numpy as np

    # One factorisation of the text as given; each distinct value stripped (blank: <NA>) and classified.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = pd.Series([str(v).strip() or None for v in np.asarray(uniques, dtype=object)], dtype="string")
    classes = identifiers.postcode_classes(distinct)
    normalised = identifiers.normalise_postcodes(distinct)
    keep = classes.isin(["VALID", "GIR", "BFPO"]).fillna(False)
    postcode = normalised.where(keep)
    if allow_non_uk:
        other = distinct.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        postcode = postcode.where(keep | (classes == "NO_FIXED_ABODE").fillna(False), other)
    district = identifiers.postcode_districts(distinct)

    def spread(values: pd.Series, name: str) -> pd.Series:
        per_value = values.astype("string").mask(values == "").array
        if codes_out is not None:
            codes_out[name] = row_codes(per_value, codes)
        return onto_rows(per_value, codes, series.index)

    return spread(postcode, "postcode"), spread(district, "postcode_district")


def match_fields(
    records: pd.DataFrame, *, allow_non_uk_postcodes: bool = False, codes_out: FieldCodes | None = None
) -> pd.DataFrame:
    """The normalised MATCH_FIELDS of each record (same index). Absent input columns are all blank. With
    codes_out, the integer codes of the fields normalised once per distinct value go there as well (by field
    name; KeyCodes then need not factorise those columns again)."""

    def column(name: str) -> pd.Series:
        # As given: every normaliser below strips and blanks once per distinct value itself.
        if name in records.columns:
            return records[name]
        return pd.Series(pd.NA, index=records.index, dtype="string")

    out = pd.DataFrame(index=records.index)
    # Each distinct name's words are found once (name_tokens), then every field is read off them.
    forenames = per_distinct_values(
        column("forename"),
        {
            "forename": _joined,
            "forename_first": lambda t: t[0] if t else None,
            "forename_aliases": lambda t: forename_aliases(t[0]) if t else None,
        },
        prepare=name_tokens,
        codes_out=codes_out,
    )
    out["forename"], out["forename_first"] = forenames["forename"], forenames["forename_first"]
    out["forename_aliases"] = forenames["forename_aliases"]
    out["middle_names"] = _per_distinct(column("middle_names"), normalise_name, codes_out, "middle_names")
    surnames = per_distinct_values(
        column("surname"),
        {
            "surname": _joined,
            "surname_first": lambda t: t[0] if len(t) > 1 else None,
            "surname_last": lambda t: t[-1] if len(t) > 1 else None,
            "surname_phonetic": lambda t: soundex(_joined(t)),
        },
        prepare=name_tokens,
        codes_out=codes_out,
    )
    for name, values in surnames.items():
        out[name] = values
    dob = column("date_of_birth")
    out["dob"] = normalise_dobs(dob, codes_out)
    out["sex"] = normalise_sexes(column("sex"), codes_out)
    out["postcode"], out["postcode_district"] = normalise_postcode_fields(
        column("postcode"), allow_non_uk=allow_non_uk_postcodes, codes_out=codes_out
    )
    ninos = column("nino").astype("string")
    out["nino"] = identifiers.nino_stems(ninos).astype("string")
    upns = column("upn").astype("string")
    out["upn"] = identifiers.normalise_upns(upns).where(identifiers.upn_valid_mask(upns)).astype("string")
    nhs = column("nhs_number").astype("string")
    nhs_digits = _per_distinct(nhs, lambda value: _NOT_NHS_DIGIT.sub("", value))
    out["nhs_number"] = nhs_digits.where(identifiers.nhs_valid_mask(nhs)).astype("string")
    # Addresses keep digits (house numbers): fold, then keep letters, digits and spaces.
    out["address"] = _per_distinct(column("address"), lambda value: normalise_address(str(value)), codes_out, "address")
    out["other_id"] = _per_distinct(column("other_id"), _other_id, codes_out, "other_id")
    return out


_NOT_NHS_DIGIT = re.compile(r"[\s-]")
_NOT_ID = re.compile(r"[^A-Z0-9]")


def _other_id(value: str) -> str | None:
    return _NOT_ID.sub("", str(value).upper()) or None


_NOT_ADDRESS = re.compile(r"[^a-z0-9 ]+")


def normalise_address(value: str) -> str | None:
    return " ".join(_NOT_ADDRESS.sub(" ", fold_text(value)).split()) or None
