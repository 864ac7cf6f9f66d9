"""No function over 60 lines in the library, the local stack or the handlers (STYLE.md; issue 16 item 3).

A function is measured from its `def` line to its last line, docstring, comments and blank lines included:
what a reader has to hold in their head. A function may stay longer only where splitting it would hide the
story, named below with the reason; at most three, and each entry must still be needed.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("layers/tfnis/tfnis", "local/tfnis_local", "functions")
MAX_LINES = 60
MAX_EXCEPTIONS = 3
# "path:qualified name" -> why it may be longer than MAX_LINES.
LONGER_ON_PURPOSE: dict[str, str] = {}

Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions_in(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, Function]]:
    """Every function and method of a module, nested ones included, by qualified name (Class.method, outer.inner)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from functions_in(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions_in(node, f"{prefix}{node.name}.")
        else:
            yield from functions_in(node, prefix)


@functools.cache
def function_lengths() -> dict[str, int]:
    """'path:qualified name' -> lines from def to the function's last line, for every scanned function."""
    lengths: dict[str, int] = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            relative = path.relative_to(ROOT).as_posix()
            for name, node in functions_in(tree):
                assert node.end_lineno is not None
                lengths[f"{relative}:{name}"] = node.end_lineno - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_60_lines_except_those_named_with_a_reason() -> None:
    too_long = {name: n for name, n in function_lengths().items() if n > MAX_LINES and name not in LONGER_ON_PURPOSE}
    assert not too_long, f"split these along their steps (or name them in LONGER_ON_PURPOSE with why): {too_long}"


def test_the_exceptions_are_few_and_each_still_needed() -> None:
    lengths = function_lengths()
    assert len(LONGER_ON_PURPOSE) <= MAX_EXCEPTIONS
    assert all(reason.strip() for reason in LONGER_ON_PURPOSE.values())
    stale = [name for name in LONGER_ON_PURPOSE if lengths.get(name, 0) <= MAX_LINES]
    assert not stale, f"gone or now {MAX_LINES} lines or fewer: remove from LONGER_ON_PURPOSE: {stale}"


def test_the_scan_finds_the_functions_it_measures() -> None:
    """A scan of the wrong folders would pass anything: it must see the handlers, the library and the stack."""
    lengths = function_lengths()
    assert "functions/validate/app.py:record_handler" in lengths
    assert "layers/tfnis/tfnis/generate/recording.py:record" in lengths
    assert "local/tfnis_local/api.py:HttpApi.event" in lengths
    assert len(lengths) > 500
