"""Identifier rules: UPN, NINO, UK postcode, NHS number — scalar forms and vectorised forms over Series.

Sources: DfE Unique Pupil Numbers guidance (check letter), HMRC NIM39110 (NINO), BS7666 / government data
standards catalogue (postcode), NHS Data Dictionary (modulus 11). Invalid identifiers are reported as
warnings and never used as matching evidence.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported lazily: Lambda handlers import this module at cold start
    import pandas as pd

# --- UPN ------------------------------------------------------------------------------------------------
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
_UPN_SHAPE = re.compile(rf"^[{UPN_ALPHABET}]\d{{11}}[0-9{UPN_ALPHABET}]$")


def normalise_upn(value: str | None) -> str | None:
    """Upper-case and strip spaces; None for blank."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


def upn_check_letter(tail: str) -> str:
    """The check letter for characters 2-13 of a UPN (12 characters)."""
    total = 0
    for position, char in enumerate(tail, start=2):
        value = int(char) if char.isdigit() else UPN_ALPHABET.index(char)
        total += position * value
    return UPN_ALPHABET[total % 23]


def is_valid_upn(value: str | None) -> bool:
    """A permanent (digit at 13) or temporary (letter at 13) UPN whose check letter is right."""
    upn = normalise_upn(value)
    if upn is None or not _UPN_SHAPE.match(upn):
        return False
    return upn[0] == upn_check_letter(upn[1:])


def is_temporary_upn(value: str | None) -> bool:
    upn = normalise_upn(value)
    return bool(upn) and is_valid_upn(upn) and not upn[-1].isdigit()


# --- NINO -----------------------------------------------------------------------------------------------
class NinoClass(StrEnum):
    VALID = "VALID"
    TEMPORARY = "TEMPORARY"  # TN + DDMMYY + M/F
    ADMINISTRATIVE = "ADMINISTRATIVE"  # OO, CR, FY, MW, NC, PP, PY, PZ
    INVALID = "INVALID"


NINO_ADMIN_PREFIXES = frozenset({"OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"})
NINO_UNALLOCATED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_NINO_SHAPE = r"^[A-Z]{2}\d{6}[A-D]?$"
_NINO_VALID = r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]?$"
_NINO_TEMPORARY = r"^TN\d{6}[MF]$"


def normalise_nino(value: str | None) -> str | None:
    """Strip all whitespace and upper-case; None for blank."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


def classify_nino(value: str | None) -> NinoClass | None:
    """VALID, TEMPORARY, ADMINISTRATIVE or INVALID; None when blank."""
    nino = normalise_nino(value)
    if nino is None:
        return None
    if re.match(_NINO_TEMPORARY, nino):
        return NinoClass.TEMPORARY
    if re.match(_NINO_SHAPE, nino) and nino[:2] in NINO_ADMIN_PREFIXES:
        return NinoClass.ADMINISTRATIVE
    if re.match(_NINO_VALID, nino) and nino[:2] not in NINO_UNALLOCATED_PREFIXES:
        return NinoClass.VALID
    return NinoClass.INVALID


def nino_stem(value: str | None) -> str | None:
    """The 8-character stem that matching uses (the suffix letter is not stable); None unless VALID."""
    return normalise_nino(value)[:8] if classify_nino(value) is NinoClass.VALID else None  # type: ignore[index]


# --- Postcode -------------------------------------------------------------------------------------------
class PostcodeClass(StrEnum):
    VALID = "VALID"
    GIR = "GIR"  # GIR 0AA, Girobank: valid
    BFPO = "BFPO"  # forces address, no geography
    NO_FIXED_ABODE = "NO_FIXED_ABODE"  # NHS pseudo-postcodes ZZ99 ...
    INVALID = "INVALID"


_OUTWARD = (
    r"(?:[A-PR-UWYZ]\d{1,2}"  # AN, ANN
    r"|[A-PR-UWYZ][A-HK-Y]\d{1,2}"  # AAN, AANN
    r"|[A-PR-UWYZ]\d[ABCDEFGHJKSTUW]"  # ANA
    r"|[A-PR-UWYZ][A-HK-Y]\d[ABEHMNPRVWXY])"  # AANA
)
_INWARD = r"\d[ABD-HJLNP-UW-Z]{2}"
_POSTCODE_VALID = rf"^{_OUTWARD} {_INWARD}$"
_BFPO = r"^BFPO \d{1,4}$"
_ZZ99 = r"^ZZ99 ?\w*$"


def normalise_postcode(value: str | None) -> str | None:
    """Upper-case, one space before the last three characters (BFPO keeps 'BFPO n'); None for blank."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    if not text:
        return None
    if text.startswith("BFPO"):
        return f"BFPO {text[4:]}"
    return f"{text[:-3]} {text[-3:]}" if len(text) > 3 else text


def classify_postcode(value: str | None) -> PostcodeClass | None:
    pc = normalise_postcode(value)
    if pc is None:
        return None
    if pc == "GIR 0AA":
        return PostcodeClass.GIR
    if re.match(_BFPO, pc):
        return PostcodeClass.BFPO
    if re.match(_ZZ99, pc):
        return PostcodeClass.NO_FIXED_ABODE
    if re.match(_POSTCODE_VALID, pc):
        return PostcodeClass.VALID
    return PostcodeClass.INVALID


def postcode_district(value: str | None) -> str | None:
    """The outward code (postcode district) of a VALID or GIR postcode; None otherwise."""
    pc = normalise_postcode(value)
    if classify_postcode(pc) in (PostcodeClass.VALID, PostcodeClass.GIR):
        return pc.split(" ")[0]  # type: ignore[union-attr]
    return None


