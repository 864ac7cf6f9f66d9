"""The panel as researchers get it: the layout read in one line by pandas, pyarrow and DuckDB; datapackage.json
validated by the frictionless library against the written part files; the data dictionary and the Glue tables
in step with the column registry; every DuckDB query of docs/research.md runs on a demo-shaped panel."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from frictionless import Detector, Package, Resource, Schema

from tfnis.panel.arrow_schema import SCHEMAS_PATH, generated
from tfnis.panel.columns import file_columns
from tfnis.panel.datapackage import DICTIONARY_PATH, data_dictionary, datapackage
from tfnis.panel.release import PanelPolicy, release_panel

ROOT = Path(__file__).resolve().parents[2]
PERIODS = (date(2024, 3, 31), date(2024, 9, 30), date(2025, 3, 31))
COUNCILS = ("E08000025", "E09000012")


def staged_periods(families: int = 120, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged tables as the anonymise stage writes them: families in every period, a third supported from the
    second period, a few moving council; two or three members each."""
    rng = np.random.default_rng(seed)
    fam_rows, people = [], []
    for f in range(families):
        council = COUNCILS[f % 2]
        supported = f % 3 == 0
        moves = f % 20 == 0
        for p, period in enumerate(PERIODS):
            la = COUNCILS[(f + 1) % 2] if moves and p == 2 else council
            fam_rows.append({
                "family_key": f"{f:064x}", "la_code": la, "period_end": period, "framework": "TF6_2015",
                "family_size": "3", "intervention_status": "ACTIVE" if supported and p >= 1 else "COMPARISON",
                "intervention_group": "SUPPORTED" if supported and p >= 1 else "COMPARISON",
                "support_start_month": 2024 * 12 + 5 if supported and p >= 1 else None,
                "evictions": int(rng.integers(0, 2)), "police_callouts": int(rng.integers(0, 4)),
                "rent_arrears": "Y" if rng.random() < 0.3 else "N", "hp_CRIME_ASB": "Y",
            })  # fmt: skip
            for m, (relation, band) in enumerate((("MAIN_CARER", "25-34"), ("CHILD", "16"), ("CHILD", "5-10"))):
                people.append({
                    "person_key": f"{f * 10 + m:064x}", "family_key": f"{f:064x}", "la_code": la,
                    "period_end": period, "relation_in_family": relation, "sex": "2" if m == 0 else "1",
                    "age_band": band, "ethnic_group": "White", "neet_eligible": "Y" if band == "16" else "N",
                    "missing_education_eligible": "N" if m == 0 else "Y", "neet": "Y" if rng.random() < 0.4 else "N",
                    "asb_nfi": int(rng.integers(0, 3)), "domestic_violence": "NONE", "mental_health": "N",
                })  # fmt: skip
    return pd.DataFrame(fam_rows), pd.DataFrame(people)


