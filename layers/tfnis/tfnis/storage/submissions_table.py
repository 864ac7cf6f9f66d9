"""The Submissions table: create, read, list, and the one place a status changes (a conditional write)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from tfnis.storage.clients import resource
from tfnis.submissions import Submission, SubmissionStatus, allowed_predecessors

# The service's own row: research end closes the service to new submissions.
SERVICE_PK, CLOSED_SK = "#service", "research_end"


class SubmissionNotFound(LookupError):
    """No such submission for this council (another council's id looks exactly like a missing one)."""


class InvalidTransition(RuntimeError):
    """The submission is not in a state that may move to the target: a duplicate or late event."""

    def __init__(self, submission_id: str, target: SubmissionStatus, current: str | None) -> None:
        super().__init__(f"submission {submission_id} cannot move to {target} from {current}")
        self.target, self.current = target, current


class ServiceClosed(RuntimeError):
    """Research has ended: the service accepts no new submissions."""


def _to_item(submission: Submission, expires_at: int | None) -> dict[str, Any]:
    item = submission.model_dump(mode="json")
    if expires_at:
        item["expires_at"] = expires_at
    return item


def _from_item(item: dict[str, Any]) -> Submission:
    clean = dict(item)  # DynamoDB numbers come back as Decimal
    for field in ("counts", "findings_summary"):
        clean[field] = {k: int(v) for k, v in (item.get(field) or {}).items()}
    clean["first_findings"] = [
        {k: int(v) if k == "row" and v is not None else v for k, v in finding.items()}
        for finding in item.get("first_findings") or []
    ]
    return Submission.model_validate(clean)


@dataclass(frozen=True)
class SubmissionTable:
    table_name: str
    research_end_date: str = ""

    def _table(self) -> Any:
        return resource("dynamodb").Table(self.table_name)

    def _expires_at(self) -> int | None:
        """TTL at research end: the table keeps nothing past it."""
        if not self.research_end_date:
            return None
        end = date.fromisoformat(self.research_end_date)
        return int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp())

    def create(self, submission: Submission) -> Submission:
        if self.is_closed():
            raise ServiceClosed("the research has ended; no new submissions are accepted")
        self._table().put_item(
            Item=_to_item(submission, self._expires_at()),
            ConditionExpression="attribute_not_exists(submission_id)",
        )
        return submission

    def get(self, la_code: str, submission_id: str) -> Submission:
        item = self._table().get_item(Key={"la_code": la_code, "submission_id": submission_id}).get("Item")
        if not item:
            raise SubmissionNotFound(submission_id)
        return _from_item(item)

    def for_council(self, la_code: str) -> list[Submission]:
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("la_code").eq(la_code)}
        while True:
            page = self._table().query(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted((_from_item(i) for i in items), key=lambda s: s.created_at, reverse=True)

    def transition(self, la_code: str, submission_id: str, target: SubmissionStatus, **fields: Any) -> Submission:
        """Move to target only from a legal predecessor (conditional write); set fields in the same write."""
        names = {"#status": "status", "#updated_at": "updated_at"}
        values: dict[str, Any] = {":target": target.value, ":now": datetime.now(UTC).isoformat()}
        sets = ["#status = :target", "#updated_at = :now"]
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        allowed = sorted(s.value for s in allowed_predecessors(target))
        for i, status in enumerate(allowed):
            values[f":p{i}"] = status
        condition = f"#status IN ({', '.join(f':p{i}' for i in range(len(allowed)))})"
        try:
            item = self._table().update_item(
                Key={"la_code": la_code, "submission_id": submission_id},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"attribute_exists(submission_id) AND {condition}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current = (error.response.get("Item") or {}).get("status", {})
            current_status = current.get("S") if isinstance(current, dict) else current
            if current_status is None:
                current_status = self._current_status(la_code, submission_id)
            raise InvalidTransition(submission_id, target, current_status) from None
        return _from_item(item)

    def _current_status(self, la_code: str, submission_id: str) -> str | None:
        try:
            return self.get(la_code, submission_id).status.value
        except SubmissionNotFound:
            return None

    def update_fields(self, la_code: str, submission_id: str, **fields: Any) -> None:
        """Set fields that do not change the state (e.g. the coverage report's keys)."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        self._table().update_item(
            Key={"la_code": la_code, "submission_id": submission_id},
            UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
            ConditionExpression="attribute_exists(submission_id)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def close(self, certificate_key: str) -> None:
        """Mark the service closed (research end); the API then refuses new submissions."""
        self._table().put_item(
            Item={"la_code": SERVICE_PK, "submission_id": CLOSED_SK, "certificate": certificate_key,
                  "closed_at": datetime.now(UTC).isoformat()}
        )  # fmt: skip

    def is_closed(self) -> bool:
        """Has research ended? A strongly consistent read: a stage asks just before and after it writes."""
        item = self._table().get_item(Key={"la_code": SERVICE_PK, "submission_id": CLOSED_SK}, ConsistentRead=True)
        return "Item" in item

    def all_submissions(self) -> list[Submission]:
        """Every council's submissions (research team's status view); a scan, fine at this table's size."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self._table().scan(**kwargs)
            items += [i for i in page.get("Items", []) if i["la_code"] != SERVICE_PK]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_from_item(i) for i in items]