# --- NHS number -----------------------------------------------------------------------------------------
def is_valid_nhs_number(value: str | None) -> bool:
    """10 digits (spaces/hyphens ignored) whose last is the modulus-11 check digit of the first nine."""
    if value is None:
        return False
    digits = re.sub(r"[\s-]", "", str(value))
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


# --- Vectorised forms (one pass of pandas string ops / numpy per column, no per-row Python) ---------------
def _blank_to_na(series: pd.Series) -> pd.Series:
    import pandas as pd

    text = series.astype("string")
    return text.mask(text.str.strip() == "", pd.NA)


def normalise_upns(series: pd.Series) -> pd.Series:
    return _blank_to_na(series).str.replace(r"\s+", "", regex=True).str.upper()


def upn_valid_mask(series: pd.Series) -> pd.Series:
    """True where a UPN is present, well formed and its check letter is right."""
    import numpy as np
    import pandas as pd

    upns = normalise_upns(series)
    shaped = upns.str.fullmatch(_UPN_SHAPE.pattern).fillna(False).astype(bool)
    result = pd.Series(False, index=series.index)
    if not shaped.any():
        return result
    codes = np.frombuffer("".join(upns[shaped].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 13)
    value_of = np.zeros(256, dtype=np.int64)
    value_of[48:58] = np.arange(10)
    for i, letter in enumerate(UPN_ALPHABET):
        value_of[ord(letter)] = i
    weights = np.arange(2, 14, dtype=np.int64)
    total = (value_of[codes[:, 1:]] * weights).sum(axis=1)
    expected = np.frombuffer(UPN_ALPHABET.encode("ascii"), dtype=np.uint8)[total % 23]
    result.loc[shaped[shaped].index] = codes[:, 0] == expected
    return result


def normalise_ninos(series: pd.Series) -> pd.Series:
    return _blank_to_na(series).str.replace(r"\s+", "", regex=True).str.upper()


def nino_classes(series: pd.Series) -> pd.Series:
    """NinoClass value per row as a string Series; <NA> where blank."""
    import numpy as np
    import pandas as pd

    ninos = normalise_ninos(series)
    present = ninos.notna().to_numpy()
    temporary = ninos.str.fullmatch(_NINO_TEMPORARY).fillna(False).to_numpy(bool)
    shaped = ninos.str.fullmatch(_NINO_SHAPE).fillna(False).to_numpy(bool)
    prefix = ninos.str[:2]
    admin = shaped & prefix.isin(NINO_ADMIN_PREFIXES).fillna(False).to_numpy(bool)
    valid = (
        ninos.str.fullmatch(_NINO_VALID).fillna(False).to_numpy(bool)
        & ~prefix.isin(NINO_UNALLOCATED_PREFIXES).fillna(False).to_numpy(bool)
    )
    out = np.select(
        [~present, temporary, admin, valid],
        [None, NinoClass.TEMPORARY.value, NinoClass.ADMINISTRATIVE.value, NinoClass.VALID.value],
        default=NinoClass.INVALID.value,
    )
    return pd.Series(out, index=series.index, dtype="string")


def nino_stems(series: pd.Series) -> pd.Series:
    """8-character stem where the NINO is VALID, else <NA>."""
    ninos = normalise_ninos(series)
    return ninos.str[:8].where(nino_classes(series) == NinoClass.VALID.value)


def normalise_postcodes(series: pd.Series) -> pd.Series:
    compact = _blank_to_na(series).str.replace(r"\s+", "", regex=True).str.upper()
    spaced = compact.str[:-3] + " " + compact.str[-3:]
    spaced = spaced.where(compact.str.len() > 3, compact)
    bfpo = compact.str.startswith("BFPO").fillna(False)
    return spaced.where(~bfpo, "BFPO " + compact.str[4:])


def postcode_classes(series: pd.Series) -> pd.Series:
    """PostcodeClass value per row as a string Series; <NA> where blank."""
    import numpy as np
    import pandas as pd

    pcs = normalise_postcodes(series)
    present = pcs.notna().to_numpy()
    conditions = [
        ~present,
        (pcs == "GIR 0AA").fillna(False).to_numpy(bool),
        pcs.str.fullmatch(_BFPO).fillna(False).to_numpy(bool),
        pcs.str.fullmatch(_ZZ99).fillna(False).to_numpy(bool),
        pcs.str.fullmatch(_POSTCODE_VALID).fillna(False).to_numpy(bool),
    ]
    choices = [None, "GIR", "BFPO", "NO_FIXED_ABODE", "VALID"]
    out = np.select(conditions, choices, default="INVALID")
    return pd.Series(out, index=series.index, dtype="string")


def postcode_districts(series: pd.Series) -> pd.Series:
    """Outward code where the postcode is VALID or GIR, else <NA>."""
    pcs = normalise_postcodes(series)
    classes = postcode_classes(series)
    return pcs.str.split(" ").str[0].where(classes.isin(["VALID", "GIR"]).fillna(False))


def nhs_valid_mask(series: pd.Series) -> pd.Series:
    """True where an NHS number is 10 digits with a correct modulus-11 check digit."""
    import numpy as np
    import pandas as pd

    digits = _blank_to_na(series).str.replace(r"[\s-]", "", regex=True)
    shaped = digits.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    result = pd.Series(False, index=series.index)
    if not shaped.any():
        return result
    codes = np.frombuffer("".join(digits[shaped].tolist()).encode("ascii"), dtype=np.uint8)
    codes = codes.reshape(-1, 10).astype(np.int64) - 48
    total = (codes[:, :9] * np.arange(10, 1, -1)).sum(axis=1)
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    result.loc[shaped[shaped].index] = (check != 10) & (check == codes[:, 9])
    return result
