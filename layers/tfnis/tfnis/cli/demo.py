"""`tfnis demo`: the whole service on the embedded local stack, end to end, over real HTTP.

Generates returns (or takes them from --input), uploads each council's return through pre-signed POSTs
period by period, lets the pipeline run, prints what happened, mirrors every bucket to --out so a person
can look at what was produced, and ends with the comparison the study exists for (`tfnis impact`) on the
mirrored research extract. The generated returns are the Troubled Families programme's (TF6_2015, half-years
up to September 2020) unless --last-period picks others, with a known effect of support planted (--effect).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_USAGE

TF6_LAST_PERIOD = date(2020, 9, 30)
EXTRACT = Path("ResearchBucket") / "extract"
DEMO_EFFECTS = ("police_callouts=-0.5", "neet=-0.1", "proven_offences=-0.4")  # what the demo's comparison should find


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the whole pipeline on the embedded local stack")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    parser.add_argument("--input", type=Path, help="returns laid out as `tfnis generate` writes them")
    parser.add_argument("--councils", type=int, default=3)
    parser.add_argument(
        "--families", type=int, default=400,
        help="families per council and period (default 400: smaller returns may be refused at DisclosureK=5, and "
        "at 300 the comparison's output check suppressed two of the three planted effects' event-time cells)",
    )  # fmt: skip
    parser.add_argument(
        "--periods", type=int, default=4, help="half-years (default 4: the comparison needs periods before and after)"
    )
    parser.add_argument(
        "--last-period", type=date.fromisoformat, default=TF6_LAST_PERIOD, metavar="YYYY-MM-DD",
        help=f"the last period end (default {TF6_LAST_PERIOD}, the Troubled Families programme's TF6_2015 years; "
        "from 2022-09-30 for Supporting Families)",
    )  # fmt: skip
    parser.add_argument(
        "--effect", action="append", default=None, metavar="MEASURE=DELTA",
        help=f"effect of support planted in the generated returns (repeatable; default {' '.join(DEMO_EFFECTS)}); "
        "see tfnis generate --effect",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--error-rate", type=float, default=0.02, help="share of invalid identifiers generated")
    parser.add_argument(
        "--research-end", action="store_true", help="then destroy all personal data and print the certificate"
    )
    parser.add_argument(
        "--parameter", action="append", default=[], metavar="NAME=VALUE",
        help="a template parameter for the embedded stack, e.g. MaxSuppressionShare=0.5 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--serve", action="store_true", help="then keep the stack and its upload page up until Ctrl-C")
    parser.add_argument(
        "--reference", default="offending", metavar="DATASET[,DATASET]",
        help="reference extracts to generate with the returns (default offending; '' for none)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def return_dirs(root: Path) -> list[Path]:
    """<root>/<la_code>/<period_end>/ folders holding a return, earliest period first (matching is serial)."""
    found = [p.parent for p in root.glob("*/*/families.csv")] + [p.parent for p in root.glob("*/*/return.xlsx")]
    return sorted(set(found), key=lambda d: (d.name, d.parent.name))


@dataclass
class DemoOutcome:
    """What the stack did with the demo's uploads: each submission's and reference upload's last state, the
    impact comparison (or why there is none) and, with --research-end, the destruction certificate."""

    submissions: list[dict[str, Any]]
    references: list[dict[str, Any]]
    comparison: tuple[Any, dict[str, str], list] | str
    certificate: dict[str, Any] | None = None

    def failed(self) -> bool:
        return any(r["status"] in ("FAILED", "NO RESULT") for r in [*self.submissions, *self.references])


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(width=max(Console().width, 132))  # the tables need 132 columns; piped output gets them too
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.input and not args.input.is_dir():
        console.print(f"[red]--input {args.input} is not a folder[/red]")
        return EXIT_USAGE
    returns_root = args.input or generated_returns(args, out / "returns", console)
    if returns_root is None:
        return EXIT_USAGE
    dirs = return_dirs(returns_root)
    if not dirs:
        console.print(f"[red]no returns under {returns_root} (expected <la_code>/<period_end>/families.csv)[/red]")
        return EXIT_USAGE
    outcome = outcome_on_stack(args, dirs, returns_root, console)
    print_mirror_guide(out, console)
    print_impact(outcome.comparison, console)
    if outcome.certificate is not None:
        console.print("\nResearch end: destruction certificate")
        console.print_json(json.dumps(outcome.certificate, default=str))
    console.print(f"\ndone in {time.monotonic() - started:.1f} s")
    return EXIT_FAILED if outcome.failed() else EXIT_OK


def generated_returns(args: argparse.Namespace, returns_root: Path, console: Any) -> Path | None:
    """The folder of freshly generated returns (and reference extracts), or None when the arguments are refused."""
    from tfnis.generate import generate_returns
    from tfnis.generate.effects import parse_effects

    shutil.rmtree(returns_root, ignore_errors=True)  # the demo's own folder: uploads only what it generates
    try:
        effects = parse_effects(DEMO_EFFECTS if args.effect is None else args.effect)
        generate_returns(
            returns_root, councils=args.councils, families=args.families, periods=args.periods, seed=args.seed,
            error_rate=args.error_rate, last_period=args.last_period, effects=effects,
        )  # fmt: skip
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        return None
    console.print(f"generated returns in {returns_root}; effects planted: {effects or 'none'}")
    if args.reference:
        from tfnis.cli.generate import write_reference

        write_reference(argparse.Namespace(out=returns_root, councils=args.councils, families=args.families,
            periods=args.periods, seed=args.seed, error_rate=args.error_rate, last_period=args.last_period,
            reference=args.reference, effects=effects))  # fmt: skip
    return returns_root


def outcome_on_stack(args: argparse.Namespace, dirs: list[Path], returns_root: Path, console: Any) -> DemoOutcome:
    """Upload everything to an embedded stack, let the pipeline run, mirror its buckets to --out and compare."""
    from tfnis.cli.demo_reference import upload_references
    from tfnis_local.stack import LocalStack

    out: Path = args.out
    parameters = dict(p.split("=", 1) for p in args.parameter if "=" in p)
    with LocalStack(parameters=parameters, background=args.serve) as stack:
        console.print(f"embedded stack up: API {stack.api_url}")
        console.print(f"upload page {stack.api_url}/  (development sign-in: choose a council)")
        results = upload_all(stack, dirs, console)
        print_results(results, console)
        print_coverage(stack, results, console)
        references = upload_references(stack, returns_root, console)
        certificate, comparison = None, None
        if args.research_end:  # the comparison first: research end destroys the extract it reads
            with tempfile.TemporaryDirectory(prefix="tfnis-demo-") as before_end:
                stack.mirror(Path(before_end))
                comparison = compare_extract(Path(before_end) / EXTRACT, out / "impact", returns_root)
            certificate = stack.invoke("ResearchEndFunction", {"source": "tfnis.demo", "confirm": True})
        stack.mirror(out)
        if comparison is None:
            comparison = compare_extract(out / EXTRACT, out / "impact", returns_root)
        if args.serve:
            wait_for_ctrl_c(console, stack.api_url)
    return DemoOutcome(results, references, comparison, certificate)


def print_mirror_guide(out: Path, console: Any) -> None:
    """Where to look in the mirrored buckets."""
    console.print(f"\nEvery bucket is mirrored under {out}/<LogicalId>/<key>:")
    console.print(
        f"  council reports     {out}/ReportsBucket/reports/<la_code>/<submission_id>/ (validation.html, coverage.html)"
    )
    console.print(
        f"  research panel      {out}/ResearchBucket/extract/{{families,individuals}}/period_end=…/la_code=…/"
    )
    console.print(f"  its data package    {out}/ResearchBucket/extract/datapackage.json (docs/research.md)")
    console.print(f"  its risk reports    {out}/ResearchBucket/extract/risk/")
    console.print(f"  reference outcomes  {out}/ResearchBucket/extract/reference/<dataset>/period_end=…/")
    console.print(f"  national coverage   {out}/ResearchBucket/coverage/period_end=…/coverage.csv")
    console.print(f"  audit log           {out}/AuditBucket/audit/")
    console.print(f"  impact report       {out}/impact/impact.html (impact.json)")


def compare_extract(extract: Path, into: Path, returns_root: Path) -> tuple[Any, dict[str, str], list] | str:
    """`tfnis impact` on the mirrored extract, written to `into`: the published summary, what was not
    estimated and the planted effects; or why there is no comparison."""
    from tfnis.impact.estimate import compare
    from tfnis.impact.panel import ExtractUnreadable, read_panel
    from tfnis.impact.report import write_report

    try:
        panel = read_panel(extract)
    except ExtractUnreadable as error:
        return str(error)
    planted_file = returns_root / "effects.json"
    planted = json.loads(planted_file.read_text(encoding="utf-8"))["effects"] if planted_file.is_file() else []
    estimates, skipped = compare(panel)
    tables = write_report(estimates, into, periods=panel.period_ends, skipped=skipped, planted=planted)
    return tables.summary, skipped, planted


def print_impact(comparison: tuple[Any, dict[str, str], list] | str, console: Any) -> None:
    from tfnis.cli.impact import print_summary

    console.print("\nThe comparison: supported families against comparison families (tfnis impact)")
    if isinstance(comparison, str):
        console.print(f"[yellow]no comparison: {comparison}[/yellow]")
        return
    summary, skipped, planted = comparison
    print_summary(summary, console, planted)
    for measure, why in skipped.items():
        console.print(f"  not estimated: {measure} ({why})")


def wait_for_ctrl_c(console: Any, api_url: str) -> None:
    import signal
    import threading

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    console.print(f"\nThe upload page is at {api_url}/ with the demo's submissions; Ctrl-C to stop.")
    try:
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def upload_all(stack: Any, dirs: list[Path], console: Any) -> list[dict[str, Any]]:
    """Each period's returns uploaded over HTTP, then the pipeline drained, before the next period."""
    from tfnis.client import SubmissionClient, declared_files

    results: list[dict[str, Any]] = []
    for period_end in sorted({d.name for d in dirs}):
        batch = []
        for folder in (d for d in dirs if d.name == period_end):
            la_code = folder.parent.name
            client = SubmissionClient(stack.api_url, stack.token_for(la_code))
            files = declared_files(sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".xlsx")))
            created = client.create(period_end, list(files))
            for name, path in files.items():
                client.upload(created["uploads"][name], path)
            batch.append((client, created["submission_id"]))
        stack.drain(timeout=600)
        for client, submission_id in batch:
            submission = client.wait(submission_id, until=frozenset({"REJECTED", "COMPLETE", "FAILED"}), timeout=60)
            results.append(submission)
            console.print(f"  {submission['la_code']} {submission['period_end']}: {submission['status']}")
    return results


