"""Unzipped size of each Lambda function with its layers, from `sam build` output.

Lambda refuses a function whose code and layers add up to more than 250 MB unzipped (262,144,000 bytes),
so this prints, per function, its code, each layer and the total against that limit, and the largest
packages of each layer, and each function's cold import time: its handler module imported in a fresh
python3.13 that sees only the function's code and layers, without writing bytecode (Lambda's /var/task and
/opt are read-only, so a .pyc that the build did not ship is recompiled on every cold start), median of 3.
With --smoke it also runs, in a python3.13 that sees only that function's code and
layers (as /var/task and /opt/python would), a DataFrame through tfnis.storage.parquet and back, pyarrow's
CSV reader and compute where the function has pyarrow, the match fields where it has pandas, and
matching end to end (keys, splink training and prediction) where it has splink.

    sam build && .venv/bin/python bench/layer_size.py [--build-dir .aws-sam/build] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

LAMBDA_UNZIPPED_LIMIT = 262_144_000  # 250 MiB: code and every layer of one function, unzipped
MB = 1024 * 1024

SMOKE = """
import importlib.util, io, sys
sys.path[:0] = {paths!r}
has = {{name: importlib.util.find_spec(name) is not None for name in ("pandas", "duckdb", "pyarrow", "splink")}}
import aws_lambda_powertools, pydantic, boto3, tfnis
if has["pandas"]:
    import pandas as pd
    from tfnis.storage.parquet import frame_from_parquet, frame_to_parquet
    frame = pd.DataFrame({{"record_token": ["a", "b"], "age": [3, 40]}})
    assert frame_from_parquet(frame_to_parquet(frame)).equals(frame)
if has["pyarrow"]:
    import pyarrow.compute as pc, pyarrow.csv as pacsv
    table = pacsv.read_csv(io.BytesIO(b"upn\\nP207000016049\\n"))
    assert pc.match_substring_regex(table["upn"], "^[A-Z][0-9]{{12}}$").to_pylist() == [True]
if has["pandas"]:  # the identifier rules, with or without pyarrow
    from tfnis.linkage.normalise import match_fields
    assert match_fields(pd.DataFrame({{"nino": ["AB123456C"], "upn": ["P207000016049"]}}))["upn"].notna().all()
if has["splink"]:  # matching end to end: keys, splink's training and prediction, on generated people
    import splink, splink.comparison_library
    from tfnis.generate import generate_frames
    from tfnis.linkage import link_records
    people = generate_frames(councils=2, families=600, periods=2, seed=3).individuals
    assert (link_records(people.assign(record_id=range(len(people))))["match_rule"] == "probabilistic").any()
print("ok:", ", ".join(name for name, present in has.items() if present))
"""


# A Lambda cold start imports the handler module: module level holds the Logger, Metrics, Tracer and settings.
COLD_IMPORT = """
import sys, time
started = time.perf_counter()
sys.path[:0] = {paths!r}
import app
print(time.perf_counter() - started)
"""
# What the runtime sets and Powertools reads at import; no credentials, no endpoint: nothing is called.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_LAMBDA_FUNCTION_NAME": "layer-size",
    "POWERTOOLS_SERVICE_NAME": "tfnis",
    "POWERTOOLS_METRICS_NAMESPACE": "tfnis",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "LANG": "C.UTF-8",
}


def tree_bytes(path: Path) -> int:
    """Sum of file sizes: what Lambda counts, unlike du's blocks."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def largest_entries(path: Path, count: int = 5) -> list[tuple[str, int]]:
    site = path / "python" if (path / "python").is_dir() else path
    sizes = [(entry.name, tree_bytes(entry) if entry.is_dir() else entry.stat().st_size) for entry in site.iterdir()]
    return sorted(sizes, key=lambda item: -item[1])[:count]


def function_layers(template: dict[str, Any], function: dict[str, Any]) -> list[str]:
    """Logical ids of the layers a function gets: Globals first, then its own (SAM appends lists)."""
    refs = template.get("Globals", {}).get("Function", {}).get("Layers", []) + function["Properties"].get("Layers", [])
    return [ref["Ref"] for ref in refs if isinstance(ref, dict) and "Ref" in ref]


