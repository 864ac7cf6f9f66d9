"""Matching: link every record to a person (person_key) and a council family to a family (family_key).

Match keys first (ONS style), then a Fellegi–Sunter model (splink on DuckDB) for the rest. Pandas, DuckDB
and splink are imported inside the calls, so a Lambda handler can import this package at cold start.
See docs/linkage.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

DEFAULT_THRESHOLD = 0.9  # also tfnis.linkage.model.DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from tfnis.linkage.incremental import MatchResult


def match_submission(identifiers: Any, index: Any = None, **options: Any) -> MatchResult:
    """Link one submission's identifiers against the persistent index; see incremental.match_submission."""
    from tfnis.linkage.incremental import match_submission as run

    return run(identifiers, index, **options)


def link_records(records: Any, **options: Any) -> Any:
    """Link a whole file at once (tfnis link); see batch.link_records."""
    from tfnis.linkage.batch import link_records as run

    return run(records, **options)


__all__ = ["DEFAULT_THRESHOLD", "link_records", "match_submission"]
