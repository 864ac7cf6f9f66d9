"""Fixtures of the integration tests: the storage interfaces over the `aws` fixture's moto resources."""

from __future__ import annotations

from typing import Any

import pytest

from tfnis.storage import Settings, Store, SubmissionTable


@pytest.fixture
def store(aws: Any) -> Store:
    return Store(Settings.from_env())


@pytest.fixture
def table(aws: Any) -> SubmissionTable:
    settings = Settings.from_env()
    return SubmissionTable(settings.submissions_table, settings.research_end_date)


@pytest.fixture
def k_of_one(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """DisclosureK = 1 for tests built on a hand-made return of two families (no council that small can be
    5-anonymous: tests/unit/test_disclosure_* and the generated-return tests pin k itself)."""
    monkeypatch.setenv("DISCLOSURE_K", "1")
    # Handlers loaded by load_function read their function's own environment from the template: set it there too.
    monkeypatch.setitem(aws.functions["AnonymiseFunction"].environment, "DISCLOSURE_K", "1")
