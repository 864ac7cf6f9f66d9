"""The API's contract without a stack (tfnis.api): body reading, refusals, and that the document states the rules
the models apply."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tfnis.api.body import MAX_BODY_BYTES, BodyTooLarge, NotJson, read_json_object
from tfnis.api.models import PERIOD_END_PATTERN, CreateReference, CreateSubmission, refusal
from tfnis.submissions import check_period_end


def test_a_body_over_the_limit_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(BodyTooLarge, match="64 KiB"):
        read_json_object("{" * (MAX_BODY_BYTES + 1), "/submissions")  # not JSON either: size is asked first


@pytest.mark.parametrize(
    ("text", "says"),
    [("[" * 30_000 + "]" * 30_000, "nested too deeply"), ("{no", "not JSON"), ("[1]", "JSON object"), ("", "object")],
)
def test_a_body_that_is_not_a_json_object_names_the_shape_to_send(text: str, says: str) -> None:
    with pytest.raises(NotJson, match=says) as refused:
        read_json_object(text, "/references")
    assert '"dataset"' in str(refused.value)


def test_a_refusal_names_field_and_rule_and_never_the_value() -> None:
    with pytest.raises(ValidationError) as invalid:
        CreateSubmission.model_validate({"period_end": "1987-06-14", "files": ["Jordan Smith.csv"], "nino": "QQ1"})
    status, answer = refusal([{**e, "loc": ("body", *e["loc"])} for e in invalid.value.errors()], "/submissions")
    assert status == 422
    assert {p.field for p in answer.problems} == {"period_end", "files", "nino"}
    assert not re.search("1987|Jordan|QQ1", answer.model_dump_json())


def test_no_body_at_all_is_a_400_naming_the_shape() -> None:
    status, answer = refusal([{"loc": ("body",), "type": "missing", "msg": "Field required"}], "/submissions")
    assert status == 400 and '"period_end"' in answer.message


@given(st.dates(date(2010, 1, 1), date(2040, 12, 31)) | st.text(max_size=12))
def test_the_documented_pattern_is_exactly_the_period_end_rule(value: date | str) -> None:
    text = value.isoformat() if isinstance(value, date) else value
    try:
        check_period_end(text)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == bool(re.fullmatch(PERIOD_END_PATTERN, text))


def test_every_period_end_of_the_programme_matches_the_pattern() -> None:
    day, ends = date(2015, 1, 1), []
    while day.year <= 2035:
        if (day.month, day.day) in ((3, 31), (9, 30)):
            ends.append(day.isoformat())
        day += timedelta(days=1)
    assert len(ends) == 42 and all(re.fullmatch(PERIOD_END_PATTERN, end) for end in ends)


def test_the_reference_datasets_are_an_enum_in_the_schema_and_the_rule() -> None:
    schema = CreateReference.model_json_schema()
    datasets = schema["properties"]["dataset"]["enum"]
    assert datasets == ["benefits_employment", "education", "offending"]
    for dataset in datasets:
        CreateReference.model_validate({"dataset": dataset, "period_end": "2025-03-31", "files": ["records.csv"]})
    with pytest.raises(ValidationError, match="unknown dataset"):
        CreateReference.model_validate({"dataset": "health", "period_end": "2025-03-31", "files": ["records.csv"]})
    assert json.dumps(schema).count("records.csv") >= 1
