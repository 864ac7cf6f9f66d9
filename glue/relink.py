"""AWS Glue 5.0 job (template.yaml NationalRelinkJob): re-link the whole linkage index on Spark with key continuity.

Thin: read the job's arguments, take Glue's Spark session, call tfnis.pipeline.relink.national_relink. The tfnis
library comes from --extra-py-files (tfnis.zip), splink and the rest from --additional-python-modules, splink's
similarity UDFs from --extra-jars (docs/deploy.md, "National re-linkage").
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("--linkage_bucket", "--audit_bucket", "--submissions_table", "--JOB_RUN_ID"):
        parser.add_argument(name, required=True)
    parser.add_argument("--engine", default="spark", choices=["spark", "duckdb"])
    args, _glue_arguments = parser.parse_known_args(argv)  # Glue adds its own (--JOB_ID, --TempDir, ...)

    from tfnis.pipeline.relink import national_relink
    from tfnis.storage import Settings, Store, SubmissionTable

    if args.engine == "spark":
        from pyspark.sql import SparkSession

        SparkSession.builder.getOrCreate()  # Glue's session: the Spark engine picks up the active one
    settings = Settings(
        linkage_bucket=args.linkage_bucket, audit_bucket=args.audit_bucket, submissions_table=args.submissions_table
    )
    outcome = national_relink(
        args.JOB_RUN_ID,
        store=Store(settings),
        table=SubmissionTable(args.submissions_table),
        engine=args.engine,
    )
    print(f"national re-link: {outcome}")
    return outcome


if __name__ == "__main__":
    main(sys.argv[1:])
