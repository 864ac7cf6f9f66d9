"""`tfnis`: the command line of councils (validate, upload), researchers (coverage, link, status) and engineers.

Exit codes are shared by every subcommand: 0 done / return valid, 1 return rejected, 2 bad arguments or a
file that cannot be opened, 3 the service failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

# One module per subcommand, each exposing register(subparsers); imported when the CLI starts.
COMMANDS: tuple[str, ...] = (
    # council
    "validate",
    "upload",
    "result",
    "template",
    # research team
    "status",
    "coverage",
    "link",
    "check_output",
    "impact",
    "verify_certificate",
    "research_end",
    # engineer
    "generate",
    "serve",
    "demo",
    "smoke",
)

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 already; keep the message short and clear
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tfnis", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"tfnis.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
