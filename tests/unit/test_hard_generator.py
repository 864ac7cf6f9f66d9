"""bench/hard_generator.py: the difficulty knob leaves the stress set as it was, and turns the corruption down.

Every quality figure quoted on the hard set (docs/linkage-benchmarks.md) was measured on its default output, so
the default must not move: the fingerprint below is hard_records(20000, 1) before the knob was added (Faker
40.63, whose name lists the pools are drawn from; a new Faker with other lists would move it, and the figures).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parents[2] / "bench"
DEFAULT_20K_SEED_1 = "ba48a38978b64faa8811d1d66324a2a01b8be6c0aba0e02993ea4a7b5ee23c15"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("hard_generator", BENCH / "hard_generator.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hard_generator"] = module
    spec.loader.exec_module(module)
    return module


def _fingerprint(records: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(records, index=True).to_numpy().tobytes()).hexdigest()


def test_default_output_is_the_stress_set_as_before() -> None:
    generator = _generator()
    records = generator.hard_records(20000, 1)
    assert (len(records), records["person"].nunique()) == (19914, 10753)
    assert _fingerprint(records) == DEFAULT_20K_SEED_1
    assert _fingerprint(generator.hard_records(20000, 1, corruption=1.0, script_share=None)) == DEFAULT_20K_SEED_1


def test_knob_scales_corruption_and_folds_scripts_keeping_people() -> None:
    generator = _generator()
    default = generator.hard_records(20000, 1)
    calmer = generator.hard_records(20000, 1, corruption=0.5, script_share=0.0)
    # The same people and records; only the corruption differs.
    assert calmer["person"].tolist() == default["person"].tolist()
    assert calmer["forename"].isna().sum() < default["forename"].isna().sum()
    assert calmer["date_of_birth"].isna().sum() < default["date_of_birth"].isna().sum()
    # NINO and UPN missing rates are not scaled (typos draw as they go, so the blanks fall elsewhere).
    for column in ("nino", "upn"):
        assert abs(calmer[column].isna().mean() - default[column].isna().mean()) < 0.01
    names = pd.concat([calmer["forename"], calmer["surname"]]).dropna()
    assert names.map(str.isascii).all()
    assert not pd.concat([default["forename"], default["surname"]]).dropna().map(str.isascii).all()


def test_no_namesakes_gives_housemates_different_forenames() -> None:
    generator = _generator()
    housemates_alike = {
        namesakes: int(generator.people(10000, 1, namesakes=namesakes)[["household", "forename"]].duplicated().sum())
        for namesakes in (True, False)
    }
    # Zipf draws repeat a housemate's forename often; without namesakes only a twin's redraw can (rarely).
    assert housemates_alike[True] > 100
    assert housemates_alike[False] <= 2
