"""Split a validated return into what only linkage may read (identifiers) and what every later stage may read
(family and individual attributes), joined by random tokens (ATTRIBUTES.md is the contract).

The tokens are fresh 128-bit random values (os.urandom, the source behind secrets.token_hex) each time a return
is split, so nothing in WorkBucket can be joined back to a council id without the identifiers file.
Empty cells stay <NA>: "not provided" and zero are different facts for coverage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.spec.codes import FRAMEWORKS, HEADLINE_PROBLEMS
from tfnis.spec.columns import AGE_BANDS
from tfnis.spec.identifiers import (
    nhs_valid_mask,
    nino_classes,
    normalise_ninos,
    normalise_postcodes,
    normalise_upns,
    postcode_classes,
    postcode_districts,
    upn_valid_mask,
)

if TYPE_CHECKING:
    import pandas as pd

IDENTIFIER_COLUMNS_OUT = (
    "record_token", "family_token", "la_code", "period_end", "family_id", "person_id", "forename",
    "middle_names", "surname", "date_of_birth", "sex", "postcode", "nino", "upn", "nhs_number",
    "nino_valid", "upn_valid", "postcode_valid",
)  # fmt: skip
FAMILY_ATTRIBUTE_COLUMNS = (
    "family_token", "la_code", "period_end", "framework", "date_identified",
    *(f"hp_{code}" for code in HEADLINE_PROBLEMS),
    "intervention_status", "support_start_date", "support_end_date", "support_intensity", "housing_status",
    "evictions", "homelessness_applications", "weeks_homeless", "rent_arrears", "police_callouts", "members",
)  # fmt: skip
INDIVIDUAL_ATTRIBUTE_COLUMNS = (
    "record_token", "family_token", "la_code", "period_end", "relation_in_family", "sex", "age", "birth_month",
    "ethnicity", "asb_nfi", "asb_fi", "domestic_violence", "alcohol_dependent", "drug_dependent", "neet",
    "missing_education", "mental_health", "no_fixed_abode", "postcode_district",
    "nino_status", "upn_status", "postcode_status", "nhs_status",
)  # fmt: skip
_INT_COLUMNS = frozenset(
    {"evictions", "homelessness_applications", "weeks_homeless", "police_callouts", "asb_nfi", "asb_fi"}
)
_DATE_COLUMNS = frozenset({"period_end", "date_identified", "support_start_date", "support_end_date", "date_of_birth"})


@dataclass(frozen=True)
class SplitReturn:
    identifiers: pd.DataFrame  # → LinkageBucket; only validate and match read it
    family_attributes: pd.DataFrame  # → WorkBucket
    individual_attributes: pd.DataFrame  # → WorkBucket


def random_tokens(count: int):  # -> np.ndarray of str
    """`count` distinct-with-overwhelming-probability 32-hex-character tokens, made in one call."""
    import numpy as np

    if count == 0:
        return np.asarray([], dtype=object)
    return np.frombuffer(os.urandom(16 * count).hex().encode("ascii"), dtype="S32").astype(str).astype(object)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column, or an all-<NA> column of the right type when the return left an optional column out."""
    import pandas as pd

    if name in frame:
        return frame[name]
    if name in _INT_COLUMNS:
        return pd.Series(pd.array([pd.NA] * len(frame), dtype="Int64"), index=frame.index)
    if name in _DATE_COLUMNS:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.Series(pd.NA, index=frame.index, dtype=pd.StringDtype("pyarrow"))


def _as_date(series: pd.Series) -> pd.Series:
    """datetime64 → Arrow date32 (Parquet DATE, what the contract calls a date)."""
    import pandas as pd
    import pyarrow as pa

    values = pa.array(pd.to_datetime(series).to_numpy(dtype="datetime64[ns]"), from_pandas=True)
    return pd.Series(pd.arrays.ArrowExtensionArray(values.cast(pa.date32())), index=series.index)


