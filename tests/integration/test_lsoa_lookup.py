"""With a postcode → LSOA lookup configured (PostcodeLookupKey), the extract carries LSOA, not the district."""

from __future__ import annotations

import io
import os
from pathlib import Path

from tests.integration.test_validate_stage import SMALL_RETURNS, council_files, submit

LOOKUP_KEY = "reference/nspl.csv"
LSOA_PARAMETERS = {"PostcodeLookupKey": LOOKUP_KEY, "ExtractArea": "lsoa", **SMALL_RETURNS}  # LSOA only when asked for
# SW1A 1AA is the postcode of every person in the hand-written valid return who has one.
LOOKUP = "pcds,lsoa21cd,other\nSW1A 1AA,E01004736,x\nSW1A 2AA,E01004737,y\n"


def test_the_extract_carries_lsoa_when_a_lookup_is_configured(tmp_path: Path) -> None:
    import duckdb

    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-lsoa-{os.getpid()}", parameters=LSOA_PARAMETERS) as stack:
        s3 = stack.client("s3")
        s3.put_object(Bucket=stack.resources.buckets["LinkageBucket"], Key=LOOKUP_KEY, Body=LOOKUP.encode())
        client, submission_id = submit(stack, council_files(tmp_path))
        stack.drain(timeout=120)
        assert client.get(submission_id)["status"] == "COMPLETE"
        research = stack.resources.buckets["ResearchBucket"]
        key = next(
            o["Key"]
            for o in s3.list_objects_v2(Bucket=research, Prefix="extract/individuals/")["Contents"]
            if o["Key"].endswith("part-0.parquet")
        )
        path = tmp_path / "individuals.parquet"
        path.write_bytes(s3.get_object(Bucket=research, Key=key)["Body"].read())
    extract = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
    assert "lsoa" in extract.columns and "postcode_district" not in extract.columns
    assert set(extract["lsoa"].dropna()) == {"E01004736"}
    assert "SW1A 1AA" not in io.StringIO(extract.to_csv()).getvalue()
