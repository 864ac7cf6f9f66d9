"""What `tfnis upload` reads from a council's files before it talks to the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfnis.client import declared_files
from tfnis.client.api import period_end_of


def test_period_end_is_read_from_the_first_row_in_either_date_form(tmp_path: Path) -> None:
    iso, day_first = tmp_path / "a.csv", tmp_path / "b.csv"
    iso.write_text("la_code,period_end\nE08000025,2025-03-31\n")
    day_first.write_text("\ufeffla_code,period_end\nE08000025,30/09/2025\n", encoding="utf-8")
    assert period_end_of(iso) == "2025-03-31"
    assert period_end_of(day_first) == "2025-09-30"


def test_csvs_named_otherwise_are_told_apart_by_their_header(tmp_path: Path) -> None:
    people, families = tmp_path / "people_q4.csv", tmp_path / "fams_q4.csv"
    people.write_text("la_code,period_end,family_id,person_id\n")
    families.write_text("la_code,period_end,family_id\n")
    assert declared_files([people, families]) == {"individuals.csv": people, "families.csv": families}


def test_three_files_are_not_a_return(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"families\.csv and individuals\.csv"):
        declared_files([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"])


def test_a_title_row_and_headings_in_words_do_not_hide_the_period_or_the_table(tmp_path: Path) -> None:
    people, families = tmp_path / "export_1.csv", tmp_path / "export_2.csv"
    people.write_text("Our return,,,\nLA Code,Period End,Family ID,Person ID\nE08000025,31/03/2025 00:00,F1,P1\n")
    families.write_text("LA Code,Period End,Family ID,Framework\nE08000025,2025-03-31,F1,SF10_2022\n")
    assert declared_files([people, families]) == {"individuals.csv": people, "families.csv": families}
    assert period_end_of(people) == "2025-03-31" and period_end_of(families) == "2025-03-31"