def _text(series: pd.Series) -> pd.Series:
    import pandas as pd

    return series.astype(pd.StringDtype("pyarrow"))


def _status(valid: pd.Series, present: pd.Series) -> pd.Series:
    """VALID / INVALID where present, <NA> where blank."""
    import numpy as np
    import pandas as pd

    out = np.where(valid.to_numpy(bool), "VALID", "INVALID").astype(object)
    out[~present.to_numpy(bool)] = None
    return pd.Series(out, index=valid.index).astype(pd.StringDtype("pyarrow"))


@dataclass(frozen=True)
class _Tokens:
    """The fresh random tokens of one split: per family, per individual, and each individual's family's."""

    family: pd.Series  # one per row of families
    record: pd.Series  # one per row of individuals
    member_family: pd.Series  # one per row of individuals: its family's token


def _tokens(families: pd.DataFrame, individuals: pd.DataFrame) -> _Tokens:
    import pandas as pd

    family_tokens = pd.Series(random_tokens(len(families)), index=families.index)
    token_of_family = dict(zip(families["family_id"].astype(object), family_tokens, strict=True))
    return _Tokens(
        family=family_tokens,
        record=pd.Series(random_tokens(len(individuals)), index=individuals.index),
        member_family=individuals["family_id"].astype(object).map(token_of_family),
    )


@dataclass(frozen=True)
class _IdentifierClasses:
    """Each individual's identifier classes, computed once for both the identifiers and the attributes."""

    postcode: pd.Series  # PostcodeClass value, <NA> where blank
    nino: pd.Series  # NinoClass value, <NA> where blank
    upn_valid: pd.Series  # bool


def _identifiers(individuals: pd.DataFrame, tokens: _Tokens, classes: _IdentifierClasses) -> pd.DataFrame:
    """What only linkage may read: the identifiers, normalised, with their validity (→ LinkageBucket)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "record_token": _text(tokens.record),
            "family_token": _text(tokens.member_family),
            "la_code": _text(individuals["la_code"]),
            "period_end": _as_date(individuals["period_end"]),
            "family_id": _text(individuals["family_id"]),
            "person_id": _text(individuals["person_id"]),
            "forename": _text(_column(individuals, "forename")),
            "middle_names": _text(_column(individuals, "middle_names")),
            "surname": _text(_column(individuals, "surname")),
            "date_of_birth": _as_date(_column(individuals, "date_of_birth")),
            "sex": _text(_column(individuals, "sex")),
            "postcode": normalise_postcodes(_column(individuals, "postcode")),
            "nino": normalise_ninos(_column(individuals, "nino")),
            "upn": normalise_upns(_column(individuals, "upn")),
            "nhs_number": _text(_column(individuals, "nhs_number")),
            "nino_valid": (classes.nino == "VALID").fillna(False).astype(bool),
            "upn_valid": classes.upn_valid.astype(bool),
            "postcode_valid": classes.postcode.isin(["VALID", "GIR"]).fillna(False).astype(bool),
        }
    )
    return frame[list(IDENTIFIER_COLUMNS_OUT)]


def _family_attributes(families: pd.DataFrame, individuals: pd.DataFrame, tokens: _Tokens) -> pd.DataFrame:
    """Each family's attributes and its number of members, keyed by family token (→ WorkBucket)."""
    import numpy as np
    import pandas as pd

    members = individuals["family_id"].astype(object).value_counts()
    frame = pd.DataFrame({"family_token": _text(tokens.family)})
    framework = _column(families, "framework")
    for name in FAMILY_ATTRIBUTE_COLUMNS[1:-1]:
        values = _column(families, name)
        if name.startswith("hp_"):
            # A problem outside the family's framework was reported (HP_NOT_IN_FRAMEWORK) and is ignored.
            code = name.removeprefix("hp_")
            owners = [fw for fw, spec in FRAMEWORKS.items() if code in spec.problems]
            values = _text(values).where(framework.isin(owners).fillna(False).astype(bool))
        frame[name] = _as_date(values) if name in _DATE_COLUMNS else values
    frame["members"] = pd.array(
        families["family_id"].astype(object).map(members).fillna(0).to_numpy(np.int64), dtype="Int64"
    )
    return frame[list(FAMILY_ATTRIBUTE_COLUMNS)]


