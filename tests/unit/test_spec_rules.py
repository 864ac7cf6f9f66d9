"""The rule catalogue: stable codes with a severity and a meaning, documented, and the only codes used."""

from __future__ import annotations

import re
from pathlib import Path

from tfnis.spec.findings import Severity
from tfnis.spec.rules import RULES, rules_document, rules_markdown, severity_of

REPO = Path(__file__).resolve().parents[2]
VALIDATION = REPO / "layers" / "tfnis" / "tfnis" / "validation"


def _codes_used_by_validation() -> set[str]:
    pattern = re.compile(r"(?:file_level|at_rows|where|once)\(\s*[^,()]+,\s*\"([A-Z0-9_]+)\"")
    used: set[str] = set()
    for source in VALIDATION.glob("*.py"):
        used |= set(pattern.findall(source.read_text(encoding="utf-8")))
    checks = (VALIDATION / "checks.py").read_text("utf-8")
    used |= set(re.findall(r'\(\s*"[A-Za-z_]+",\s*"([A-Z0-9_]+)",', checks))
    used |= set(re.findall(r'\(\s*[A-Z_]+,\s*"([A-Z0-9_]+)",', checks))  # the alias tables: (ALIASES, "RULE", ...)
    used |= set(re.findall(r'rule, what = [A-Z_]+, "([A-Z0-9_]+)"', checks))
    return used


def test_every_code_the_validator_cites_is_in_the_catalogue():
    used = _codes_used_by_validation()
    assert len(used) > 40
    assert used <= set(RULES), used - set(RULES)


def test_every_catalogue_code_is_cited_somewhere_in_the_validator():
    assert set(RULES) <= _codes_used_by_validation(), set(RULES) - _codes_used_by_validation()


def test_codes_are_upper_snake_case_with_a_meaning():
    for code, rule in RULES.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*", code)
        assert rule.code == code and rule.meaning.endswith(".")


def test_severities_follow_the_data_spec():
    errors = {"MISSING_COLUMN", "FAMILY_MISSING", "INVALID_CODE", "DUPLICATE_PERSON_ID", "DUPLICATE_FAMILY_ID",
              "INVALID_DATE", "DUPLICATE_UPN", "NOT_UTF8", "XLSX_TOO_LARGE"}  # fmt: skip
    warnings = {"UPN_CHECK_LETTER", "NINO_FORMAT", "POSTCODE_FORMAT", "NHS_NUMBER_CHECK", "AGE_OUT_OF_RANGE",
                "OUT_OF_RANGE", "UPN_AGE", "NINO_UNDER_16"}  # fmt: skip
    assert {severity_of(c) for c in errors} == {Severity.ERROR}
    assert {severity_of(c) for c in warnings} == {Severity.WARNING}
    assert severity_of("ETHNICITY_EXTENDED") is Severity.INFO


def test_docs_rules_md_is_generated_from_the_catalogue():
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == rules_document()
    assert rules_markdown() in rules_document()


def test_every_rule_has_a_plain_english_heading_that_is_not_its_code():
    for code, rule in RULES.items():
        assert rule.heading and rule.heading[0].isupper() and code not in rule.heading and len(rule.heading) <= 60
