"""Is the comparison honest? And how long does it take?

1. 20 seeds with no effect planted: how often each measure's 95 % interval excludes 0 (should be near 5 %).
2. 20 seeds with effects planted: how often the interval covers the planted shift (near 95 %) and excludes 0.
3. Time to build the panel and run the comparison (every measure, event studies included) for 10 councils x
   4 periods x 1000 families, median of 3 runs, beside the anchor: generating those returns in memory.

The panel is built by tfnis.impact.synthetic (the extract's columns, without the service in between).

    .venv/bin/python bench/impact_bench.py [--seeds 20] [--councils 4] [--families 400] [--periods 4]
"""

from __future__ import annotations

import argparse
import statistics
import time

EFFECTS = {"police_callouts": -0.5, "rent_arrears": -0.1, "neet": -0.1, "asb_nfi": -0.2}


def one_run(seed: int, councils: int, families: int, periods: int, effects: dict[str, float]):  # type: ignore[no-untyped-def]
    from tfnis.generate import generate_frames
    from tfnis.impact.estimate import compare
    from tfnis.impact.synthetic import panel_from_frames

    frames = generate_frames(councils=councils, families=families, periods=periods, seed=seed, effects=effects)
    estimates, _ = compare(panel_from_frames(frames))
    shifts = {e["measure"]: e["expected_shift"] for e in frames.effects}
    return estimates, shifts


def calibration(seeds: int, councils: int, families: int, periods: int) -> None:
    excluded: dict[str, int] = {}
    for seed in range(seeds):
        estimates, _ = one_run(1000 + seed, councils, families, periods, {})
        for e in estimates:
            excluded[e.measure] = excluded.get(e.measure, 0) + int(e.ci_low > 0 or e.ci_high < 0)
    total = sum(excluded.values())
    tests = seeds * len(excluded)
    print(f"no effect planted, {seeds} seeds x {len(excluded)} measures ({councils} councils x {families} families x "
          f"{periods} periods):")  # fmt: skip
    print(f"  95% interval excludes 0: {total}/{tests} = {100 * total / tests:.1f}% (expected about 5%)")
    print("  per measure: " + ", ".join(f"{m} {n}/{seeds}" for m, n in excluded.items()))

    covered = {m: 0 for m in EFFECTS}
    powered = {m: 0 for m in EFFECTS}
    for seed in range(seeds):
        estimates, shifts = one_run(2000 + seed, councils, families, periods, EFFECTS)
        for e in (e for e in estimates if e.measure in EFFECTS):
            covered[e.measure] += int(e.ci_low <= shifts[e.measure] <= e.ci_high)
            powered[e.measure] += int(e.ci_high < 0 or e.ci_low > 0)
    n = seeds * len(EFFECTS)
    print(f"effects planted {EFFECTS}, {seeds} seeds:")
    print(f"  95% interval covers the planted shift: {sum(covered.values())}/{n} = "
          f"{100 * sum(covered.values()) / n:.1f}% (expected about 95%)")  # fmt: skip
    print("  per measure (covered, excludes 0): " + ", ".join(
        f"{m} {covered[m]}/{seeds}, {powered[m]}/{seeds}" for m in EFFECTS))  # fmt: skip


def timing(councils: int, periods: int, families: int, runs: int = 3) -> None:
    from tfnis.generate import generate_frames
    from tfnis.impact.estimate import compare
    from tfnis.impact.synthetic import panel_from_frames

    compare(panel_from_frames(generate_frames(councils=2, families=100, periods=2, seed=1)))  # imports, warm-up
    generate_s, panel_s, compare_s = [], [], []
    for run in range(runs):
        started = time.perf_counter()
        frames = generate_frames(councils=councils, families=families, periods=periods, seed=run, effects=EFFECTS)
        generated = time.perf_counter()
        panel = panel_from_frames(frames)
        built = time.perf_counter()
        estimates, _ = compare(panel)
        done = time.perf_counter()
        generate_s.append(generated - started)
        panel_s.append(built - generated)
        compare_s.append(done - built)
    rows = len(panel.families), len(panel.individuals)
    g, p, c = (statistics.median(x) for x in (generate_s, panel_s, compare_s))
    print(f"{councils} councils x {periods} periods x {families} families ({rows[0]:,} family rows, "
          f"{rows[1]:,} person rows), {len(estimates)} measures, median of {runs}:")  # fmt: skip
    print(f"  anchor: generate the returns {g:.2f} s")
    print(f"  build the panel {p:.2f} s ({p / g:.2f}x anchor), run the comparison {c:.2f} s ({c / g:.2f}x anchor), "
          f"panel + comparison {p + c:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--councils", type=int, default=4)
    parser.add_argument("--families", type=int, default=400)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    if args.seeds > 0:
        calibration(args.seeds, args.councils, args.families, args.periods)
    if not args.skip_timing:
        timing(10, 4, 1000)


if __name__ == "__main__":
    main()
