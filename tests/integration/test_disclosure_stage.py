"""The anonymise stage on a generated council return at the default k = 5 (moto, resources from template.yaml):
the extract it writes is k-anonymous, shuffled, date-free and under its own key, with its risk report beside it;
when k would cost too much suppression, nothing is written and the submission FAILS with the reason."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import UTC, datetime

import pandas as pd
import pytest

from tfnis.generate import generate_returns
from tfnis.pipeline.anonymise import anonymise_stage, risk_report_key, staging_key
from tfnis.pipeline.locations import SubmissionRef
from tfnis.storage import Settings, Store, SubmissionTable
from tfnis.storage.clients import client
from tfnis.submissions import Submission, SubmissionStatus
from tfnis.validation import validate_return
from tfnis.validation.split import split_return

INDIVIDUAL_QIS = ["la_code", "period_end", "relation_in_family", "sex", "age_band", "ethnic_group", "no_fixed_abode",
                  "missing_education_eligible", "neet_eligible"]  # fmt: skip
FAMILY_QIS = ["la_code", "period_end", "framework", "family_size", "months_since_identified",
              "months_since_support_start", "months_since_support_end"]  # fmt: skip
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(scope="module")
def council_return(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """One council's return of about 300 families as validate and match leave it in WorkBucket."""
    generated = generate_returns(tmp_path_factory.mktemp("return"), councils=1, families=300, periods=1, seed=23)
    (r,) = generated.returns
    report = validate_return([r.families, r.individuals])
    split = split_return(report.families, report.individuals)
    ids = split.identifiers
    digest = lambda text: hashlib.sha256(text.encode()).hexdigest()[:32]  # noqa: E731 - stands in for match
    key_map = pd.DataFrame(
        {
            "record_token": ids["record_token"].astype(str),
            "family_token": ids["family_token"].astype(str),
            "person_key": ids["person_id"].astype(str).map(digest),
            "family_key": ids["family_id"].astype(str).map(digest),
        }
    )
    return {
        "families": split.family_attributes,
        "individuals": split.individual_attributes,
        "key_map": key_map,
        "la_code": str(r.la_code),
        "period_end": r.period_end,
        "order": ids["family_id"].astype(str).map(digest),  # the family of each row, in the return's order
    }  # type: ignore[dict-item]


def seed(store: Store, table: SubmissionTable, council_return: dict) -> SubmissionRef:
    ref = SubmissionRef(council_return["la_code"], "20261126T100000-d15c1057", council_return["period_end"])
    now = datetime.now(UTC)
    table.create(
        Submission(la_code=ref.la_code, submission_id=ref.submission_id, period_end=ref.period_end,
                   status=SubmissionStatus.MATCHED, files=["families.csv", "individuals.csv"], created_at=now,
                   updated_at=now, counts={})
    )  # fmt: skip
    work = store.settings.work_bucket
    store.put_frame(work, ref.families_key, council_return["families"])
    store.put_frame(work, ref.individuals_key, council_return["individuals"])
    store.put_frame(work, ref.key_map_key, council_return["key_map"])
    return ref


def smallest_class(frame: pd.DataFrame, columns: list[str]) -> int:
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).itertuples(index=False, name=None)
    return min(Counter(rows).values())


@pytest.fixture
def written(store: Store, table: SubmissionTable, council_return: dict) -> dict[str, object]:
    ref = seed(store, table, council_return)
    assert anonymise_stage(ref, store=store, table=table) == "complete"
    research = store.settings.research_bucket
    return {
        "ref": ref,
        "families": store.get_frame(research, staging_key(ref, "families")),
        "individuals": store.get_frame(research, staging_key(ref, "individuals")),
        "risk": store.get_json(research, risk_report_key(ref, "json")),
    }


def test_every_record_of_the_written_extract_is_in_a_class_of_at_least_k(written):
    assert smallest_class(written["individuals"], INDIVIDUAL_QIS) >= 5
    assert smallest_class(written["families"], FAMILY_QIS) >= 5


def test_the_risk_report_beside_the_extract_says_what_was_measured_and_suppressed(store, written):
    risk = written["risk"]
    assert risk["k"] == 5
    for table in risk["tables"]:
        assert table["k_before"] < 5 <= table["k_after"]
        assert table["cells_suppressed_share"] <= risk["max_suppression_share"]
        assert sum(table["cells_suppressed_by_column"].values()) == table["cells_suppressed"]
        assert sum(table["k_distribution_after"].values()) == table["records"]
    individuals = next(t for t in risk["tables"] if t["table"] == "individuals")
    assert {m["measure"] for m in individuals["l_diversity"]} >= {"domestic_violence", "mental_health"}
    households = risk["households"]
    assert households["households"] == len(written["families"])
    assert 0 < households["unique_share_before"] <= 1 and 0 < households["unique_share_after"] <= 1
    html = store.get_bytes(store.settings.research_bucket, risk_report_key(written["ref"], "html")).decode()
    assert "Disclosure risk of the research extract" in html and "Households" in html


