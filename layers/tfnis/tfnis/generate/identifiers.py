"""Synthetic identifiers made in bulk: UPNs, NINOs, NHS numbers and postcodes that pass tfnis.spec's rules,
and the typical ways each goes wrong (for --error-rate).

Numbers come from an affine permutation of a person's index, so they are unique without a set lookup and
look nothing like a counter. Strings are built as fixed-width byte matrices (one numpy pass per column).
"""

from __future__ import annotations

from functools import cache
from itertools import product
from math import gcd

import numpy as np

from tfnis.spec.identifiers import UPN_ALPHABET, NinoClass, classify_nino

_INWARD_LETTERS = np.frombuffer(b"ABDEFGHJLNPQRSTUWXYZ", dtype=np.uint8)  # never C I K M O V
_UPN_LETTERS = np.frombuffer(UPN_ALPHABET.encode("ascii"), dtype=np.uint8)


def permute(index: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """A bijection of [0, modulus): index -> (a*index + b) mod modulus with a coprime to modulus."""
    a = int(modulus * (0.6180339887 + (salt % 97) / 1_000)) | 1  # golden-ratio stride: neighbours land far apart
    while gcd(a, modulus) != 1:
        a += 2
    b = (salt * 104_729 + 12_345) % modulus
    return (a * (index.astype(np.int64) % modulus) + b) % modulus


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as an (n, width) uint8 ASCII matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def _strings(matrix: np.ndarray) -> np.ndarray:
    """An (n, w) uint8 ASCII matrix -> an array of Python str."""
    width = matrix.shape[1]
    return np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}")


# --- NINO -----------------------------------------------------------------------------------------------
@cache
def nino_prefixes() -> tuple[str, ...]:
    """Every two-letter prefix that tfnis.spec classifies as a real, allocated NINO prefix."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return tuple(a + b for a, b in product(letters, letters) if classify_nino(f"{a}{b}123456C") is NinoClass.VALID)


def make_ninos(index: np.ndarray, rng: np.random.Generator, salt: int = 11) -> np.ndarray:
    """Unique valid NINOs (prefix, 6 digits, suffix A-D; a few without the suffix) for distinct indexes."""
    prefixes = np.array([list(p.encode()) for p in nino_prefixes()], dtype=np.uint8)
    n = len(index)
    value = permute(index, len(prefixes) * 1_000_000, salt)
    matrix = np.empty((n, 9), dtype=np.uint8)
    matrix[:, :2] = prefixes[value // 1_000_000]
    matrix[:, 2:8] = _digits(value % 1_000_000, 6)
    matrix[:, 8] = rng.integers(ord("A"), ord("D") + 1, size=n)
    out = _strings(matrix)
    no_suffix = rng.random(n) < 0.03
    out[no_suffix] = np.array([s[:8] for s in out[no_suffix]], dtype=out.dtype)
    return out


def corrupt_ninos(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A first prefix letter that is never allocated (D I Q U V), so the NINO is INVALID."""
    bad = np.array(list("DIQUV"))[rng.integers(0, 5, size=len(values))]  # not F: FY is administrative
    return np.char.add(bad, np.array([v[1:] for v in values], dtype=object).astype(str))


# --- UPN ------------------------------------------------------------------------------------------------
def upn_check_letters(tails: np.ndarray) -> np.ndarray:
    """Check letter (uint8) for each row of an (n, 12) ASCII matrix of UPN characters 2-13."""
    value_of = np.zeros(256, dtype=np.int64)
    value_of[48:58] = np.arange(10)
    value_of[_UPN_LETTERS] = np.arange(23)
    total = (value_of[tails] * np.arange(2, 14, dtype=np.int64)).sum(axis=1)
    return _UPN_LETTERS[total % 23]


