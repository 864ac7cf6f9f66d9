"""`tfnis validate`: exit 0 valid, 1 rejected, 2 unopenable file or wrong arguments; never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tfnis.cli.main import main

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_valid_return_exits_0(capsys):
    assert main(["validate", str(VALID / "families.csv"), str(VALID / "individuals.csv")]) == 0
    assert "VALID" in capsys.readouterr().out


def test_rejected_return_exits_1_and_prints_json(capsys):
    folder = BAD / "ragged_rows"
    assert main(["validate", str(folder / "families.csv"), str(folder / "individuals.csv"), "--format", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["status"] == "REJECTED" and body["counts"]["by_rule"]["RAGGED_ROW"] == 2


def test_workbook_is_validated_by_itself(capsys):
    assert main(["validate", str(BAD / "xlsx_valid" / "RETURN.xlsx")]) == 0
    assert main(["validate", str(BAD / "xlsx_zip_not_a_workbook" / "RETURN.xlsx")]) == 1


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv"), str(VALID / "individuals.csv")]) == 2


def test_three_files_is_a_usage_error(capsys):
    assert main(["validate", "a.csv", "b.csv", "c.csv"]) == 2


def test_no_files_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["validate"])
    assert stopped.value.code == 2


def test_wrong_council_via_option_exits_1(capsys):
    code = main(["validate", str(VALID / "families.csv"), str(VALID / "individuals.csv"), "--la-code", "E06000001"])
    assert code == 1 and "LA_CODE_MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("folder", sorted(p for p in BAD.iterdir() if p.is_dir()), ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["text", "json", "csv", "html"])
def test_no_bad_file_gives_a_traceback(folder, fmt, capsys, tmp_path):
    files = [str(p) for p in sorted(folder.iterdir()) if p.name != "expected.json"]
    code = main(["validate", *files, "--format", fmt, "--output", str(tmp_path / "report")])
    assert code in (0, 1, 2)
    assert (tmp_path / "report").stat().st_size > 0
    assert "Traceback" not in capsys.readouterr().err


def test_directory_instead_of_a_file_exits_2(tmp_path):
    shutil.copy(VALID / "families.csv", tmp_path / "families.csv")
    (tmp_path / "individuals.csv").mkdir()
    assert main(["validate", str(tmp_path / "families.csv"), str(tmp_path / "individuals.csv")]) == 2


STARTS = [
    ("report.html", "<!DOCTYPE html>"),
    ("report.json", "{"),
    ("report.csv", "file,row"),
    ("report.txt", "Return"),
]


@pytest.mark.parametrize(("name", "starts"), STARTS)
def test_out_writes_the_format_its_extension_names(tmp_path, name, starts):
    folder = BAD / "ragged_rows"
    code = main(
        ["validate", str(folder / "families.csv"), str(folder / "individuals.csv"), "--out", str(tmp_path / name)]
    )
    assert code == 1 and (tmp_path / name).read_text(encoding="utf-8").startswith(starts)


def test_out_with_an_extension_it_cannot_write_is_refused_before_checking(tmp_path, capsys):
    code = main(
        ["validate", str(VALID / "families.csv"), str(VALID / "individuals.csv"), "--out", str(tmp_path / "r.pdf")]
    )
    assert code == 2 and not (tmp_path / "r.pdf").exists()
    assert "cannot write a report as .pdf" in capsys.readouterr().err


def test_format_that_contradicts_the_extension_is_refused(tmp_path, capsys):
    args = [str(VALID / "families.csv"), str(VALID / "individuals.csv"), "--out", str(tmp_path / "r.html")]
    assert main(["validate", *args, "--format", "json"]) == 2


def test_an_old_xls_workbook_is_told_to_save_as_xlsx(tmp_path, capsys):
    old = tmp_path / "return.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert main(["validate", str(old)]) == 1
    out = capsys.readouterr().out
    assert "Excel 97-2003 workbook (.xls)" in out and "families.csv" not in out
