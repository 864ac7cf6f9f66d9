"""Time the panel release (tfnis.panel.release_panel) for 10 councils × 4 periods, and print what it costs and
protects: k, l and household uniqueness before (the staged periods, each protected on its own) and after.

    .venv/bin/python bench/panel_bench.py [--councils 10] [--families 400] [--periods 4] [--runs 3]

The staged extracts are what the anonymise stage writes to ResearchBucket staging/ (build_extract's staging
tables), from `tfnis generate` returns with the generator's true family and person as the linkage keys (the
family keeps its key when it moves council, as linkage gives it).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from tfnis.anonymise.extract import ExtractPolicy
from tfnis.generate import generate_returns
from tfnis.impact.synthetic import stage_with_true_keys
from tfnis.panel.release import PanelPolicy, release_panel


def staged_periods(councils: int, families: int, periods: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Every return's staging tables, concatenated (and how many returns per-period control refused)."""
    with tempfile.TemporaryDirectory(prefix="tfnis-panel-bench-") as tmp:
        generated = generate_returns(Path(tmp), councils=councils, families=families, periods=periods, seed=seed)
        return stage_with_true_keys(generated, ExtractPolicy())


def cached_staging(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The staged periods, from --staged if it holds them (generating and staging 40 returns takes minutes)."""
    if args.staged is None:
        return staged_periods(args.councils, args.families, args.periods, args.seed)
    name = f"{args.councils}x{args.families}x{args.periods}-{args.seed}"
    paths = [args.staged / f"{name}-{table}.pkl" for table in ("families", "individuals")]
    if not all(p.exists() for p in paths):
        args.staged.mkdir(parents=True, exist_ok=True)
        families, individuals, refused = staged_periods(args.councils, args.families, args.periods, args.seed)
        families.to_pickle(paths[0])
        individuals.to_pickle(paths[1])
        return families, individuals, refused
    return pd.read_pickle(paths[0]), pd.read_pickle(paths[1]), 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=10)
    parser.add_argument("--families", type=int, default=400)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--staged", type=Path, help="keep the staged periods here (pickles) and reuse them")
    parser.add_argument("--max-suppression", type=float, default=PanelPolicy().max_suppression)
    args = parser.parse_args()
    families, individuals, refused = cached_staging(args)
    print(
        f"staged: {families['family_key'].nunique()} families, {individuals['person_key'].nunique()} people, "
        f"{len(families)} family rows, {len(individuals)} person rows; {refused} return(s) refused per period"
    )
    release_times, part_times = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        released = release_panel(families, individuals, PanelPolicy(max_suppression=args.max_suppression))
        release_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        parts = released.parts()
        part_times.append(time.perf_counter() - started)
    print(
        f"release (derive + protect + risk): median {statistics.median(release_times):.2f} s of {args.runs} "
        f"runs {[round(t, 2) for t in release_times]}"
    )
    print(f"part files ({len(parts)}, DuckDB): median {statistics.median(part_times):.2f} s")
    show(released.risk.to_json())


def show(risk: dict) -> None:
    for t in risk["tables"]:
        print(
            f"\n{t['table']}: entities {t['entities_before']} -> {t['entities_after']}, rows {t['rows_before']} -> "
            f"{t['rows_after']}; cut to first council {t['entities_cut_to_first_council']}, left out "
            f"{t['entities_left_out']}; level {t['generalisation_level']} (tried {t['levels_tried']}); cells "
            f"suppressed {t['cells_suppressed']} ({t['cells_suppressed_share']:.2%}) {t['cells_suppressed_by_column']}"
        )
        for label in ("across_periods_before", "across_periods_after", "per_period_before", "per_period_after"):
            f = t[label]
            print(f"  {label:22s} k={f['k']:<3d} unique {f['unique_share']:.1%}  below k {f['below_k_share']:.1%}")
        for when in ("before", "after"):
            for s in t[f"sensitive_{when}"]:
                print(
                    f"  l {when:6s} {s['measure']:20s} per period min {s['per_period_min_l']} l=1 "
                    f"{s['per_period_l_1_share']:.1%}; across periods min {s['across_periods_min_l']} l=1 "
                    f"{s['across_periods_l_1_share']:.1%}"
                )
    h = risk["households"]
    print(
        f"\nhouseholds unique: per period {h['per_period_unique_share_before']:.1%} -> "
        f"{h['per_period_unique_share_after']:.1%}; across periods {h['across_periods_unique_share_before']:.1%} -> "
        f"{h['across_periods_unique_share_after']:.1%}"
    )


if __name__ == "__main__":
    main()
