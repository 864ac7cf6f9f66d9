"""The two column registries agree: `tfnis.anonymise.columns` is what the anonymise stage may write to staging
(text codes as the return has them, checked by patterns), `tfnis.panel.columns` is what researchers get (typed,
closed lists, derived across periods). They are kept apart on purpose (staging carries month numbers and flags
the panel drops; the panel carries columns derived across periods), so this test holds them in step instead."""

from __future__ import annotations

import re

import pytest

from tfnis.anonymise.columns import STAGING_FAMILY_EXTRACT, ExtractKind, individual_extract
from tfnis.anonymise.minimise import AGE_BAND_PATTERN, FAMILY_SIZE_PATTERN
from tfnis.panel.columns import PanelType, panel_columns

# Derived by the release across periods (tfnis.panel.derive), so never staged.
DERIVED = {"families": {"ever_supported", "council_sequence", "moved_council"}, "individuals": set()}
# Staged for the release to use, never released (docs/research.md "Two steps").
NOT_RELEASED = {
    "families": {"months_since_identified", "months_since_support_end", "support_start_month", "support_end_month"},
    "individuals": {"no_fixed_abode"},
}


@pytest.mark.parametrize("area", ["", "postcode_district", "lsoa"])
@pytest.mark.parametrize("table", ["families", "individuals"])
def test_every_released_column_is_staged_or_derived_and_every_staged_one_is_released_or_listed(table, area):
    staged = {c.name: c for c in (STAGING_FAMILY_EXTRACT if table == "families" else individual_extract(area))}
    released = {c.name for c in panel_columns(table, area)}
    assert released - set(staged) == DERIVED[table]
    assert set(staged) - released == NOT_RELEASED[table]


@pytest.mark.parametrize("table", ["families", "individuals"])
def test_a_released_code_list_holds_exactly_what_staging_may_hold(table):
    staged = {c.name: c for c in (STAGING_FAMILY_EXTRACT if table == "families" else individual_extract())}
    for column in panel_columns(table):
        rule = staged.get(column.name)
        if column.type is not PanelType.CATEGORY or rule is None:
            continue
        assert rule.kind is ExtractKind.CODE, column.name
        if rule.codes:
            assert set(column.codes) == set(rule.codes), column.name
        else:
            assert rule.pattern in (AGE_BAND_PATTERN, FAMILY_SIZE_PATTERN), column.name
            assert all(re.fullmatch(rule.pattern.strip("^$"), code) for code in column.codes), column.name