def staged_offending(families: int = 120, seed: int = 12) -> pd.DataFrame:
    """Offending outcomes as the reference stage stages them: some main carers and older children in some
    periods, and one person the panel does not hold."""
    rng = np.random.default_rng(seed)
    rows = [
        {"person_key": f"{f * 10 + m:064x}", "period_end": period.isoformat(),
         "proven_offences": (n := int(rng.integers(1, 14))), "custodial_sentences": int(rng.binomial(n, 0.1)),
         "most_serious_offence": str(rng.choice(["THEFT", "VIOLENCE", "DRUGS"]))}
        for f in range(families) for m in (0, 1) for period in PERIODS if rng.random() < 0.3
    ]  # fmt: skip
    stranger = {"person_key": "f" * 64, "period_end": PERIODS[0].isoformat(), "proven_offences": 1,
                "custodial_sentences": 1, "most_serious_offence": "SEXUAL"}  # fmt: skip
    return pd.DataFrame([*rows, stranger])


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The released panel (and offending outcomes) written as the pipeline writes it, under
    <tmp>/ResearchBucket/extract."""
    families, individuals = staged_periods()
    policy = PanelPolicy(k=3, max_suppression=0.5)
    released = release_panel(families, individuals, policy, {"offending": staged_offending()})
    root = tmp_path_factory.mktemp("demo") / "ResearchBucket"
    parts = released.parts()
    for key, body in parts.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(body)
    (root / "extract/datapackage.json").write_text(json.dumps(datapackage(sorted(parts))))
    return root / "extract"


def test_each_table_reads_in_one_line_with_typed_columns_and_no_partition_inside_a_file(extract):
    families = pd.read_parquet(extract / "families")
    assert str(families["months_since_support_start"].dtype) == "Int16"
    assert str(families["council_sequence"].dtype) == "Int8"
    assert str(families["ever_supported"].dtype) == str(families["rent_arrears"].dtype) == "boolean"
    assert str(families["police_callouts"].dtype) == "Int16"
    assert str(families["intervention_group"].dtype) == "category"
    assert families["months_since_support_start"].min() < 0 < families["months_since_support_start"].max()
    assert families["moved_council"].any() and families["council_sequence"].max() == 2
    assert ds.dataset(extract / "individuals", partitioning="hive").count_rows() > 0
    for part in (extract / "families").rglob("*.parquet"):
        names = duckdb.sql(f"SELECT * FROM read_parquet('{part}', hive_partitioning = false)").columns
        assert names == [c.name for c in file_columns("families")]


def test_datapackage_json_is_valid_and_every_part_file_matches_its_table_schema(extract):
    descriptor = json.loads((extract / "datapackage.json").read_text())
    package = Package(descriptor, basepath=str(extract))
    assert {r.name for r in package.resources} == {
        "families",
        "individuals",
        "reference_offending",
        "reference_offending_families",
    }
    for resource in descriptor["resources"]:
        schema = Schema.from_descriptor(resource["schema"])
        assert [f["name"] for f in resource["schema"]["fields"] if not f.get("partition")] == [
            c.name for c in file_columns(resource["name"])
        ]
        for path in resource["path"]:
            report = Resource(
                path=path, basepath=str(extract), schema=schema, detector=Detector(schema_sync=True)
            ).validate()
            assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_a_value_outside_a_table_schema_is_found_by_the_validation(extract):
    """The validation can fail: with one code taken out of intervention_group's list, the files do not pass."""
    descriptor = json.loads((extract / "datapackage.json").read_text())
    resource = next(r for r in descriptor["resources"] if r["name"] == "families")
    field = next(f for f in resource["schema"]["fields"] if f["name"] == "intervention_group")
    field["constraints"]["enum"] = ["COMPARISON"]
    schema = Schema.from_descriptor(resource["schema"])
    reports = [Resource(path=p, basepath=str(extract), schema=schema, detector=Detector(schema_sync=True)).validate()
               for p in resource["path"]]  # fmt: skip
    assert not all(r.valid for r in reports)


def test_the_data_dictionary_and_the_arrow_schemas_are_generated_from_the_registry():
    assert (ROOT / DICTIONARY_PATH).read_text() == data_dictionary(), "run python -m tfnis.panel.datapackage"
    assert json.loads(SCHEMAS_PATH.read_text()) == generated(), "run python -m tfnis.panel.arrow_schema"


def test_every_duckdb_query_in_docs_research_runs_on_a_demo_shaped_panel(extract):
    text = (ROOT / "docs/research.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    assert len(queries) >= 4
    for query in queries:
        rows = duckdb.sql(query.replace("out/demo/ResearchBucket/extract", str(extract))).fetchall()
        assert rows, query


def test_the_linkage_quality_table_is_described_column_for_column_as_the_match_stage_writes_it():
    from tfnis.linkage.quality import QUALITY_COLUMNS
    from tfnis.panel.columns import EXTRA_TABLES

    described = [c.name for c in EXTRA_TABLES["linkage_quality"] if not c.partition]
    assert described == ["submission_id", *QUALITY_COLUMNS]
