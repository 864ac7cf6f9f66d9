"""What tfnis publishes passes output checking: the national coverage table under published/ is the checked one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tfnis.cli.main import main
from tfnis.coverage.national import national_csv, national_table
from tfnis.coverage.report import coverage_report
from tfnis.disclosure.publish import OutputNotSafe, publishable, publishable_coverage
from tfnis.generate import generate_returns
from tfnis.validation import validate_return
from tfnis.validation.split import split_return


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    generated = generate_returns(tmp_path_factory.mktemp("returns"), councils=3, families=40, periods=1, seed=5)
    reports = []
    for r in generated.returns:
        report = validate_return([r.families, r.individuals])
        split = split_return(report.families, report.individuals)
        reports.append(
            coverage_report(split.family_attributes, split.individual_attributes, r.la_code, r.period_end.isoformat())
        )
    return national_table(reports)


def test_the_published_coverage_table_passes_check_output(national, tmp_path: Path):
    published = tmp_path / "coverage.csv"
    published.write_text(national_csv(publishable_coverage(national)))
    assert main(["check-output", str(published), "--counts", "numerator,denominator"]) == 0


def test_publication_only_adds_suppression_and_blanks_the_percent_with_it(national):
    checked = publishable_coverage(national)
    assert (checked["suppressed"] | ~national["suppressed"]).all()  # nothing suppressed comes back
    assert checked.loc[checked["suppressed"], ["numerator", "denominator", "percent"]].isna().all().all()


def test_a_table_that_cannot_be_made_safe_is_not_published():
    with pytest.raises(OutputNotSafe):
        publishable(pd.DataFrame({"area": ["North"], "families": [3]}), ("families",))
