"""Train the prior model that ships in the layer (tfnis/linkage/prior_model.json): the model a new stack's
first submission uses, with u re-estimated from that submission (tfnis.linkage.parameters).

Trained as `tfnis link` trains, on 100,000 records of bench/hard_generator.py (the project's stand-in for real
councils' data: many name origins, households, independent corruption) at a seed no benchmark uses. That
generator has no NHS number, so that one comparison is taken from a model trained the same way on
tfnis.generate's data (splink's model is a sum over comparisons: each comparison's m and u stand alone).
Run again when the model's comparisons change: a stored model whose comparisons differ from the data's is not
used (the submission trains instead and logs why), so a stale prior costs time, not quality.

    .venv/bin/python bench/train_prior_model.py [--records 100000]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "layers/tfnis/tfnis/linkage/prior_model.json"
SEED = 17  # not a seed of any benchmark's data


def trained(records):  # -> tfnis.linkage.parameters.ModelParameters
    from tfnis.linkage.batch import link_fields
    from tfnis.linkage.normalise import match_fields

    model = link_fields(match_fields(records, allow_non_uk_postcodes=False)).model
    if model is None:
        raise SystemExit("no model was trained")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    from dedupe_bench import people
    from hard_generator import hard_records

    hard = trained(hard_records(args.records, SEED).drop(columns=["la_code", "person"]))
    household = trained(
        people(families=1000, councils=4, periods=6, seed=SEED, error_rate=0.02).drop(columns=["person"])
    )
    have = {c["output_column_name"] for c in hard.settings["comparisons"]}
    extra = [c for c in household.settings["comparisons"] if c["output_column_name"] not in have]
    settings = {**hard.settings, "comparisons": [*hard.settings["comparisons"], *extra]}
    TARGET.write_bytes(replace(hard, settings=settings, index_rows=0).to_json())
    print(f"wrote {TARGET}: {[c['output_column_name'] for c in settings['comparisons']]}")


if __name__ == "__main__":
    main()
