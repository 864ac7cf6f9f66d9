"""The README lists every rule code and every coverage figure id, with its meaning (issues 2 and 4)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DATA, ROOT
from tfnis.coverage.figures import coverage_figures
from tfnis.spec.rules import RULES
from tfnis.validation import validate_return
from tfnis.validation.split import split_return

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_rule_code_is_in_the_readme_with_its_meaning() -> None:
    missing = [
        c for c, r in RULES.items() if f"| `{c}` | {r.severity.value} | {r.heading} | {r.meaning} |" not in README
    ]
    assert missing == []


def test_every_coverage_figure_id_of_a_real_return_is_in_the_readme() -> None:
    report = validate_return([DATA / "valid" / "families.csv", DATA / "valid" / "individuals.csv"])
    split = split_return(report.families, report.individuals)
    ids = {f.id for f in coverage_figures(split.family_attributes, split.individual_attributes)}
    undocumented = {i for i in ids if f"`{i}`" not in README and not i.startswith("problems_")}
    assert undocumented == set()
    assert "`problems_<n>`" in README


def test_readme_shows_the_two_commands_from_a_fresh_clone() -> None:
    assert "make demo" in README and "make test" in README
    assert Path(ROOT / ".ci" / "run").read_text().strip().endswith("make test")
