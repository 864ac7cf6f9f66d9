"""The coverage stage publishes EMF metrics per submission with an la_code dimension (issue 4 item 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integration.test_validate_stage import COUNCIL, council_files, submit


def test_coverage_emits_emf_metrics_per_submission_with_an_la_code_dimension(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-metrics-{os.getpid()}", metrics=True) as stack:
        submit(stack, council_files(tmp_path))
        stack.drain(timeout=120)
    documents = []
    for line in capfd.readouterr().out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    coverage = [d for d in documents if "la_code" in d and "HousingStatusProvidedPercent" in d]
    assert len(coverage) == 1
    emf = coverage[0]
    assert emf["la_code"] == COUNCIL
    assert emf["Families"] == [3.0] and emf["Individuals"] == [8.0]
    assert emf["FindingsErrors"] == [0.0]
    directives = emf["_aws"]["CloudWatchMetrics"][0]
    assert any("la_code" in dimensions for dimensions in directives["Dimensions"])
    assert {m["Name"] for m in directives["Metrics"]} >= {"Families", "Individuals", "EthnicityProvidedPercent"}
