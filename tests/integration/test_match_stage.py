"""The match stage against moto (resources from template.yaml): the index as Parquet segments, one per
submission that added rows; the linkage quality table in the extract, counts and rates only, destroyed with
the extract at research end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from tfnis.generate import generate_frames
from tfnis.linkage.quality import QUALITY_COLUMNS
from tfnis.pipeline.locations import LINKAGE_INDEX_KEY, LINKAGE_INDEX_PREFIX, SubmissionRef, linkage_quality_key
from tfnis.pipeline.match import match_stage
from tfnis.pipeline.research_end import destroy_personal_data
from tfnis.storage import Store, SubmissionTable
from tfnis.submissions import Submission, SubmissionStatus

IDENTIFIERS = ["la_code", "family_id", "person_id", "forename", "middle_names", "surname", "date_of_birth", "sex"]
IDENTIFIERS += ["postcode", "nino", "upn", "nhs_number"]


@pytest.fixture(scope="module")
def returns() -> dict[tuple[str, date], pd.DataFrame]:
    """One council's two half-yearly returns, as identifiers files (record and family tokens, no truth)."""
    people = generate_frames(councils=1, families=150, periods=2, seed=11).individuals
    out = {}
    for (la_code, period_end), frame in people.groupby(["la_code", "period_end"], sort=True):
        frame = frame[IDENTIFIERS].reset_index(drop=True)
        frame.insert(0, "record_token", [f"r{period_end}-{i}" for i in range(len(frame))])
        frame.insert(1, "family_token", [f"f{period_end}-{i}" for i in range(len(frame))])
        out[(la_code, date.fromisoformat(str(period_end)[:10]))] = frame
    return out


def validated(
    store: Store, table: SubmissionTable, la_code: str, period_end: date, frame: pd.DataFrame
) -> SubmissionRef:
    ref = SubmissionRef(la_code, f"2026112{period_end.month % 10}T000000-{period_end.month:08d}", period_end)
    now = datetime.now(UTC)
    table.create(
        Submission(
            la_code=la_code, submission_id=ref.submission_id, period_end=period_end,
            status=SubmissionStatus.VALIDATED, files=["families.csv", "individuals.csv"], created_at=now,
            updated_at=now, counts={"individuals": len(frame)},
        )
    )  # fmt: skip
    store.put_frame(store.settings.linkage_bucket, ref.identifiers_key, frame)
    return ref


def test_each_submission_adds_one_index_segment_and_the_next_period_is_found_in_it(store, table, returns):
    refs = [validated(store, table, la, period, frame) for (la, period), frame in returns.items()]
    s = store.settings
    assert match_stage(refs[0], store=store, table=table) == "matched"
    first = store.list_keys(s.linkage_bucket, LINKAGE_INDEX_PREFIX)
    assert len(first) == 1 and first[0].startswith(LINKAGE_INDEX_PREFIX + "segment-")
    assert match_stage(refs[1], store=store, table=table) == "matched"
    assert len(store.list_keys(s.linkage_bucket, LINKAGE_INDEX_PREFIX)) == 2
    counts = table.get(refs[1].la_code, refs[1].submission_id).counts
    assert counts["linkage_by_council_id"] > 0.8 * len(returns[(refs[1].la_code, refs[1].period_end)])
    assert counts["persons_linked_to_earlier"] >= counts["linkage_by_council_id"]
    assert counts["linkage_match_rate_per_10000"] > 8000


def test_an_index_written_whole_before_segments_is_read_with_them(store, table, returns):
    from tfnis.linkage import match_submission

    frame = next(iter(returns.values()))
    earlier = match_submission(frame, None).index  # the index as one file, as the match stage wrote it before
    store.put_frame(store.settings.linkage_bucket, LINKAGE_INDEX_KEY, earlier)
    later_key, later = list(returns.items())[1]
    ref = validated(store, table, *later_key, later)
    assert match_stage(ref, store=store, table=table) == "matched"
    counts = table.get(ref.la_code, ref.submission_id).counts
    assert counts["linkage_by_council_id"] > 0.8 * len(later)


def test_linkage_quality_goes_to_the_extract_as_counts_and_rates_and_research_end_destroys_it(store, table, returns):
    (la, period), frame = next(iter(returns.items()))
    ref = validated(store, table, la, period, frame)
    match_stage(ref, store=store, table=table)
    research = store.settings.research_bucket
    key = linkage_quality_key(ref)
    assert key == f"extract/linkage_quality/period_end={period.isoformat()}/la_code={la}/part-0.parquet"
    quality = store.get_frame(research, key)
    assert list(quality.columns) == ["submission_id", *QUALITY_COLUMNS] and len(quality) == 1
    row = quality.iloc[0]
    assert row["records"] == len(frame) and row["new_persons"] + row["linked_to_earlier"] == len(frame)
    assert 0.0 <= row["false_match_rate"] <= 1.0 and 0.0 <= row["missed_match_rate"] <= 1.0
    text = quality.to_csv()
    for column in ("person_id", "family_id", "surname", "postcode"):
        for value in frame[column].dropna().astype(str).unique():
            if len(value) > 3:
                assert value not in text, column
    destroy_personal_data(store, table, trigger="test")
    assert store.count_versions(research, "extract/linkage_quality/") == 0