def _individual_attributes(individuals: pd.DataFrame, tokens: _Tokens, classes: _IdentifierClasses) -> pd.DataFrame:
    """Each individual's attributes — age and birth month instead of the date of birth, statuses instead of
    identifiers — keyed by record token (→ WorkBucket)."""
    import pandas as pd

    from tfnis.validation.cells import age_in_years

    period_end = pd.Timestamp(individuals["period_end"].dropna().iloc[0]) if len(individuals) else None
    born = _column(individuals, "date_of_birth")
    age = age_in_years(born, period_end) if period_end is not None else pd.Series(pd.array([], dtype="Int64"))

    def in_band(band: str) -> pd.Series:
        low, high = AGE_BANDS[band]
        return ((age >= low) & (age <= high)).fillna(False).astype(bool)

    def text(name: str) -> pd.Series:
        return _text(_column(individuals, name))

    nhs = _column(individuals, "nhs_number")
    frame = pd.DataFrame(
        {
            "record_token": _text(tokens.record),
            "family_token": _text(tokens.member_family),
            "la_code": _text(individuals["la_code"]),
            "period_end": _as_date(individuals["period_end"]),
            **{name: text(name) for name in ("relation_in_family", "sex")},
            "age": age,
            "birth_month": _as_date(born.dt.to_period("M").dt.to_timestamp()),
            "ethnicity": text("ethnicity"),
            "asb_nfi": _column(individuals, "asb_nfi"),
            "asb_fi": _column(individuals, "asb_fi"),
            **{name: text(name) for name in ("domestic_violence", "alcohol_dependent", "drug_dependent")},
            # Outside their age bands these were reported (NEET_AGE, MISSING_EDUCATION_AGE) and are ignored.
            **{name: text(name).where(in_band(name)) for name in ("neet", "missing_education")},
            **{name: text(name) for name in ("mental_health", "no_fixed_abode")},
            "postcode_district": postcode_districts(_column(individuals, "postcode")),
            "nino_status": classes.nino,
            "upn_status": _status(classes.upn_valid, _column(individuals, "upn").notna()),
            "postcode_status": classes.postcode,
            "nhs_status": _status(nhs_valid_mask(nhs), nhs.notna()),
        }
    )
    return frame[list(INDIVIDUAL_ATTRIBUTE_COLUMNS)]


def split_return(
    families: pd.DataFrame, individuals: pd.DataFrame, lsoa_lookup: pd.Series | None = None
) -> SplitReturn:
    """The identifiers, family attributes and individual attributes of a validated, parsed return.

    With `lsoa_lookup` (normalised postcode → LSOA, tfnis.spec.areas.read_lsoa_lookup) the individual
    attributes also carry `lsoa`: it has to be looked up here, the only stage after this one that sees a
    full postcode being match, and the research extract then uses it in place of the postcode district.
    """
    families = families.reset_index(drop=True)
    individuals = individuals.reset_index(drop=True)
    tokens = _tokens(families, individuals)
    classes = _IdentifierClasses(
        postcode=postcode_classes(_column(individuals, "postcode")),
        nino=nino_classes(_column(individuals, "nino")),
        upn_valid=upn_valid_mask(_column(individuals, "upn")),
    )
    individual_attributes = _individual_attributes(individuals, tokens, classes)
    if lsoa_lookup is not None:
        from tfnis.spec.areas import lsoa_codes

        individual_attributes["lsoa"] = lsoa_codes(_column(individuals, "postcode"), lsoa_lookup)
    return SplitReturn(
        identifiers=_identifiers(individuals, tokens, classes),
        family_attributes=_family_attributes(families, individuals, tokens),
        individual_attributes=individual_attributes,
    )