def python313() -> tuple[str | None, dict[str, str]]:
    """The python3.13 to run a function's code with, and an environment without PYTHON* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYENV_VERSION"] = "3.13.0"
    return shutil.which("python3.13"), env


def function_variables(logical_id: str) -> dict[str, str]:
    """The variables a function's settings require at import (tfnis.storage.settings), with placeholders: a
    name where one must be given, else empty. Nothing is called with them here."""
    from tfnis.storage.settings import FUNCTION_SETTINGS

    fields = FUNCTION_SETTINGS[logical_id].model_fields.items() if logical_id in FUNCTION_SETTINGS else []
    return {
        name.upper(): "layer-size" if any(getattr(m, "min_length", None) for m in field.metadata) else ""
        for name, field in fields
        if field.is_required()
    }


def cold_import_seconds(paths: list[Path], variables: dict[str, str], runs: int = 3) -> float | None:
    """Median time to import the handler (`app`) in a fresh interpreter; None when it does not import."""
    python, env = python313()
    if python is None:
        return None
    env = {k: env[k] for k in ("PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION") if k in env} | variables
    env |= LAMBDA_ENVIRONMENT
    times = []
    for _ in range(runs):
        # -B: write no bytecode, as on Lambda's read-only file system, so every run is as cold as the first.
        run = subprocess.run(
            [python, "-I", "-B", "-c", COLD_IMPORT.format(paths=[str(p.resolve()) for p in paths])],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        if run.returncode != 0:
            return None
        times.append(float(run.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def compiled_share(paths: list[Path]) -> float:
    """Share of .py files that have a .pyc beside them in __pycache__ (what `make build` compiles)."""
    sources = [p for path in paths for p in path.rglob("*.py")]
    if not sources:
        return 1.0
    tag = "cpython-313"
    compiled = sum(1 for p in sources if (p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").exists())
    return compiled / len(sources)


def smoke(paths: list[Path]) -> str:
    python, env = python313()
    if python is None:
        return "skipped (no python3.13)"
    run = subprocess.run(
        [python, "-I", "-B", "-c", SMOKE.format(paths=[str(p) for p in paths])],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if run.returncode == 0:
        return run.stdout.strip()
    return "FAILED: " + (run.stderr.strip().splitlines() or ["?"])[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--smoke", action="store_true", help="import each function's libraries from its layers")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-import-time", action="store_true", help="skip the cold import of each handler")
    args = parser.parse_args()

    built = args.build_dir / "template.yaml"
    if not built.exists():
        print(f"{built} not found: run `sam build` first (make build)", file=sys.stderr)
        return 2
    template, errors = decode_str(built.read_text(encoding="utf-8"))
    if errors:
        print(f"{built}: {errors[0]}", file=sys.stderr)
        return 2
    resources = template["Resources"]

    layers = {
        lid: args.build_dir / r["Properties"]["ContentUri"]
        for lid, r in resources.items()
        if r["Type"] == "AWS::Serverless::LayerVersion"
    }
    layer_bytes = {lid: tree_bytes(path) for lid, path in layers.items()}

    figures = []
    for lid, function in resources.items():
        if function["Type"] != "AWS::Serverless::Function":
            continue
        code = args.build_dir / function["Properties"]["CodeUri"]
        used = function_layers(template, function)
        total = tree_bytes(code) + sum(layer_bytes[layer] for layer in used)
        figure = {
            "function": lid,
            "code_mb": round(tree_bytes(code) / MB, 1),
            "layers": used,
            "total_mb": round(total / MB, 1),
            "headroom_mb": round((LAMBDA_UNZIPPED_LIMIT - total) / MB, 1),
            "fits": total <= LAMBDA_UNZIPPED_LIMIT,
        }
        paths = [code] + [layers[layer] / "python" for layer in used]
        if not args.no_import_time:
            seconds = cold_import_seconds(paths, function_variables(lid))
            figure["cold_import_s"] = None if seconds is None else round(seconds, 3)
            figure["compiled_share"] = round(compiled_share(paths), 3)
        if args.smoke:
            figure["smoke"] = smoke(paths)
        figures.append(figure)

    if args.json:
        print(json.dumps({"layers_mb": {k: round(v / MB, 1) for k, v in layer_bytes.items()}, "functions": figures}))
        return 0 if all(f["fits"] for f in figures) else 1

    print("layer                      unzipped MiB   largest entries")
    for lid, size in layer_bytes.items():
        top = ", ".join(f"{name} {entry / MB:.0f}" for name, entry in largest_entries(layers[lid]))
        print(f"{lid:<26} {size / MB:>12.1f}   {top}")
    print()
    limit = LAMBDA_UNZIPPED_LIMIT / MB
    print(f"function                   total MiB  (limit {limit:.0f})  headroom  cold import  .pyc  layers")
    for f in figures:
        flag = "" if f["fits"] else "  OVER THE LIMIT"
        smoke_note = f"  smoke: {f['smoke']}" if "smoke" in f else ""
        cold = "-" if f.get("cold_import_s") is None else f"{f['cold_import_s']:.2f} s"
        share = f"{f['compiled_share']:.0%}" if "compiled_share" in f else "-"
        print(
            f"{f['function']:<26} {f['total_mb']:>9.1f}  {'':>11} {f['headroom_mb']:>9.1f}  {cold:>11}  {share:>4}  "
            f"{'+'.join(f['layers'])}{flag}{smoke_note}"
        )
    return 0 if all(f["fits"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
