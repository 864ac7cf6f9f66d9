"""`tfnis demo`'s reference step: after the council returns, the research team's reference extracts found in
the input (<input>/reference/<dataset>/<period_end>/records.csv, as `tfnis generate --reference` writes them)
are uploaded and each one's match rate is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

RESEARCH_TEAM_CLAIMS = {"cognito:groups": ["research-team"]}


def reference_files(root: Path) -> list[tuple[str, str, Path]]:
    """(dataset, period_end, path) of each reference extract under root, earliest period first."""
    from tfnis.reference import dataset_names

    found = [(p.parent.parent.name, p.parent.name, p) for p in root.glob("reference/*/*/records.csv")]
    return sorted((d, pe, p) for d, pe, p in found if d in dataset_names())


def upload_references(stack: Any, root: Path, console: Any) -> list[dict[str, Any]]:
    """Upload every reference extract, let the stage run, print each one's match rate."""
    from tfnis.client.reference import ReferenceClient

    files = reference_files(root)
    if not files:
        return []
    client = ReferenceClient(stack.api_url, stack.token_for("", **RESEARCH_TEAM_CLAIMS))
    console.print("\nReference extracts (research team):")
    uploads = []
    for dataset, period_end, path in files:
        created = client.create_reference(dataset, period_end)
        client.upload(created["uploads"]["records.csv"], path)
        uploads.append(created["upload_id"])
    stack.drain(timeout=900)
    results = []
    for upload_id in uploads:
        result = client.wait_reference(upload_id, timeout=120) or {"upload_id": upload_id, "status": "NO RESULT"}
        results.append(result)
        if result["status"] == "COMPLETE":
            console.print(
                f"  {result['dataset']} {result['period_end']}: {result['records']:,} records, matched "
                f"{result['matched']:,} (match rate {result['match_rate']:.1%}, estimated false-match rate "
                f"{result['estimated_false_match_rate']:.3%})"
            )
        else:
            console.print(f"  {result.get('dataset', '')} {result.get('period_end', '')}: {result['status']}")
    return results
