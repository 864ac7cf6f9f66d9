"""The return `tfnis smoke` sends is valid for the token's council, also one the generator does not know."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tfnis.cli.smoke import synthetic_return
from tfnis.validation import validate_return


@pytest.mark.parametrize("la_code", ["E09000012", "E06000001"])  # Hackney is generated; Hartlepool is not
def test_smoke_return_is_valid_for_the_council_of_the_token(tmp_path: Path, la_code: str) -> None:
    period_end, files = synthetic_return(tmp_path, la_code, families=5, seed=1)
    assert set(files) == {"families.csv", "individuals.csv"}
    report = validate_return(
        list(files.values()), expected_la_code=la_code, expected_period_end=date.fromisoformat(period_end)
    )
    assert report.status == "VALID", [f.rule for f in report.findings if f.severity == "error"]
