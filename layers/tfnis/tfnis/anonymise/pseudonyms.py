"""Keyed pseudonyms for the research extract (DESIGN.md invariant 3: HMAC-SHA256, never a plain hash).

The project key is derived once per stage run inside KMS: project_key = HMAC(PseudonymKey, PSEUDONYM_CONTEXT),
so the KMS key never leaves KMS, the pseudonyms are stable across periods and councils, another KMS key gives
other pseudonyms, and scheduling the KMS key's deletion at research end removes the only way to derive them
again. Each linkage key is then MAC'd locally under the project key (one hashlib call per distinct key).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Versioned: changing the derivation is a new context, never a silent change of every pseudonym.
PSEUDONYM_CONTEXT = b"tfnis-pseudonym-v1"
PSEUDONYM_LENGTH = 64  # hex characters of an HMAC-SHA256


def derive_project_key(generate_mac: Callable[[bytes], bytes]) -> bytes:
    """The per-project key: one MAC of the fixed context under the key held in KMS (Store.generate_mac)."""
    key = generate_mac(PSEUDONYM_CONTEXT)
    if len(key) < 32:
        raise ValueError("the pseudonymisation key must give a MAC of at least 256 bits")
    return key


def pseudonym(project_key: bytes, kind: str, linkage_key: str) -> str:
    """HMAC-SHA256(project_key, '<kind>:<linkage_key>') as hex; kind keeps person and family keys apart."""
    return hmac.new(project_key, f"{kind}:{linkage_key}".encode(), hashlib.sha256).hexdigest()


def pseudonymise(linkage_keys: pd.Series, project_key: bytes, kind: str) -> pd.Series:
    """The pseudonym of every linkage key (person or family), computed once per distinct key; <NA> stays <NA>."""
    keyed = hmac.new(project_key, f"{kind}:".encode(), hashlib.sha256)  # copied per key: same MAC, half the cost
    pseudonyms = {}
    for key in linkage_keys.dropna().unique():
        mac = keyed.copy()
        mac.update(str(key).encode())
        pseudonyms[key] = mac.hexdigest()
    return linkage_keys.map(pseudonyms).astype("string")
