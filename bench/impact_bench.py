"""Is the comparison honest? And how long does it take?

1. 20 seeds with no effect planted: how often each measure's 95 % interval excludes 0 (should be near 5 %).
2. 20 seeds with effects planted: how often the interval covers the planted shift (near 95 %) and excludes 0.
3. Time to build the panel and run the comparison (every measure, event studies included) for 10 councils x
   4 periods x 400 families, median of 3 runs, beside the anchor: generating those returns. The panel there is
   the pipeline's own (validation, per-period extract, panel release with disclosure control, part files;
   matching replaced by the generator's truth), read back as `tfnis impact` reads it.

The 40 calibration runs use tfnis.impact.synthetic.panel_from_frames (the extract's columns without the
service in between, no disclosure control): fast enough for many seeds.

4. With --reference-seeds N: effects planted on reference outcomes (education, offending, benefits), through
   the release with the panel; how often each interval covers the planted shift.

    .venv/bin/python bench/impact_bench.py [--seeds 20] [--councils 4] [--families 400] [--periods 4]
        [--released-seeds N] [--reference-seeds N] [--reference-timing --runs 3]
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


def timing(councils: int, periods: int, families: int, runs: int, max_suppression: float) -> None:
    """The pipeline's own panel (tfnis.impact.synthetic.released_extract's steps, timed one by one), then the
    comparison on the part files read back; the anchor is generating the returns."""
    import tempfile
    from pathlib import Path

    from tfnis.generate import generate_returns
    from tfnis.impact.estimate import compare
    from tfnis.impact.panel import read_panel
    from tfnis.impact.synthetic import staged_returns
    from tfnis.panel.release import PanelPolicy, release_panel

    steps: dict[str, list[float]] = {"generate (anchor)": [], "stage": [], "release": [], "compare": []}
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="tfnis-impact-bench-") as tmp:
            started = time.perf_counter()
            made = generate_returns(Path(tmp) / "returns", councils=councils, families=families, periods=periods,
                                    seed=run, effects=EFFECTS)  # fmt: skip
            generated = time.perf_counter()
            staged = staged_returns(made, 5, 0.10)
            stage_done = time.perf_counter()
            released = release_panel(*staged, PanelPolicy(max_suppression=max_suppression))
            for key, body in released.parts().items():
                (Path(tmp) / key).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / key).write_bytes(body)
            release_done = time.perf_counter()
            panel = read_panel(Path(tmp) / "extract")
            estimates, _ = compare(panel)
            done = time.perf_counter()
        for name, seconds in zip(steps, (generated - started, stage_done - generated, release_done - stage_done,
                                         done - release_done), strict=True):  # fmt: skip
            steps[name].append(seconds)
    median = {name: statistics.median(values) for name, values in steps.items()}
    anchor = median["generate (anchor)"]
    print(f"{councils} councils x {periods} periods x {families} families, the pipeline's panel "
          f"({len(panel.families):,} family rows, {len(panel.individuals):,} person rows; PanelMaxSuppressionShare "
          f"{max_suppression}), {len(estimates)} measures, median of {runs}:")  # fmt: skip
    for name, seconds in median.items():
        print(f"  {name:18s} {seconds:7.2f} s  ({seconds / anchor:.2f}x anchor)")
    build = median["stage"] + median["release"]
    print(f"  build the panel (stage + release) {build:.2f} s; run the comparison {median['compare']:.2f} s; "
          f"together {build + median['compare']:.2f} s")  # fmt: skip


def released_calibration(seeds: int) -> None:
    """The no-effect check on the pipeline's own extract (slower: validation, extract, release per seed)."""
    import tempfile
    from pathlib import Path

    from tfnis.impact.estimate import compare
    from tfnis.impact.panel import read_panel
    from tfnis.impact.synthetic import released_extract

    excluded, tests = 0, 0
    for seed in range(seeds):
        with tempfile.TemporaryDirectory(prefix="tfnis-impact-bench-") as tmp:
            root, _ = released_extract(Path(tmp), councils=3, families=300, periods=4, seed=3000 + seed)
            estimates, _ = compare(read_panel(root))
        excluded += sum(int(e.ci_low > 0 or e.ci_high < 0) for e in estimates)
        tests += len(estimates)
    print(f"no effect planted, the pipeline's own extract (3 councils x 300 families x 4 periods), {seeds} seeds:")
    print(f"  95% interval excludes 0: {excluded}/{tests} = {100 * excluded / tests:.1f}% (expected about 5%)")


REFERENCE_EFFECTS = {"sessions_missed": -3.0, "proven_offences": -0.4, "months_employed": -0.5}