def test_compaction_merges_small_segments_into_one_and_the_next_match_gives_the_same_keys(
    store, table, returns, tmp_path
):
    from tfnis.linkage import match_submission
    from tfnis.pipeline.match import _local_index, _parquet_index, compact_index

    (la, period), first = next(iter(returns.items()))
    s = store.settings
    assert match_stage(validated(store, table, la, period, first), store=store, table=table) == "matched"
    # A second council's return (the first's people under other ids) makes a second segment.
    other = first.assign(la_code="E09000001", person_id="x" + first["person_id"].astype(str))
    assert match_stage(validated(store, table, "E09000001", period, other), store=store, table=table) == "matched"
    later = list(returns.values())[1]
    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    before_dir.mkdir(), after_dir.mkdir()
    segments = _local_index(store, before_dir)
    assert len(segments) == 2
    keys = iter(range(10**6))
    before = match_submission(
        later, _parquet_index(list(segments.values()), before_dir), new_key=lambda: f"{next(keys)}"
    )
    ref = SubmissionRef(la, "20261129T000000-compact", period)
    assert compact_index(ref, segments, before_dir, store=store, table=table, most=1) == 2
    after_segments = _local_index(store, after_dir)
    assert list(after_segments) == [LINKAGE_INDEX_PREFIX + f"compacted-{la}-20261129T000000-compact.parquet"]
    assert store.count_versions(s.linkage_bucket, LINKAGE_INDEX_PREFIX + "segment-") == 0
    merged = _parquet_index(list(after_segments.values()), after_dir)
    assert merged is not None and merged.size() == _parquet_index(list(segments.values()), before_dir).size()
    keys = iter(range(10**6))
    after = match_submission(later, merged, new_key=lambda: f"{next(keys)}")
    pd.testing.assert_frame_equal(after.key_map, before.key_map)
    pd.testing.assert_frame_equal(after.new_rows, before.new_rows)


def audited(store: Store, event: str) -> list[dict]:
    bucket = store.settings.audit_bucket
    return [store.get_json(bucket, key) for key in store.list_keys(bucket, "audit/") if f"-{event}-" in key]


@pytest.fixture(scope="module")
def larger_returns() -> list[pd.DataFrame]:
    """One council's two returns large enough for the second to train the model on (about 6,000 records each)."""
    people = generate_frames(councils=1, families=1500, periods=2, seed=23, error_rate=0.05).individuals
    out = []
    for period_end, frame in people.groupby("period_end", sort=True):
        frame = frame[IDENTIFIERS].reset_index(drop=True)
        frame.insert(0, "record_token", [f"r{period_end}-{i}" for i in range(len(frame))])
        frame.insert(1, "family_token", [f"f{period_end}-{i}" for i in range(len(frame))])
        out.append(frame)
    return out


def test_the_model_is_trained_stored_beside_the_index_reused_while_it_has_not_grown_and_destroyed_at_research_end(
    store, table, larger_returns
):
    from tfnis.linkage.parameters import ModelParameters
    from tfnis.pipeline.locations import LINKAGE_MODEL_KEY

    s = store.settings
    first, second = (
        validated(store, table, "E08000025", date(2025, month, 30 if month == 9 else 31), frame)
        for month, frame in zip((3, 9), larger_returns, strict=True)
    )
    assert match_stage(first, store=store, table=table) == "matched"
    assert store.head(s.linkage_bucket, LINKAGE_MODEL_KEY) is None  # the prior: nothing of this stack's to store
    assert audited(store, "submission_matched")[-1]["model"] == "prior"
    assert match_stage(second, store=store, table=table) == "matched"
    model = ModelParameters.from_json(store.get_bytes(s.linkage_bucket, LINKAGE_MODEL_KEY))
    assert model.index_rows == len(larger_returns[0])
    assert [e["index_rows"] for e in audited(store, "linkage_model_trained")] == [len(larger_returns[0])]
    # The stored model as if trained on the index as it is now: a third council's return of the same people
    # reuses it (the index has not grown since); the stored model stays the one it was.
    rows_now = sum(
        len(store.get_frame(s.linkage_bucket, k)) for k in store.list_keys(s.linkage_bucket, LINKAGE_INDEX_PREFIX)
    )
    stored = replace(model, index_rows=rows_now)
    store.put_bytes(s.linkage_bucket, LINKAGE_MODEL_KEY, stored.to_json(), "application/json")
    third = larger_returns[1].assign(la_code="E09000001", person_id="x" + larger_returns[1]["person_id"].astype(str))
    ref = validated(store, table, "E09000001", date(2025, 9, 30), third)
    assert match_stage(ref, store=store, table=table) == "matched"
    assert audited(store, "submission_matched")[-1]["model"] == "reused"
    assert len(audited(store, "linkage_model_trained")) == 1
    assert ModelParameters.from_json(store.get_bytes(s.linkage_bucket, LINKAGE_MODEL_KEY)) == stored
    destroy_personal_data(store, table, trigger="test")
    assert store.count_versions(s.linkage_bucket, "linkage/model/") == 0


def test_a_corrupt_stored_model_is_logged_and_the_submission_trains_and_stores_a_good_one(
    store, table, larger_returns, caplog
):
    from tfnis.linkage.parameters import ModelParameters
    from tfnis.pipeline.locations import LINKAGE_MODEL_KEY

    s = store.settings
    first, second = (
        validated(store, table, "E08000025", date(2025, month, 30 if month == 9 else 31), frame)
        for month, frame in zip((3, 9), larger_returns, strict=True)
    )
    assert match_stage(first, store=store, table=table) == "matched"
    store.put_bytes(s.linkage_bucket, LINKAGE_MODEL_KEY, b'{"format": 1, "splink_settings": [', "application/json")
    with caplog.at_level("WARNING"):
        assert match_stage(second, store=store, table=table) == "matched"
    assert "stored linkage model unreadable (JSONDecodeError): the model is trained on this submission" in caplog.text
    assert ModelParameters.from_json(store.get_bytes(s.linkage_bucket, LINKAGE_MODEL_KEY)).index_rows > 0
    counts = table.get(second.la_code, second.submission_id).counts
    assert counts["persons_linked_to_earlier"] > 0.8 * len(larger_returns[1])
