"""Signed destruction certificates: the bytes that are signed, and an offline check of a signature.

The certificate document (everything but its "signature" block) is serialised canonically: JSON with sorted
keys, no insignificant whitespace, UTF-8. research end signs those bytes with an asymmetric KMS key (ECDSA
P-256, SHA-256) and publishes the public key beside the certificate, so anyone a family asks can check, with
`tfnis verify-certificate`, that the certificate is the one the service wrote and has not been changed since.
"""

from __future__ import annotations

import base64
import json
from typing import Any

SIGNATURE_FIELD = "signature"
ALGORITHM = "ECDSA_SHA_256"


def canonical_bytes(document: dict[str, Any]) -> bytes:
    """The signed bytes of a certificate: without its signature block, keys sorted, compact, UTF-8."""
    unsigned = {k: v for k, v in document.items() if k != SIGNATURE_FIELD}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def signature_valid(document: dict[str, Any], public_key_pem: bytes) -> bool:
    """True when the document's signature verifies under the public key (offline: the cryptography package)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    block = document.get(SIGNATURE_FIELD)
    if not isinstance(block, dict) or "value" not in block:
        return False
    try:
        signature = base64.b64decode(block["value"], validate=True)
    except ValueError:
        return False
    key = serialization.load_pem_public_key(public_key_pem)
    message = canonical_bytes(document)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True
