"""A crash in validate: retried, then FAILED with the message in the DLQ, and nothing deleted.

Its own module: it breaks its stack on purpose, and stacks in one process share moto's state.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.integration.test_validate_stage import council_files, dlq_depth, submit, upload_versions


def test_a_crash_ends_failed_in_the_dlq_after_retries_and_deletes_nothing(tmp_path: Path) -> None:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-crash-{os.getpid()}") as crashing:
        # A real infrastructure fault: the bucket the attributes go to is gone.
        crashing.client("s3").delete_bucket(Bucket=crashing.resources.buckets["WorkBucket"])
        client, submission_id = submit(crashing, council_files(tmp_path))
        crashing.drain(timeout=120)
        submission = client.get(submission_id)
        assert submission["status"] == "FAILED"
        assert "dead-letter queue" in submission["reason"]
        assert dlq_depth(crashing, "UploadDLQ") >= 1
        assert upload_versions(crashing, submission_id) == 2
