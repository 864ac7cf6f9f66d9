"""POST/GET /submissions through the real handler with API Gateway v2 events, against moto."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import ROOT, load_event, load_function


@pytest.fixture
def api(aws: Any, lambda_context: Any) -> Any:
    module = load_function(aws, "SubmissionsApiFunction")

    def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = module.handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"] or "null")

    return call


def as_council(event: dict[str, Any], la_code: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:la_code"] = la_code
    return event


def with_body(event: dict[str, Any], body: Any) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def get_event(submission_id: str) -> dict[str, Any]:
    event = load_event("api_get_submission.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/submissions/{submission_id}"
    event["pathParameters"] = {"submission_id": submission_id}
    return event


def test_create_returns_one_presigned_post_per_file_pinned_to_the_council_prefix(api: Any, aws: Any) -> None:
    status, body = api(load_event("api_create_submission.json"))
    assert status == 201
    assert body["status"] == "PENDING_UPLOAD" and body["la_code"] == "E08000025"
    assert set(body["uploads"]) == {"families.csv", "individuals.csv"}
    for name, post in body["uploads"].items():
        assert post["fields"]["key"] == f"uploads/E08000025/{body['submission_id']}/{name}"


def test_presigned_post_policy_pins_key_caps_size_and_expires_in_15_minutes(api: Any, aws: Any) -> None:
    _, body = api(load_event("api_create_submission.json"))
    post = body["uploads"]["families.csv"]
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["eq", "$key", post["fields"]["key"]] in conditions
    max_bytes = int(aws.template.parameters["UploadMaxBytes"])
    assert ["content-length-range", 1, max_bytes] in conditions
    assert {"bucket": aws.buckets["UploadBucket"]} in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 14 * 60 < (expires - datetime.now(UTC)).total_seconds() <= 15 * 60


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"period_end": "2025-04-30", "files": ["families.csv", "individuals.csv"]}, "31 March or 30 September"),
        ({"period_end": "31/03/2025", "files": ["families.csv", "individuals.csv"]}, "YYYY-MM-DD"),
        ({"period_end": "2025-03-31", "files": ["families.csv", "people.csv"]}, "unknown file name"),
        ({"period_end": "2025-03-31", "files": ["families.csv"]}, "exactly families.csv + individuals.csv"),
        ({"period_end": "2025-03-31", "files": []}, "files"),
        ({"period_end": "2025-03-31", "files": ["return.xlsx"], "la_code": "E09000012"}, "la_code"),
    ],
)
def test_ill_typed_bodies_get_422_naming_the_field_and_rule(api: Any, body: dict[str, Any], says: str) -> None:
    status, answer = api(with_body(load_event("api_create_submission.json"), body))
    assert status == 422
    assert answer["message"] == "invalid request"
    assert says in json.dumps(answer)
    assert {p["field"] for p in answer["problems"]} <= {"period_end", "files", "la_code"}


def test_a_refusal_never_echoes_the_value_sent(api: Any) -> None:
    """A date of birth typed as the period, a name as a file, a NINO as a stray field's value: none comes back."""
    body = {"period_end": "1987-06-14", "files": ["Jordan Smith.csv"], "note": "QQ123456C", "x": [{"y": "W1A 1AA"}]}
    status, answer = api(with_body(load_event("api_create_submission.json"), body))
    assert status == 422
    text = json.dumps(answer)
    assert {p["field"] for p in answer["problems"]} == {"period_end", "files", "note", "x"}
    for value in ("1987", "Jordan", "Smith", "QQ123456C", "W1A"):
        assert value not in text


@pytest.mark.parametrize(("body", "says"), [("", "must be a JSON object"), ("[1, 2]", "must be a JSON object")])
def test_a_body_that_is_not_an_object_is_a_400(api: Any, body: str, says: str) -> None:
    status, answer = api(with_body(load_event("api_create_submission.json"), body))
    assert status == 400
    assert says in answer["message"] and "period_end" in answer["message"]  # the shape to send


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_content_is_a_415(api: Any, content_type: str) -> None:
    event = with_body(load_event("api_create_submission.json"), "period_end=2025-03-31&files=return.xlsx")
    event["headers"]["content-type"] = content_type
    status, answer = api(event)
    assert status == 415
    assert "application/json" in answer["message"]


