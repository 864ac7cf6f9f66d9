"""Stage messages are read strictly, and what is said about a bad one or a crash quotes no value from it."""

from __future__ import annotations

import json
import re
import traceback
from datetime import date

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tests.conftest import load_event
from tfnis.pipeline.failures import StageFailed, failing_stage
from tfnis.pipeline.messages import (
    SUBMISSION_ID_PATTERN,
    UnreadableMessage,
    expiry_check_in,
    loggable_upload,
    read_stage_message,
    receive_count,
    uploaded_objects,
)
from tfnis.pipeline.submissions import new_submission_id
from tfnis.storage import SubmissionTable

NAME, DOB, NINO = "Zebedee Quartermaine", "1987-03-14", "QQ123456C"
GOOD = {"la_code": "E08000025", "submission_id": "20261124T210000-abcd1234", "period_end": "2025-03-31"}


def test_the_submission_ids_the_api_makes_are_the_ones_stage_messages_accept() -> None:
    ref = read_stage_message(json.dumps({**GOOD, "submission_id": new_submission_id()}))
    assert re.match(SUBMISSION_ID_PATTERN, ref.submission_id)


def test_a_stage_message_names_its_submission() -> None:
    ref = read_stage_message(json.dumps(GOOD))
    assert (ref.la_code, ref.submission_id, ref.period_end) == ("E08000025", GOOD["submission_id"], date(2025, 3, 31))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (f"{NAME} {DOB}", "not JSON"),
        ("[" * 30_000 + "]" * 30_000, "not JSON"),
        (json.dumps([NAME]), "body model_type"),
        (json.dumps({**GOOD, "la_code": NAME}), "la_code string_pattern_mismatch"),
        (json.dumps({**GOOD, "submission_id": NINO}), "submission_id string_pattern_mismatch"),
        (json.dumps({**GOOD, "period_end": DOB}), "period_end value_error"),
        (json.dumps({**GOOD, "period_end": 20250331}), "period_end value_error"),
        (json.dumps({**GOOD, "forename": NAME}), "forename extra_forbidden"),
        (json.dumps({"la_code": "E08000025"}), "submission_id missing"),
    ],
)
def test_an_unreadable_stage_message_is_named_by_its_problem_never_its_values(body: str, says: str) -> None:
    with pytest.raises(UnreadableMessage) as unreadable:
        read_stage_message(body)
    assert says in unreadable.value.problem
    for value in (NAME, DOB, NINO, "Quartermaine"):
        assert value not in str(unreadable.value)


def test_validate_reads_s3_events_and_knows_its_other_messages() -> None:
    event = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/E08000025/x/a+b.csv"}}}]}
    assert uploaded_objects(json.dumps(event)) == [("b", "uploads/E08000025/x/a b.csv", None)]
    assert uploaded_objects(json.dumps({"Event": "s3:TestEvent", "Bucket": "b"})) == []
    with pytest.raises(UnreadableMessage):
        uploaded_objects(json.dumps({"name": NAME}))


def test_an_expiry_check_is_read_strictly_and_other_messages_are_not_one() -> None:
    check = {"la_code": "E08000025", "submission_id": GOOD["submission_id"], "due_at": "2026-11-26T12:00:00+00:00"}
    read = expiry_check_in(json.dumps({"expire": check}))
    assert read is not None and (read.la_code, read.submission_id) == ("E08000025", GOOD["submission_id"])
    assert expiry_check_in(json.dumps({"Records": []})) is None
    with pytest.raises(UnreadableMessage) as unreadable:
        expiry_check_in(json.dumps({"expire": {**check, "submission_id": NINO}}))
    assert NINO not in str(unreadable.value)


def test_only_well_formed_upload_keys_are_fit_to_log() -> None:
    assert loggable_upload(f"uploads/E08000025/{GOOD['submission_id']}/families.csv") == {
        "la_code": "E08000025",
        "submission_id": GOOD["submission_id"],
    }
    assert loggable_upload(f"uploads/E08000025/{NINO}/families.csv") == {}
    assert loggable_upload(f"{NAME}.csv") == {}


def delivered(event_file: str, receive_count: int) -> SQSRecord:
    """The first record of a sample event from events/, as SQS hands it over on its receive_count-th delivery."""
    raw = load_event(event_file)["Records"][0]
    return SQSRecord({**raw, "attributes": {**raw["attributes"], "ApproximateReceiveCount": str(receive_count)}})


def crash() -> None:
    raise ValueError(f"could not convert '{NAME}' to float")


def test_a_stage_crash_leaves_with_its_type_and_place_but_not_its_message_or_cause() -> None:
    logged: list[dict[str, object]] = []
    record = delivered("sqs_match.json", 1)  # the first of 3 deliveries: the table is not touched
    where = read_stage_message(record.body).loggable()
    stage = failing_stage(
        "matching", record, where, max_receive_count=3, table=SubmissionTable("no-table"),
        log=lambda message, extra: logged.append(extra),
    )  # fmt: skip
    with pytest.raises(StageFailed) as failed, stage:
        crash()
    assert "ValueError" in str(failed.value) and "in crash" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    shown = "".join(traceback.format_exception(failed.value)) + json.dumps(logged)
    assert "ValueError" in shown and NAME not in shown


def test_a_stage_crash_is_logged_with_its_submission_and_the_sqs_message_id() -> None:
    logged: list[dict[str, object]] = []
    record = delivered("sqs_match.json", 2)
    where = read_stage_message(record.body).loggable()
    stage = failing_stage(
        "matching", record, where, max_receive_count=3, table=SubmissionTable("no-table"),
        log=lambda message, extra: logged.append(extra),
    )  # fmt: skip
    with pytest.raises(StageFailed), stage:
        crash()
    [extra] = logged
    assert extra["la_code"] == GOOD["la_code"] and extra["submission_id"] == GOOD["submission_id"]
    assert extra["message_id"] == record.message_id and extra["error_type"] == "ValueError"


def test_the_receive_count_is_read_from_the_sqs_record() -> None:
    assert receive_count(delivered("sqs_s3_upload.json", 3)) == 3
    assert receive_count(SQSRecord(load_event("sqs_match.json")["Records"][0])) == 1


def test_a_crash_on_the_last_delivery_of_an_upload_key_not_ours_marks_nothing_failed() -> None:
    """No la_code or submission_id may be logged or looked up for a key that is not one of ours."""
    logged: list[dict[str, object]] = []
    record = delivered("sqs_s3_upload.json", 3)  # the last of 3: only a named submission could be marked FAILED
    stage = failing_stage(
        "validation", record, loggable_upload(f"{NAME}.csv"), max_receive_count=3,
        table=SubmissionTable("no-table"), log=lambda message, extra: logged.append(extra),
    )  # fmt: skip
    with pytest.raises(StageFailed), stage:  # a table call would raise something else: no AWS in unit tests
        crash()
    assert "la_code" not in logged[0] and NAME not in json.dumps(logged)
