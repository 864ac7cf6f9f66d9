"""`tfnis generate`: write synthetic council returns (and the truth of who is who) for demos and benchmarks."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from tfnis.cli.main import EXIT_OK, EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write synthetic council returns: DIR/<la_code>/<period_end>/{families,individuals}.csv",
        description="Synthetic returns of made-up families (no real people), with DIR/truth.csv linking each "
        "council person_id to the true person behind it.",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    parser.add_argument("--councils", type=int, default=3, metavar="N", help="councils (1-25, default 3)")
    parser.add_argument("--families", type=int, default=1000, metavar="N", help="families per return (default 1000)")
    parser.add_argument("--periods", type=int, default=2, metavar="K", help="consecutive half-years (default 2)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, metavar="R",
        help="share of identifier cells made invalid (reported as warnings; default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--last-period", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
        help="the last period end (31 March or 30 September); default: the latest that fits one framework",
    )  # fmt: skip
    parser.add_argument(
        "--effect", action="append", default=[], metavar="MEASURE=DELTA",
        help="plant an effect of support (repeatable): from the first period end after a family's support starts, "
        "MEASURE's expected value moves by DELTA (a count per period, or a Y/N measure's probability: "
        "-0.1 is ten points less); written to DIR/effects.json. Default: no effect",
    )  # fmt: skip
    parser.add_argument(
        "--reference", default=None, metavar="DATASET[,DATASET]",
        help="also write national reference extracts (education, offending, benefits_employment) to "
        "DIR/reference/<dataset>/<period_end>/records.csv, with DIR/reference_truth.csv",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tfnis.generate import generate_returns
    from tfnis.generate.effects import parse_effects
    from tfnis.reference import dataset_names

    unknown = [d for d in (args.reference or "").split(",") if d.strip() and d.strip() not in dataset_names()]
    if unknown:
        print(f"tfnis generate: unknown reference dataset(s) {unknown}; known: {', '.join(dataset_names())}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE

    try:
        made = generate_returns(
            args.out, councils=args.councils, families=args.families, periods=args.periods, seed=args.seed,
            error_rate=args.error_rate, last_period=args.last_period, effects=parse_effects(args.effect),
        )  # fmt: skip
    except ValueError as exc:
        print(f"tfnis generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"wrote {len(made.returns)} returns ({made.n_families:,} families, {made.n_individuals:,} individuals) "
        f"to {made.out} in {made.seconds:.1f}s; truth in {made.truth.name}"
    )
    return write_reference(args) if args.reference else EXIT_OK


def write_reference(args: argparse.Namespace) -> int:
    """The reference extracts of the same generated people (the returns are generated again from the seed)."""
    from tfnis.generate import generate_frames
    from tfnis.generate.national import generate_reference
    from tfnis.reference import dataset_names

    datasets = [d.strip() for d in args.reference.split(",") if d.strip()]
    unknown = [d for d in datasets if d not in dataset_names()]
    if unknown or not datasets:
        print(f"tfnis generate: unknown reference dataset(s) {unknown}; known: {', '.join(dataset_names())}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    from tfnis.generate.effects import parse_effects

    effects = getattr(args, "effects", None) or parse_effects(getattr(args, "effect", None) or [])
    frames = generate_frames(
        councils=args.councils, families=args.families, periods=args.periods, seed=args.seed,
        error_rate=args.error_rate, last_period=args.last_period, effects=effects,
    )  # fmt: skip
    written, planted = generate_reference(args.out, frames, datasets, seed=args.seed, effects=effects)
    for path in written:
        print(f"wrote reference extract {path.relative_to(args.out)}")
    record_reference_effects(Path(args.out), planted)
    return EXIT_OK


def record_reference_effects(out: Path, planted: list[dict[str, object]]) -> None:
    """The realised effects on reference outcomes replace their entries in DIR/effects.json (the returns'
    planting cannot see them: it wrote them with no treated rows)."""
    import json

    from tfnis.generate.returns import EFFECTS_FILE

    path = out / EFFECTS_FILE
    if not planted or not path.is_file():
        return
    document = json.loads(path.read_text(encoding="utf-8"))
    mine = {str(e["measure"]) for e in planted}
    document["effects"] = [e for e in document["effects"] if e["measure"] not in mine] + planted
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