def test_a_body_that_is_not_utf8_is_a_400_not_a_500(api: Any) -> None:
    event = load_event("api_create_submission.json")
    event["body"], event["isBase64Encoded"] = base64.b64encode(b"\xff\xfe{\x10").decode(), True
    status, answer = api(event)
    assert status == 400
    assert "not JSON" in answer["message"]


def test_a_malformed_submission_id_is_a_422_naming_the_parameter(api: Any) -> None:
    status, answer = api(get_event("x" * 2000))  # DynamoDB would refuse a key this long: never asked
    assert status == 422
    assert [p["field"] for p in answer["problems"]] == ["submission_id"]
    assert "xxxx" not in json.dumps(answer)


def test_a_body_that_is_not_json_is_a_400(api: Any) -> None:
    status, answer = api(with_body(load_event("api_create_submission.json"), "{not json"))
    assert status == 400
    assert "not JSON" in answer["message"]


def test_a_token_without_a_council_claim_is_refused(api: Any) -> None:
    event = load_event("api_list_submissions.json")
    del event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:la_code"]
    status, _ = api(event)
    assert status == 401


def test_council_b_can_neither_read_nor_list_council_a_submissions(api: Any) -> None:
    _, created = api(load_event("api_create_submission.json"))
    submission_id = created["submission_id"]
    status, _ = api(as_council(get_event(submission_id), "E09000012"))
    assert status == 404
    _, listed = api(as_council(load_event("api_list_submissions.json"), "E09000012"))
    assert listed["submissions"] == []
    status, own = api(get_event(submission_id))
    assert status == 200 and own["submission_id"] == submission_id


def test_council_b_creates_only_under_its_own_code(api: Any) -> None:
    status, created = api(as_council(load_event("api_create_submission.json"), "E09000012"))
    assert status == 201 and created["la_code"] == "E09000012"
    assert all(p["fields"]["key"].startswith("uploads/E09000012/") for p in created["uploads"].values())


def test_after_research_end_new_submissions_are_refused_with_410(api: Any, aws: Any) -> None:
    from tfnis.storage import SubmissionTable

    SubmissionTable(aws.tables["SubmissionsTable"]).close("certificates/test.json")
    status, answer = api(load_event("api_create_submission.json"))
    assert status == 410
    assert "research has ended" in answer["message"]


def test_create_and_list_carry_the_size_limit_a_page_checks_files_against(api: Any, aws: Any) -> None:
    max_bytes = int(aws.template.parameters["UploadMaxBytes"])
    _, created = api(load_event("api_create_submission.json"))
    _, listed = api(load_event("api_list_submissions.json"))
    assert created["max_bytes"] == listed["max_bytes"] == max_bytes


def test_status_carries_the_first_findings_so_a_page_needs_no_second_request(api: Any, aws: Any) -> None:
    from tfnis.storage import SubmissionTable
    from tfnis.submissions import SubmissionStatus as S

    _, created = api(load_event("api_create_submission.json"))
    submission_id = created["submission_id"]
    table = SubmissionTable(aws.tables["SubmissionsTable"])
    finding = {"file": "return.xlsx", "sheet": "individuals", "row": 7, "column": "upn", "rule": "UPN_CHECK_LETTER",
               "severity": "warning", "message": "The UPN's check letter is wrong."}  # fmt: skip
    for status in (S.RECEIVED, S.VALIDATING):
        table.transition("E08000025", submission_id, status)
    table.transition("E08000025", submission_id, S.REJECTED, first_findings=[finding] * 3)
    status, shown = api(get_event(submission_id))
    assert status == 200
    assert shown["findings"] == [finding] * 3  # row comes back from DynamoDB as a whole number
    _, listed = api(load_event("api_list_submissions.json"))
    assert "findings" not in listed["submissions"][0]  # the list stays small


