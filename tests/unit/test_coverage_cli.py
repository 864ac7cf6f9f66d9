"""`tfnis coverage`: validates the return, then writes its coverage as JSON, CSV or HTML; rejected returns exit 1.

The validator is replaced by a stand-in that hands back hand-built frames, so these tests pin the command's
behaviour, not the validator's; one test runs the real validator on a generated return.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import pytest

import tfnis.validation
from tests.unit.test_coverage_figures import family_frame, individual_frame
from tfnis.cli import coverage as cli


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "families.csv", tmp_path / "individuals.csv"]
    for path in paths:
        path.write_text("la_code\n", encoding="utf-8")
    return paths


def stand_in_validator(monkeypatch: pytest.MonkeyPatch, findings: tuple[str, ...] = ()) -> None:
    """validate_return hands back these frames; each rule in `findings` is an error that rejects the return."""
    families = family_frame(*({"evictions": i % 3} for i in range(12)))
    people = individual_frame(*({"ethnicity": "REFU" if i < 3 else "WBRI"} for i in range(30)))
    report = types.SimpleNamespace(
        valid=not findings, findings=[types.SimpleNamespace(rule=r) for r in findings], families=families,
        individuals=people,
    )  # fmt: skip
    split = types.SimpleNamespace(family_attributes=families, individual_attributes=people)
    monkeypatch.setattr(tfnis.validation, "validate_return", lambda paths: report)
    summary = "REJECTED\n" + "".join(f"{r}\n" for r in findings)
    monkeypatch.setattr(tfnis.validation, "render_text", lambda report: summary)
    module = types.ModuleType("tfnis.validation.split")
    module.split_return = lambda families, individuals: split  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tfnis.validation.split", module)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tfnis")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["coverage", *argv])
    return args.func(args)


def test_json_on_stdout_by_default(monkeypatch, files, capsys):
    stand_in_validator(monkeypatch)
    assert run(*map(str, files)) == 0
    document = json.loads(capsys.readouterr().out)
    figures = {f["id"]: f for f in document["figures"]}
    assert figures["ethnicity_not_known"]["numerator"] == 3
    assert figures["evictions_any"]["numerator"] == 8


def test_html_written_to_out(monkeypatch, files, tmp_path, capsys):
    stand_in_validator(monkeypatch)
    out = tmp_path / "coverage.html"
    assert run(*map(str, files), "--format", "html", "--out", str(out)) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_csv_with_suppression_blanks_small_counts(monkeypatch, files, capsys):
    stand_in_validator(monkeypatch)
    assert run(*map(str, files), "--format", "csv", "--suppress") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if ",ethnicity_not_known," in line)
    assert row.endswith(",individual,,,,true")


def test_previous_period_feeds_the_change_column(monkeypatch, files, tmp_path, capsys):
    stand_in_validator(monkeypatch)
    assert run(*map(str, files)) == 0
    previous = json.loads(capsys.readouterr().out)
    previous["period_end"] = "2023-09-30"
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(previous), encoding="utf-8")
    assert run(*map(str, files), "--format", "html", "--previous", str(path)) == 0
    assert "Change since 2023-09-30" in capsys.readouterr().out


def test_rejected_return_exits_1_with_the_summary_on_stderr(monkeypatch, files, capsys):
    stand_in_validator(monkeypatch, findings=("LA_CODE_FORMAT",))
    assert run(*map(str, files)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "REJECTED\nLA_CODE_FORMAT\n"


def test_unreadable_file_exits_2(monkeypatch, files, capsys):
    stand_in_validator(monkeypatch, findings=("FILE_UNREADABLE",))
    assert run(*map(str, files)) == 2


def test_missing_file_exits_2(monkeypatch, tmp_path, capsys):
    stand_in_validator(monkeypatch)
    assert run(str(tmp_path / "nope.csv")) == 2
    assert "no such file" in capsys.readouterr().err


def test_unreadable_previous_report_exits_2(monkeypatch, files, tmp_path, capsys):
    stand_in_validator(monkeypatch)
    bad = tmp_path / "previous.json"
    bad.write_text("{}", encoding="utf-8")
    assert run(*map(str, files), "--previous", str(bad)) == 2


def test_generated_return_through_the_real_validator(tmp_path, capsys):
    from tfnis.cli.main import main

    assert main(["generate", "--out", str(tmp_path), "--councils", "1", "--families", "30", "--periods", "1"]) == 0
    folder = next(p for p in tmp_path.glob("E*/*") if p.is_dir())
    capsys.readouterr()
    assert main(["coverage", str(folder / "families.csv"), str(folder / "individuals.csv")]) == 0
    figures = {f["id"]: f for f in json.loads(capsys.readouterr().out)["figures"]}
    assert figures["families"]["numerator"] == figures["status_COMPARISON"]["denominator"] > 0
    assert 0 <= figures["ethnicity_provided"]["numerator"] <= figures["individuals"]["numerator"]
