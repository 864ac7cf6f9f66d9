"""Dev tokens for the local HTTP API, checked as API Gateway's JWT authorizer checks Cognito's.

Locally there is no Cognito to sign tokens, so the stack mints HS256 tokens with a secret made per run, for
the issuer and audience the template's authorizer names. A council's `la_code` travels in `custom:la_code`,
as it does in the deployed user pool.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt

from tfnis.submissions.model import LA_CODE_CLAIM

# A few real upper-tier councils (ONS GSS codes): Birmingham (metropolitan district), Hackney (London
# borough), Rutland (unitary), Somerset (county, as coded before its 2023 reorganisation), Rotherham.
DEV_COUNCILS: tuple[str, ...] = ("E08000025", "E09000012", "E06000017", "E10000027", "E08000018")
DEV_COUNCIL_NAMES: dict[str, str] = {
    "E08000025": "Birmingham",
    "E09000012": "Hackney",
    "E06000017": "Rutland",
    "E10000027": "Somerset",
    "E08000018": "Rotherham",
}


class Unauthorized(Exception):
    """The request would get API Gateway's 401: no token, a bad signature, wrong issuer or audience, expired."""


@dataclass
class DevTokenIssuer:
    issuer: str
    audiences: tuple[str, ...]
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    lifetime_s: int = 12 * 3600

    def mint(self, la_code: str, *, lifetime_s: int | None = None, **claims: Any) -> str:
        """An id token for a council user of la_code (sub is stable per council and issuer)."""
        now = int(time.time())
        payload = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{la_code}")),
            "iss": self.issuer,
            "aud": self.audiences[0] if self.audiences else "tfnis-local",
            "token_use": "id",
            "cognito:username": f"dev-{la_code.lower()}",
            LA_CODE_CLAIM: la_code,
            "iat": now,
            "auth_time": now,
            "exp": now + (self.lifetime_s if lifetime_s is None else lifetime_s),
            **claims,
        }
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def tokens(self, la_codes: Iterable[str] = DEV_COUNCILS) -> dict[str, str]:
        return {la_code: self.mint(la_code) for la_code in la_codes}

    def verify(self, authorization: str | None, required_scopes: Iterable[str] = ()) -> dict[str, Any]:
        """The token's claims if API Gateway's JWT authorizer would accept it, else Unauthorized."""
        if not authorization:
            raise Unauthorized("no token")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":  # API Gateway accepts the token with or without the scheme
            token = token[7:].strip()
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
                leeway=0,
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(type(error).__name__) from None
        # Cognito id tokens carry aud, access tokens client_id: the authorizer accepts either.
        audience = claims.get("aud", claims.get("client_id"))
        audience_list = audience if isinstance(audience, list) else [audience]
        if self.audiences and not set(audience_list) & set(self.audiences):
            raise Unauthorized("audience")
        granted = set(str(claims.get("scope", "")).split())
        if set(required_scopes) - granted:
            raise Unauthorized("scope")
        return claims


def claims_as_api_gateway_passes_them(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway hands JWT claims to the integration as strings (lists as "[a b]")."""

    def as_string(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(as_string(v) for v in value) + "]"
        return str(value)

    return {name: as_string(value) for name, value in claims.items()}