def test_rows_are_in_an_order_unrelated_to_the_return(written, council_return):
    """In the return, members of a family are neighbours; in the extract, neighbouring rows share a family no
    more often than two rows drawn at random would (plus four standard deviations)."""
    families = written["individuals"]["family_key"].to_numpy()
    pairs = len(families) - 1
    observed = int((families[1:] == families[:-1]).sum())
    sizes = pd.Series(families).value_counts().to_numpy()
    chance = float((sizes * (sizes - 1)).sum()) / (len(families) * (len(families) - 1))
    expected, spread = pairs * chance, (pairs * chance * (1 - chance)) ** 0.5
    in_return = council_return["order"].to_numpy()
    assert (in_return[1:] == in_return[:-1]).sum() > expected + 4 * spread  # the test can tell
    assert observed <= expected + 4 * spread


def test_no_column_but_period_end_holds_a_date(written):
    for table in ("families", "individuals"):
        frame = written[table]
        for column in frame.columns.drop("period_end"):
            values = frame[column].dropna().astype(str)
            assert not values.str.contains(ISO_DATE).any(), f"{table}.{column} holds a YYYY-MM-DD value"
            assert not pd.api.types.is_datetime64_any_dtype(frame[column])


def test_the_extract_is_encrypted_under_its_own_key(store, written):
    head = client("s3").head_object(Bucket=store.settings.research_bucket, Key=staging_key(written["ref"], "families"))
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == store.settings.extract_key_id != store.settings.data_key_id


def anonymise_with_no_suppression_allowed(aws, table, council_return, monkeypatch, lambda_context, variable: str):
    """The anonymise handler on a seeded return with `variable` (a suppression limit) set to 0: it must refuse."""
    from tests.conftest import load_event, load_function

    monkeypatch.setenv(variable, "0")
    monkeypatch.setitem(aws.functions["AnonymiseFunction"].environment, variable, "0")
    store = Store(Settings.from_env())
    ref = seed(store, table, council_return)
    module = load_function(aws, "AnonymiseFunction")
    event = load_event("sqs_anonymise.json")
    event["Records"][0]["body"] = f'{{"la_code": "{ref.la_code}", "submission_id": "{ref.submission_id}", ' \
        f'"period_end": "{ref.period_end.isoformat()}"}}'  # fmt: skip
    assert module.handler(event, lambda_context)["batchItemFailures"]  # retried, then AnonymiseDLQ
    return store, table.get(ref.la_code, ref.submission_id)


def test_k_beyond_the_suppression_limit_writes_nothing_and_fails_with_the_reason(
    aws, table, council_return, monkeypatch, lambda_context
):
    store, submission = anonymise_with_no_suppression_allowed(
        aws, table, council_return, monkeypatch, lambda_context, "MAX_SUPPRESSION_SHARE"
    )
    assert submission.status is SubmissionStatus.FAILED
    assert "disclosure control refused the extract" in (submission.reason or "")
    assert "needs more than 0% of quasi-identifier cells" in (submission.reason or "")
    assert store.count_versions(store.settings.research_bucket, "extract/") == 0


def test_the_released_panel_beside_it_is_k_anonymous_and_names_its_risk(store, written):
    """The release after the stage: the researcher-facing panel (extract/<table>/…/part-0.parquet) holds every
    staged record at k = 5 and says so in extract/risk/panel.json."""
    from tfnis.panel import part_key
    from tfnis.panel.protect import family_rules, individual_rules
    from tfnis.storage.parquet import frame_from_parquet

    research, ref = store.settings.research_bucket, written["ref"]
    for table, rules in (("families", family_rules()), ("individuals", individual_rules())):
        key = part_key(table, ref.period_end.isoformat(), ref.la_code)
        panel = frame_from_parquet(store.get_bytes(research, key))
        assert "la_code" not in panel.columns and "period_end" not in panel.columns
        assert len(panel) == len(written[table])  # one period: no trajectory is rare, nothing left out
        assert smallest_class(panel, [c for c in rules.quasi_identifiers if c in panel.columns]) >= 5
    risk = store.get_json(research, "extract/risk/panel.json")
    k_after = {t["table"]: t["across_periods_after"]["k"] for t in risk["tables"]}
    assert set(k_after) == {"families", "individuals"} and min(k_after.values()) >= 5  # at least K, not exactly
    assert risk["households"]["enforced"] is False
    assert store.get_json(research, "extract/datapackage.json")["resources"][0]["name"] == "families"


def test_a_panel_refused_across_periods_fails_the_submission_and_takes_its_staging_back(
    aws, table, council_return, monkeypatch, lambda_context
):
    store, submission = anonymise_with_no_suppression_allowed(
        aws, table, council_return, monkeypatch, lambda_context, "PANEL_MAX_SUPPRESSION_SHARE"
    )
    assert submission.status is SubmissionStatus.FAILED
    assert "across periods needs more than 0% of quasi-identifier cells" in (submission.reason or "")
    research = store.settings.research_bucket
    assert store.count_versions(research, "staging/") == 0 and store.count_versions(research, "extract/") == 0
