"""The research data team's client of POST /references: create a reference upload, send the extract to its
pre-signed POST (as a council's return), and wait for the match result (counts and rates, never a record)."""

from __future__ import annotations

import time
from typing import Any

from tfnis.client.api import ApiError, SubmissionClient


class ReferenceClient(SubmissionClient):
    def create_reference(self, dataset: str, period_end: str) -> dict[str, Any]:
        response = self._session().post(
            f"{self.api_url.rstrip('/')}/references",
            json={"dataset": dataset, "period_end": period_end, "files": ["records.csv"]},
            timeout=self.timeout,
        )
        return self._json(response)

    def reference_result(self, upload_id: str) -> dict[str, Any] | None:
        """The result once the stage has run; None while it has not."""
        try:
            return self._json(
                self._session().get(f"{self.api_url.rstrip('/')}/references/{upload_id}", timeout=self.timeout)
            )
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def wait_reference(self, upload_id: str, timeout: float = 600, poll: float = 0.5) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            result = self.reference_result(upload_id)
            if result is not None or time.monotonic() > deadline:
                return result
            time.sleep(poll)


def describe_result(result: dict[str, Any]) -> str:
    """One line per fact: status, records, matched, match rate and estimated false-match rate."""
    lines = [f"Reference upload {result['upload_id']} ({result['dataset']}, {result['period_end']}): "
             f"{result['status']}"]  # fmt: skip
    lines.append(f"  records {result.get('records', 0):,}, matchable {result.get('matchable', 0):,}")
    if result["status"] == "COMPLETE":
        lines.append(
            f"  matched {result['matched']:,} (match rate {result['match_rate']:.1%}, estimated false-match rate "
            f"{result['estimated_false_match_rate']:.3%}); outcomes of {result.get('extract_persons', 0):,} persons "
            f"and {result.get('extract_families', 0):,} families released with the panel"
        )
    for finding in result.get("findings", [])[:10]:
        where = f"row {finding['row']}, " if finding.get("row") else ""
        where += f"column {finding['column']}: " if finding.get("column") else ""
        lines.append(f"  {finding['rule']} ({finding['severity']}): {where}{finding['message']}")
    return "\n".join(lines)