def reference_calibration(seeds: int) -> None:
    """Planted effects on reference outcomes through the release (the three datasets staged for the people they
    truly hold, joined to the released panel, protected jointly with it): does each 95 % interval cover the
    shift planted? With the disclosure figures of the first seed's risk/reference.json."""
    import json
    import tempfile
    from pathlib import Path

    from tfnis.impact.estimate import NotEstimable, estimate
    from tfnis.impact.panel import read_panel
    from tfnis.impact.synthetic import released_extract

    covered = {m: [0, 0, 0] for m in REFERENCE_EFFECTS}  # covered, excludes 0, estimated
    datasets = ("education", "offending", "benefits_employment")
    for seed in range(seeds):
        with tempfile.TemporaryDirectory(prefix="tfnis-impact-bench-") as tmp:
            root, planted = released_extract(Path(tmp), councils=3, families=300, periods=4, seed=4000 + seed,
                                             effects=REFERENCE_EFFECTS, reference=datasets)  # fmt: skip
            panel = read_panel(root)
            if seed == 0:
                risk = json.loads((root / "risk" / "reference.json").read_text())
                for name, figures in risk["datasets"].items():
                    print(f"  seed 0 {name}: {json.dumps({k: v for k, v in figures.items()})}")
        shift = {p["measure"]: p["expected_shift"] for p in planted}
        for measure in REFERENCE_EFFECTS:
            try:
                e = estimate(panel, measure)
            except NotEstimable:
                continue
            covered[measure][0] += int(e.ci_low <= shift[measure] <= e.ci_high)
            covered[measure][1] += int(e.ci_low > 0 or e.ci_high < 0)
            covered[measure][2] += 1
    print(f"effects planted on reference outcomes {REFERENCE_EFFECTS}, the pipeline's own extract "
          f"(3 councils x 300 families x 4 periods, education, offending, benefits), {seeds} seeds:")  # fmt: skip
    for measure, (cover, excl, n) in covered.items():
        print(f"  {measure}: interval covers the planted shift {cover}/{n}, excludes 0 {excl}/{n}")


def reference_release_timing(runs: int) -> None:
    """What releasing the three datasets' outcomes with the panel adds to a release (3 councils x 300 families x 4
    periods): release_panel without and with them, alternately, median of `runs` each (the anchor: without)."""
    import tempfile
    from pathlib import Path

    from tfnis.generate import generate_returns
    from tfnis.impact.synthetic import reference_outcomes, staged_returns
    from tfnis.panel.release import PanelPolicy, release_panel

    shape = {"councils": 3, "families": 300, "periods": 4, "seed": 4000}
    with tempfile.TemporaryDirectory(prefix="tfnis-impact-bench-") as tmp:
        staged = staged_returns(generate_returns(Path(tmp), **shape), 5, 0.10)  # type: ignore[arg-type]
    datasets = ("education", "offending", "benefits_employment")
    reference, _ = reference_outcomes(datasets, **shape, effects={}, last_period=None)  # type: ignore[arg-type]
    times: dict[str, list[float]] = {"panel only (anchor)": [], "panel + reference": []}
    for _ in range(runs):
        for label, with_reference in (("panel only (anchor)", None), ("panel + reference", reference)):
            started = time.perf_counter()
            released = release_panel(*staged, PanelPolicy(), with_reference)
            released.parts()
            times[label].append(time.perf_counter() - started)
    rows = sum(len(f) for f in reference.values())
    anchor = statistics.median(times["panel only (anchor)"])
    print(f"release with the reference outcomes of {', '.join(datasets)} ({rows:,} staged rows), 3 councils x 300 "
          f"families x 4 periods, median of {runs} (part files included):")  # fmt: skip
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label:22s} {median:7.2f} s  ({median / anchor:.2f}x anchor)  runs {[round(v, 2) for v in values]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--councils", type=int, default=4)
    parser.add_argument("--families", type=int, default=400)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--timing-families", type=int, default=400, help="families per return in the timing run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--released-seeds", type=int, default=0, help="also the no-effect check on the pipeline's extract"
    )
    parser.add_argument(
        "--reference-seeds", type=int, default=0, help="also planted effects on reference outcomes, through the release"
    )
    parser.add_argument(
        "--reference-timing", action="store_true", help="time the release with and without reference outcomes"
    )
    parser.add_argument(
        "--panel-max-suppression", type=float, default=0.25, help="PanelMaxSuppressionShare (template default)"
    )
    args = parser.parse_args()
    if args.seeds > 0:
        calibration(args.seeds, args.councils, args.families, args.periods)
    if args.released_seeds > 0:
        released_calibration(args.released_seeds)
    if args.reference_seeds > 0:
        reference_calibration(args.reference_seeds)
    if args.reference_timing:
        reference_release_timing(args.runs)
    if not args.skip_timing:
        timing(10, 4, args.timing_families, args.runs, args.panel_max_suppression)


if __name__ == "__main__":
    main()
