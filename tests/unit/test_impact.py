"""The comparison (tfnis impact) against known answers: an effect planted by tfnis generate is recovered, the
fixed-effects arithmetic equals the dummy regression, suppressed cells are coped with, and what is written
passes output checking."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tfnis.cli.main import main
from tfnis.disclosure.output_check import check_output
from tfnis.generate import generate_frames
from tfnis.impact.estimate import Estimate, EventTime, analysis_frame, compare, estimate
from tfnis.impact.panel import Panel, read_panel, write_panel
from tfnis.impact.report import published_tables
from tfnis.impact.synthetic import panel_from_frames, released_extract

PLANTED = {"police_callouts": -0.5, "neet": -0.1}


@pytest.fixture(scope="module")
def planted():
    frames = generate_frames(councils=4, families=400, periods=4, seed=7, effects=PLANTED)
    return panel_from_frames(frames), {e["measure"]: e["expected_shift"] for e in frames.effects}


@pytest.fixture(scope="module")
def extract(planted, tmp_path_factory):
    root = tmp_path_factory.mktemp("impact") / "extract"
    write_panel(planted[0], root)
    return root


@pytest.mark.slow
def test_a_planted_effect_is_recovered_its_interval_covers_it_and_excludes_zero(planted):
    panel, shifts = planted
    for measure in PLANTED:
        result = estimate(panel, measure)
        assert result.ci_low <= shifts[measure] <= result.ci_high, (measure, result.estimate, shifts[measure])
        assert result.ci_high < 0, measure
    police = estimate(panel, "police_callouts")
    after = [t for t in police.event_study if t.half_year in (0, 1)]
    assert len(after) == 2 and all(t.ci_high < 0 for t in after)  # seen from the first period end after


@pytest.mark.slow
def test_the_panel_lets_a_comparison_work_supported_families_are_seen_before_support(planted):
    families = planted[0].families
    supported = families[families["ever_supported"]]
    before = supported[supported["months_since_support_start"] < 0]
    assert before["family_key"].nunique() > 0.3 * supported["family_key"].nunique()
    assert (before["intervention_group"] == "COMPARISON").all()  # not yet supported: no support dates
    comparison = families[~families["ever_supported"]]
    assert comparison.groupby("period_end")["family_key"].nunique().min() > 300  # in every period


@pytest.mark.slow
def test_fixed_effects_by_demeaning_equal_the_dummy_regression(planted):
    panel = planted[0]
    keep = panel.families["family_key"].isin(panel.families["family_key"].drop_duplicates().iloc[:300])
    small = Panel(panel.families[keep].reset_index(drop=True), panel.individuals.iloc[:0])
    frame = analysis_frame(small, "police_callouts")
    frame = frame[frame.groupby("family_key")["period_end"].transform("nunique") > 1]
    post = (frame["supported"] & (frame["months"] >= 0)).astype(float)
    dummies = pd.get_dummies(frame[["family_key", "period_end"]], drop_first=False, dtype=float)
    design = np.column_stack([post, dummies.drop(columns=[c for c in dummies if c.startswith("period_end")][:1])])
    beta = np.linalg.lstsq(design, frame["y"].to_numpy(), rcond=None)[0][0]
    assert estimate(small, "police_callouts").estimate == pytest.approx(beta, abs=1e-9)


@pytest.mark.slow
def test_suppressed_cells_are_left_out_not_fatal(planted):
    panel, shifts = planted
    rng = np.random.default_rng(0)
    families = panel.families.copy()
    for column in ("months_since_support_start", "police_callouts"):
        families[column] = families[column].mask(rng.random(len(families)) < 0.15)
    result = estimate(Panel(families, panel.individuals), "police_callouts")
    assert result.ci_low <= shifts["police_callouts"] <= result.ci_high
    assert result.n_rows < estimate(panel, "police_callouts").n_rows


def test_counts_of_fewer_than_ten_families_are_suppressed_with_their_estimates():
    def made(measure: str, n_supported: int) -> Estimate:
        events = (EventTime(-1, 0.0, 0.0, 0.0, 40), EventTime(0, -0.2, -0.3, -0.1, n_supported))
        return Estimate(measure, "families", "count", -0.2, -0.3, -0.1, 0.05, n_supported, 50, 400, None, events)

    tables = published_tables([made("evictions", 7), made("police_callouts", 30), made("weeks_homeless", 25)])
    row = tables.summary.set_index("measure").loc["evictions"]
    assert pd.isna(row["n_supported"]) and pd.isna(row["estimate"]) and pd.isna(row["ci_low"])
    assert check_output(tables.summary, counts=("n_supported", "n_comparison")).safe
    assert check_output(tables.events, counts=("n_families",)).safe
    hidden = tables.events[tables.events["n_families"].isna()]
    assert hidden["estimate"].isna().all() and len(hidden) >= 1


@pytest.mark.slow
def test_tfnis_impact_writes_json_html_and_output_checked_tables(extract, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["impact", "--extract", str(extract), "--out", str(out)]) == 0
    assert "police_callouts" in capsys.readouterr().out
    document = json.loads((out / "impact.json").read_text())
    fields = {"measure", "estimate", "ci_low", "ci_high", "n_supported", "n_comparison", "method"}
    assert {o["measure"] for o in document["outcomes"]} >= set(PLANTED)
    assert all(fields <= set(o) for o in document["outcomes"])
    html = (out / "impact.html").read_text()
    assert html.count("<svg") == len(document["outcomes"])
    assert "Parallel trends" in html and "No anticipation" in html and "Intention to treat" in html
    for name in ("impact_summary.csv", "impact_event_study.csv"):
        assert main(["check-output", str(out / name)]) == 0


@pytest.mark.slow
def test_the_extract_reads_back_typed(extract):
    panel = read_panel(extract)
    assert panel.families["police_callouts"].dtype == "Int64"
    assert str(panel.individuals["neet"].dtype) == "boolean"
    assert len(panel.period_ends) == 4


def test_a_missing_or_foreign_extract_is_a_clear_message_and_exit_2(tmp_path, capsys):
    assert main(["impact", "--extract", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "old" / "period_end=2020-03-31").mkdir(parents=True)
    assert main(["impact", "--extract", str(tmp_path / "old"), "--out", str(tmp_path / "o")]) == 2
    assert "no parquet files under" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{}")
    assert main(["impact", "--extract", str(tmp_path), "--planted", str(tmp_path / "bad.json")]) == 2


def test_generate_effect_is_validated_and_written_to_the_manifest(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "a"), "--effect", "happiness=1"]) == 2
    assert "MEASURE=DELTA" in capsys.readouterr().err
    assert main(["generate", "--out", str(tmp_path / "a"), "--effect", "neet=5"]) == 2
    args = ["--councils", "1", "--families", "50", "--periods", "2"]
    assert main(["generate", "--out", str(tmp_path / "b"), *args, "--effect", "rent_arrears=-0.1"]) == 0
    effects = json.loads((tmp_path / "b" / "effects.json").read_text())["effects"]
    assert [(e["measure"], e["delta"]) for e in effects] == [("rent_arrears", -0.1)]
    assert main(["generate", "--out", str(tmp_path / "c"), *args]) == 0
    assert json.loads((tmp_path / "c" / "effects.json").read_text()) == {"effects": []}


def test_the_impact_package_never_imports_boto3():
    import subprocess
    import sys

    code = (
        "import sys, tfnis.impact, tfnis.impact.estimate, tfnis.impact.report, tfnis.impact.html, "
        "tfnis.impact.synthetic, tfnis.impact.panel; print('boto3' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.slow
def test_on_the_pipelines_own_extract_a_planted_effect_is_covered_and_not_zero(tmp_path):
    """The extract the service releases (validation, per-period extract, disclosure control across periods, part
    files) with matching replaced by the generator's truth, at the template's default disclosure settings."""
    root, planted = released_extract(
        tmp_path, councils=3, families=300, periods=4, seed=11, effects={"police_callouts": -0.5}
    )
    assert sorted(p.name for p in root.iterdir()) == ["families", "individuals"]
    panel = read_panel(root)
    shift = planted[0]["expected_shift"]
    result = estimate(panel, "police_callouts")
    assert result.ci_low <= shift <= result.ci_high and result.ci_high < 0, (result.estimate, shift)
    assert panel.families["months_since_support_start"].min() < 0  # supported families seen before support


@pytest.mark.slow
def test_a_planted_effect_on_a_reference_outcome_is_covered_through_the_release(tmp_path):
    """Education outcomes staged for the people the generated NPD extracts truly hold (matching replaced by the
    truth), released with the panel (only its people, joint k, top-coding), rolled up per family: the DiD on
    the family mean per matched member covers the shift planted on sessions missed and excludes 0."""
    root, planted = released_extract(
        tmp_path, councils=3, families=300, periods=4, seed=11, effects={"sessions_missed": -3.0},
        reference=("education",),
    )  # fmt: skip
    assert sorted(p.name for p in (root / "reference").iterdir()) == ["education", "education_families"]
    panel = read_panel(root)
    shift = next(p["expected_shift"] for p in planted if p["measure"] == "sessions_missed")
    result = estimate(panel, "sessions_missed")
    assert result.kind == "mean per matched member" and result.table == "reference_education"
    assert result.ci_low <= shift <= result.ci_high and result.ci_high < 0, (result.estimate, shift)
    estimates, skipped = compare(panel)
    assert {"sessions_missed", "fixed_term_exclusions"} <= {e.measure for e in estimates}
    assert "proven_offences" not in skipped  # a dataset the extract does not hold is not a measure at all
