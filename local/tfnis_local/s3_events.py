"""S3 event notifications as AWS sends them: moto 5.2 leaves out the object's versionId and sequencer.

validate reads the version an event names (not whatever is latest) and deletes a replayed form's version by
its id, so the embedded stack must carry them. moto builds each event in one function; it is wrapped here once
per process, adding the two fields from the object moto already holds.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install() -> None:
    """Wrap moto's S3 event builder (idempotent; moto's server and mock_aws share the module)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.s3 import notifications

    build = notifications._get_s3_event

    def with_version(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = build(event_name, bucket, key, notification_id)
        version_id = getattr(key, "version_id", None)
        for record in event["Records"]:
            s3_object = record["s3"]["object"]
            if version_id and version_id != "null":
                s3_object["versionId"] = version_id
            s3_object.setdefault("sequencer", f"{int(key.last_modified.timestamp() * 1e6):016X}")
        return event

    notifications._get_s3_event = with_version
    _INSTALLED = True