def make_upns(
    index: np.ndarray, dfe_la: np.ndarray, year_allocated: np.ndarray, rng: np.random.Generator, salt: int = 13
) -> np.ndarray:
    """Valid UPNs: check letter, DfE LA number, 4-digit establishment, 2-digit year, 3-digit serial;
    about 2% temporary (a letter in position 13). Unique for distinct indexes below 9,000,000."""
    n = len(index)
    value = permute(index, 9_000_000, salt)
    tails = np.empty((n, 12), dtype=np.uint8)
    la_numbers, la_of = np.unique(np.asarray(dfe_la, dtype=str), return_inverse=True)
    tails[:, 0:3] = np.array([list(s.encode()) for s in la_numbers], dtype=np.uint8).reshape(-1, 3)[la_of]
    tails[:, 3:7] = _digits(1_000 + value // 1_000, 4)
    tails[:, 7:9] = _digits(year_allocated % 100, 2)
    tails[:, 9:12] = _digits(value % 1_000, 3)
    temporary = rng.random(n) < 0.02
    tails[temporary, 11] = _UPN_LETTERS[rng.integers(0, 23, size=int(temporary.sum()))]
    matrix = np.empty((n, 13), dtype=np.uint8)
    matrix[:, 0] = upn_check_letters(tails)
    matrix[:, 1:] = tails
    return _strings(matrix)


def corrupt_upns(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The right shape with the wrong check letter (a mistyped digit elsewhere has the same effect)."""
    matrix = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, 13).copy()
    position = np.searchsorted(_UPN_LETTERS, matrix[:, 0])
    matrix[:, 0] = _UPN_LETTERS[(position + rng.integers(1, 23, size=len(values))) % 23]
    return _strings(matrix)


# --- NHS number -----------------------------------------------------------------------------------------
def _nhs_check(nine: np.ndarray) -> np.ndarray:
    total = ((nine - 48).astype(np.int64) * np.arange(10, 1, -1)).sum(axis=1)
    check = 11 - total % 11
    return np.where(check == 11, 0, check)


def make_nhs_numbers(index: np.ndarray, salt: int = 17) -> np.ndarray:
    """Unique valid NHS numbers (modulus 11) in the 400-899 million range used in England and Wales.
    The ninth digit is chosen so the check digit is never 10 (such numbers are never issued)."""
    n = len(index)
    base = 400_000_000 + 10 * permute(index, 50_000_000, salt)
    nine = _digits(base, 9)
    check = _nhs_check(nine)
    for _ in range(10):
        redo = check == 10
        if not redo.any():
            break
        nine[redo, 8] = (nine[redo, 8] - 48 + 1) % 10 + 48
        check[redo] = _nhs_check(nine[redo])
    matrix = np.empty((n, 10), dtype=np.uint8)
    matrix[:, :9] = nine
    matrix[:, 9] = check + 48
    return _strings(matrix)


def corrupt_nhs_numbers(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A wrong check digit, as when two digits are transposed or one is mistyped."""
    matrix = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, 10).copy()
    matrix[:, 9] = (matrix[:, 9] - 48 + rng.integers(1, 10, size=len(values))) % 10 + 48
    return _strings(matrix)


# --- Postcode -------------------------------------------------------------------------------------------
def make_postcodes(districts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A postcode in each given district: outward code, space, digit and two letters allowed inward."""
    n = len(districts)
    inward = np.empty((n, 3), dtype=np.uint8)
    inward[:, 0] = rng.integers(0, 10, size=n) + 48
    inward[:, 1:] = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), size=(n, 2))]
    return np.char.add(np.char.add(districts.astype(str), " "), _strings(inward))


_MALFORMED = (
    lambda pc: "Q" + pc[1:],  # Q never starts a postcode
    lambda pc: pc[:-2] + "CI",  # inward letters are never C or I
    lambda pc: pc[:-1],  # a character lost
    lambda pc: pc.replace(" ", " 0")[:-1] + "K",  # an extra digit, an inward K
)


def corrupt_postcodes(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Malformed postcodes of the kinds councils' address fields hold."""
    kinds = rng.integers(0, len(_MALFORMED), size=len(values))
    return np.array([_MALFORMED[k](pc) for k, pc in zip(kinds, values, strict=True)], dtype=object).astype(str)
