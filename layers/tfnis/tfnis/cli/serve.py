"""`tfnis serve`: the whole service on this machine (moto + the template's functions) until Ctrl-C.

Prints the API URL and a dev token per council; `--tokens-file` writes them as JSON
`{"api": URL, "tokens": {la_code: token}, "aws": moto URL, "region": …, "environment": {…}}` once everything is
up, so a script or test can wait for that file; `tfnis research-end --stack-file` reads the last three.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tfnis.cli.main import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the service locally (embedded AWS) until Ctrl-C")
    parser.add_argument("--port", type=int, default=3000, help="API port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--tokens-file", type=Path, help='write {"api": URL, "tokens": {la_code: token}} here')
    parser.add_argument("--template", type=Path, help="template.yaml (default: the repository's)")
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter override, e.g. --parameter UploadMaxBytes=1048576 (repeatable)",
    )
    parser.add_argument(
        "--retry-after",
        type=int,
        default=2,
        metavar="SECONDS",
        help="cap on queue visibility timeouts, so failed messages come back after seconds (default 2)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.set_defaults(func=run)


def _parameters(pairs: list[str]) -> dict[str, str] | None:
    parameters = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            return None
        parameters[name] = value
    return parameters


def run(args: argparse.Namespace) -> int:
    import logging

    parameters = _parameters(args.parameter)
    if parameters is None:
        print("tfnis serve: --parameter takes NAME=VALUE", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines

    from tfnis_local.stack import LocalStack
    from tfnis_local.template import TemplateError

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LocalStack(
            args.template,
            parameters=parameters,
            api_port=args.port,
            background=True,
            max_visibility_timeout_s=args.retry_after,
            log_level=args.log_level,
        ) as stack:
            tokens = stack.tokens
            print(f"API       {stack.api_url}")
            print(f"Page      {stack.api_url}/  (the upload page; development sign-in: choose a council)")
            print(f"AWS       {stack.endpoint_url}  (moto; AWS_ENDPOINT_URL for the aws CLI and boto3)")
            for logical_id, reason in stack.missing_handlers.items():
                print(f"not run   {logical_id}: {reason}")
            print("Dev tokens (Authorization: Bearer <token>, valid 12 h):")
            for la_code, token in tokens.items():
                print(f"  {la_code}  {token}")
            if args.tokens_file:
                _write_atomically(args.tokens_file, stack_file(stack, tokens))
                print(f"tokens    {args.tokens_file}")
            print("Ctrl-C to stop.", flush=True)
            # Polled, not one untimed wait: SIGTERM may be delivered to one of the stack's threads, and then the
            # main thread, asleep in an untimed lock wait, would not wake to run the handler (seen once: -9).
            while not stop.wait(0.25):
                pass
            print("stopping", flush=True)
    except (TemplateError, FileNotFoundError) as error:
        print(f"tfnis serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # e.g. the port is taken
        print(f"tfnis serve: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK


def stack_file(stack: Any, tokens: dict[str, str]) -> dict[str, Any]:
    """What a client of this stack needs: the API and tokens (councils), the AWS endpoint, region and the
    functions' environment (tfnis research-end, scripts)."""
    return {
        "api": stack.api_url,
        "page": f"{stack.api_url}/",
        "tokens": tokens,
        # The research data team's dev token (Cognito group research-team, no council): tfnis upload --reference.
        "research_team": stack.token_for("", **{"cognito:groups": ["research-team"]}),
        "aws": stack.endpoint_url,
        "region": stack.template.region,
        "environment": stack.resources.environment(),
    }


def _write_atomically(path: Path, content: dict[str, Any]) -> None:
    """A reader polling for the file never sees it half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
