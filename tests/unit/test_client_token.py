"""Which council a token speaks for, as `tfnis smoke` reads it to choose the data it generates."""

from __future__ import annotations

import base64
import json

from tfnis.client.api import council_of_token


def _token(claims: object) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"


def test_the_council_is_the_custom_la_code_claim_of_the_id_token() -> None:
    assert council_of_token(_token({"sub": "x", "custom:la_code": "E08000025"})) == "E08000025"


def test_an_access_token_without_the_claim_names_no_council() -> None:
    assert council_of_token(_token({"sub": "x", "token_use": "access"})) is None


def test_something_that_is_not_a_jwt_names_no_council() -> None:
    assert council_of_token("not-a-jwt") is None
    assert council_of_token("a.!!!.c") is None
    assert council_of_token(_token(["not", "claims"])) is None
