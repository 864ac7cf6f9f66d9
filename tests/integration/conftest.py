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