def test_a_deeply_nested_body_is_a_400_not_a_500(api: Any) -> None:
    status, answer = api(with_body(load_event("api_create_submission.json"), "[" * 30_000 + "]" * 30_000))
    assert status == 400
    assert "nested too deeply" in answer["message"]


def test_a_body_over_64_kib_is_a_413(api: Any) -> None:
    body = {"period_end": "2025-03-31", "files": ["return.xlsx"], "padding": "x" * 70_000}
    status, answer = api(with_body(load_event("api_create_submission.json"), body))
    assert status == 413
    assert "64 KiB" in answer["message"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"period_end": "1987-06-14", "files": ["x.csv"]}, "application/json"),  # 422 for a council
        ("{not json", "application/json"),  # 400
        ({"padding": "x" * 70_000}, "application/json"),  # 413
        ("period_end=2025-03-31", "multipart/form-data"),  # 415
    ],
)
def test_a_caller_the_route_refuses_hears_only_that_never_about_its_body(
    api: Any, body: Any, content_type: str
) -> None:
    event = as_council(with_body(load_event("api_create_submission.json"), body), "W06000015")
    event["headers"]["content-type"] = content_type
    status, answer = api(event)
    assert status == 403 and "GSS code" in answer["message"]
    council = with_body(load_event("api_create_submission.json"), body)
    council["headers"]["content-type"] = content_type
    status, _ = api(references_event(council))
    assert status == 403  # a council on /references: not the research team


def references_event(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/references"
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /references"
    return event


@pytest.mark.parametrize("claim", ["E07000008", "E08000025 ", "W06000015", "QQ123456C"])
def test_a_malformed_council_claim_is_refused_with_403_before_anything_is_created(
    api: Any, aws: Any, claim: str
) -> None:
    status, answer = api(as_council(load_event("api_create_submission.json"), claim))
    assert status == 403
    assert "GSS code" in answer["message"] and claim.strip() not in answer["message"]
    assert aws.client("dynamodb").scan(TableName=aws.tables["SubmissionsTable"])["Count"] == 0


def test_an_unexpected_error_is_a_500_logged_by_type_and_place_only(
    api: Any, aws: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    aws.client("dynamodb").delete_table(TableName=aws.tables["SubmissionsTable"])  # an infrastructure fault
    status, answer = api(load_event("api_create_submission.json"))
    assert status == 500 and answer == {"message": "Internal Server Error"}
    [failed] = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert failed.error_type == "ResourceNotFoundException"  # type: ignore[attr-defined]
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text + json.dumps([vars(r) for r in caplog.records], default=str)
    assert "Requested resource not found" not in logs  # the exception's message: Powertools would log it


def test_the_sample_event_with_a_period_that_is_not_a_period_end_is_refused_naming_the_field(api: Any) -> None:
    status, answer = api(load_event("api_create_submission_bad_period.json"))
    assert status in (400, 422)  # 422 where the request model's validation answers
    assert "period_end" in json.dumps(answer)


def openapi_event() -> dict[str, Any]:
    event = load_event("api_list_submissions.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/openapi.json"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /openapi.json"
    return event


def test_the_openapi_document_and_the_templates_http_api_have_the_same_routes(api: Any) -> None:
    """A route added to the app but not to template.yaml (or the reverse) would be unreachable on AWS, or
    reachable but undocumented: the served document's operations and the template's routes are one set."""
    from cfnlint.decode import decode_str

    status, document = api(openapi_event())
    assert status == 200 and document["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    template, _ = decode_str((ROOT / "template.yaml").read_text())
    events = template["Resources"]["SubmissionsApiFunction"]["Properties"]["Events"].values()
    routed = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"}
    assert routed == documented | {("GET", "/openapi.json")}  # the document does not list itself
    assert document["security"] == [{"CognitoJwt": []}]


def test_every_refusal_in_the_document_is_the_error_body(api: Any) -> None:
    _, document = api(openapi_event())
    for item in document["paths"].values():
        for operation in item.values():
            for status, answer in operation["responses"].items():
                schema = answer["content"]["application/json"]["schema"]
                assert (schema == {"$ref": "#/components/schemas/ErrorBody"}) == (int(status) >= 400), status
