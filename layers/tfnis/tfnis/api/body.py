"""A request body, read before its model validates it: the size limit first, then JSON, then an object.

The submissions API hands this to Powertools as its JSON body deserializer, so a body over the limit is refused
(413) before it is parsed, and a body nested too deeply (the json module gives up with RecursionError, not a
ValueError) is a 400 that names the shape to send rather than a 500. No message quotes the body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# A real body is about 100 bytes; anything past 64 KiB is refused (413) before it is parsed.
MAX_BODY_BYTES = 64 * 1024
# What to send, per route with a body: the refusals name it.
BODY_SHAPES = {
    "/submissions": '{"period_end": "YYYY-MM-DD", "files": [...]}',
    "/references": '{"dataset": "...", "period_end": "YYYY-MM-DD", "files": ["records.csv"]}',
}
ANY_SHAPE = "a JSON object (GET /openapi.json describes each route's)"


class BodyTooLarge(ValueError):
    """The request body is larger than MAX_BODY_BYTES (413)."""


class NotJson(ValueError):
    """The request body is not a JSON object, or is nested too deeply to parse (400)."""


def shape_of(path: str) -> str:
    """What to send to the route at path."""
    return BODY_SHAPES.get(path, ANY_SHAPE)


def read_json_object(body: str | bytes, path: str = "") -> dict[str, Any]:
    """A request body that must be a small JSON object; BodyTooLarge or NotJson naming the shape to send for
    the route at `path`, never quoting the body."""
    shape = shape_of(path)
    size = len(body.encode() if isinstance(body, str) else body)
    if size > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB: send {shape}")
    try:
        document = json.loads(body) if body else None
    except RecursionError:  # json gives up on deep nesting with RecursionError, not a ValueError
        raise NotJson(f"the body is nested too deeply: send {shape}") from None
    except ValueError:
        raise NotJson(f"the body is not JSON: send {shape}") from None
    if not isinstance(document, dict):
        raise NotJson(f"the body must be a JSON object: send {shape}")
    return document


def is_json(headers: Mapping[str, str] | None) -> bool:
    """Whether a request's body is declared JSON (or not declared at all, as curl -d sends it is not)."""
    declared = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    return declared.split(";")[0].strip().lower() in ("", "application/json")
