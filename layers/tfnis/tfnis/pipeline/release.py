"""The panel release, the second step of the anonymise stage: every staged period in ResearchBucket staging/
read, the panel derived and protected across periods (tfnis.panel), and the researcher-facing extract/
(re)written: extract/<table>/period_end=…/la_code=…/part-0.parquet, extract/risk/panel.{json,html} and
extract/datapackage.json. Part files no longer in the panel are deleted (every version).

Two stages may release at once (AnonymiseFunction runs up to 5 at a time): each lists staging/ with ETags
before reading and after writing, and releases again if anything was staged meanwhile, so the last release
written always includes every staged period.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import ResearchEnded
from tfnis.pipeline.locations import EXTRACT_PREFIX, STAGING_PREFIX
from tfnis.storage import Settings, Store, SubmissionTable

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.panel.release import PanelPolicy, ReleasedPanel

PANEL_TABLES = ("families", "individuals")
PANEL_RISK_KEY = EXTRACT_PREFIX + "risk/panel.{kind}"
REFERENCE_STAGING_PREFIX = STAGING_PREFIX + "reference/"  # staging/reference/<dataset>/period_end=…/persons.parquet
REFERENCE_EXTRACT_PREFIX = EXTRACT_PREFIX + "reference/"
REFERENCE_RISK_KEY = EXTRACT_PREFIX + "risk/reference.json"
DATAPACKAGE_KEY = EXTRACT_PREFIX + "datapackage.json"
MAX_RELEASES = 3  # a release racing another re-runs; three rounds settle any burst MaximumConcurrency allows


def panel_policy(settings: Settings) -> PanelPolicy:
    from tfnis.panel.release import PanelPolicy

    area = "" if settings.extract_area == "none" else settings.extract_area
    return PanelPolicy(k=settings.disclosure_k, max_suppression=settings.panel_max_suppression_share, area=area)


def release(store: Store, table: SubmissionTable) -> ReleasedPanel | None:
    """Release the panel of everything staged, with the staged reference outcomes of the people it releases;
    None when no council period is staged. Raises DisclosureRefused (nothing written) when the panel cannot be
    protected within the suppression limit."""
    bucket = store.settings.research_bucket
    released = None
    for _ in range(MAX_RELEASES):
        staged = store.list_etags(bucket, STAGING_PREFIX)
        if not any(not k.startswith(REFERENCE_STAGING_PREFIX) for k in staged):
            return None  # reference outcomes wait for the panel: they are released only for its people
        families, individuals = read_staged(store, sorted(staged))
        from tfnis.panel.release import release_panel

        reference = read_staged_reference(store, sorted(staged))
        released = release_panel(families, individuals, panel_policy(store.settings), reference)
        write_panel(store, released, table)
        if store.list_etags(bucket, STAGING_PREFIX) == staged:
            break
    return released


def read_staged(store: Store, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every staged families and individuals file, each table read as one (DuckDB, union by name)."""
    import tempfile
    from pathlib import Path

    import duckdb

    bucket = store.settings.research_bucket
    with tempfile.TemporaryDirectory(prefix="tfnis-staged-") as tmp, duckdb.connect() as con:
        frames = []
        for name in PANEL_TABLES:
            paths = []
            panel = [k for k in keys if not k.startswith(REFERENCE_STAGING_PREFIX)]
            for n, key in enumerate(k for k in panel if k.endswith(f"/{name}.parquet")):
                paths.append(str(store.download(bucket, key, Path(tmp) / f"{name}-{n}.parquet")))
            listed = ", ".join(f"'{p}'" for p in paths)
            frames.append(con.execute(f"SELECT * FROM read_parquet([{listed}], union_by_name = true)").df())
        return frames[0], frames[1]


def reference_staging_key(dataset: str, period_end: str) -> str:
    """One dataset's matched outcomes of one period, pseudonymised, awaiting release (a later upload of the same
    dataset and period replaces it)."""
    return f"{REFERENCE_STAGING_PREFIX}{dataset}/period_end={period_end}/persons.parquet"


def read_staged_reference(store: Store, keys: list[str]) -> dict[str, pd.DataFrame]:
    """dataset → every staged period's outcomes (person_key, period_end, outcomes), one frame per dataset."""
    import pandas as pd

    from tfnis.reference import dataset_names

    bucket, found = store.settings.research_bucket, dict[str, list[pd.DataFrame]]()
    for key in keys:
        if key.startswith(REFERENCE_STAGING_PREFIX) and key.endswith("/persons.parquet"):
            dataset = key.removeprefix(REFERENCE_STAGING_PREFIX).split("/", 1)[0]
            if dataset in dataset_names():  # a dataset whose contract was withdrawn is not released
                found.setdefault(dataset, []).append(store.get_frame(bucket, key))
    return {dataset: pd.concat(frames, ignore_index=True) for dataset, frames in found.items()}


def write_panel(store: Store, released: ReleasedPanel, table: SubmissionTable) -> None:
    """The part files, the panel's risk report and the data package, under the extract's key; stale part
    files deleted. Like every write of research data, refused once research has ended."""
    from tfnis.panel.datapackage import datapackage

    settings = store.settings
    bucket, key_id = settings.research_bucket, settings.extract_key_id
    if table.is_closed():
        raise ResearchEnded(EXTRACT_PREFIX)
    parts = released.parts()
    for key, body in parts.items():
        store.put_bytes(bucket, key, body, "application/vnd.apache.parquet", kms_key_id=key_id)
    for prefix in (*(f"{EXTRACT_PREFIX}{name}/" for name in PANEL_TABLES), REFERENCE_EXTRACT_PREFIX):
        for stale in set(store.list_keys(bucket, prefix)) - set(parts):
            store.delete_all_versions(bucket, stale)
    document = json.dumps(released.risk.to_json(), indent=2).encode()
    put = store.put_bytes
    if released.reference is not None:
        reference = json.dumps(released.reference.risk, indent=2).encode()
        put(bucket, REFERENCE_RISK_KEY, reference, "application/json", kms_key_id=key_id)
    put(bucket, PANEL_RISK_KEY.format(kind="json"), document, "application/json", kms_key_id=key_id)
    put(bucket, PANEL_RISK_KEY.format(kind="html"), released.risk.html().encode(), "text/html; charset=utf-8",
        kms_key_id=key_id)  # fmt: skip
    package = datapackage(sorted(parts), area=released.area, extra=store.list_keys(bucket, EXTRACT_PREFIX))
    put(bucket, DATAPACKAGE_KEY, json.dumps(package, indent=2).encode(), "application/json", kms_key_id=key_id)
    if table.is_closed():
        store.delete_all_versions(bucket, EXTRACT_PREFIX)
        raise ResearchEnded(EXTRACT_PREFIX)