def print_results(results: list[dict[str, Any]], console: Any) -> None:
    from rich.table import Table

    table = Table(title="Submissions")
    for column in (
        "council",
        "period",
        "status",
        "families",
        "individuals",
        "errors",
        "warnings",
        "persons",
        "seen before",
    ):
        table.add_column(column, justify="right" if column not in ("council", "period", "status") else "left")
    for r in results:
        c = r.get("counts", {})
        table.add_row(
            r["la_code"], r["period_end"], r["status"], *(str(c.get(k, "")) for k in (
                "families", "individuals", "errors", "warnings", "persons", "persons_linked_to_earlier"))
        )  # fmt: skip
    console.print(table)


def print_coverage(stack: Any, results: list[dict[str, Any]], console: Any) -> None:
    """Headline coverage per council and period, from each submission's own coverage report."""
    from rich.table import Table

    from tfnis.client import SubmissionClient

    ids = {
        "housing_status_provided": "housing",
        "ethnicity_provided": "ethnicity",
        "ethnicity_not_known": "eth. not known",
        "nino_valid": "NINO valid 16+",
        "upn_valid": "UPN valid 4-19",
        "postcode_valid": "postcode valid",
        "no_nino_or_upn": "no NINO/UPN",
        "police_callouts_provided": "police call-outs",
        "neet_provided": "NEET 16-24",
    }
    table = Table(title="Coverage (% with data provided)")
    table.add_column("council", no_wrap=True, min_width=9)
    table.add_column("period", no_wrap=True, min_width=10)
    for label in ids.values():
        table.add_column(label, justify="right")
    for r in results:
        if r["status"] == "REJECTED":
            continue
        client = SubmissionClient(stack.api_url, stack.token_for(r["la_code"]))
        report = client.report(client.get(r["submission_id"]), "coverage_json") or {"figures": []}
        percent = {f["id"]: f["percent"] for f in report["figures"]}
        table.add_row(r["la_code"], r["period_end"], *(
            "" if percent.get(i) is None else f"{percent[i]:.1f}" for i in ids))  # fmt: skip
    console.print(table)
