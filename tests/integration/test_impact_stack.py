"""`tfnis impact --stack-file F` reads the stack's ResearchBucket extract/ through tfnis.storage (moto here)."""

from __future__ import annotations

import json

from tfnis.cli.main import main
from tfnis.generate import generate_frames
from tfnis.impact.panel import write_panel
from tfnis.impact.synthetic import panel_from_frames
from tfnis.storage.store import Store


def test_impact_reads_the_research_bucket_named_by_a_stack_file(aws, tmp_path, capsys):
    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps({"api": "http://127.0.0.1:3000", "tokens": {}, "environment": aws.environment()}))
    assert main(["impact", "--stack-file", str(stack_file), "--out", str(tmp_path / "none")]) == 2
    assert "holds no research extract" in capsys.readouterr().err

    frames = generate_frames(councils=2, families=150, periods=3, seed=5, effects={"police_callouts": -0.5})
    write_panel(panel_from_frames(frames), tmp_path / "extract")
    store = Store.from_env()
    for path in (tmp_path / "extract").rglob("*.parquet"):
        key = path.relative_to(tmp_path).as_posix()
        store.put_bytes(store.settings.research_bucket, key, path.read_bytes())
    out = tmp_path / "out"
    assert main(["impact", "--stack-file", str(stack_file), "--out", str(out), "--measure", "police_callouts"]) == 0
    outcomes = json.loads((out / "impact.json").read_text())["outcomes"]
    assert [o["measure"] for o in outcomes] == ["police_callouts"]
    assert outcomes[0]["ci_high"] < 0
