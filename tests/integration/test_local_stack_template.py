"""Reading a template as CloudFormation and SAM would: tags, parameters, conditions, intrinsics, Globals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfnis_local.template import Template, TemplateError

ROOT = Path(__file__).resolve().parents[2]
SMALL = Path(__file__).resolve().parent / "local_stack" / "template.yaml"


def template_of(tmp_path: Path, text: str, **kwargs: object) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return Template.load(path, **kwargs)  # type: ignore[arg-type]


BODY = """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Days: {Type: Number, Default: 0}
  Names: {Type: CommaDelimitedList, Default: "a,b"}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  KeepForever: !Equals [!Ref Days, 0]
  ProdAndKept: !And [!Condition IsProd, !Not [!Condition KeepForever]]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
"""


def test_short_form_tags_become_their_long_form(tmp_path: Path) -> None:
    t = template_of(tmp_path, BODY)
    t.record("Bucket", "my-bucket", Arn="arn:aws:s3:::my-bucket")
    assert t.resolve({"Ref": "Bucket"}) == "my-bucket"
    assert t.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::my-bucket"
    assert t.resolve({"Fn::Sub": "${Bucket.Arn}/*"}) == "arn:aws:s3:::my-bucket/*"


def test_sub_knows_pseudo_parameters_variables_and_escaped_literals(tmp_path: Path) -> None:
    t = template_of(tmp_path, BODY, stack_name="s1")
    assert t.resolve({"Fn::Sub": "${AWS::StackName}-${Stage}-${AWS::Region}"}) == "s1-dev-eu-west-2"
    assert t.resolve({"Fn::Sub": ["${X}/${Stage}", {"X": "x"}]}) == "x/dev"
    assert t.resolve({"Fn::Sub": "${!Literal}"}) == "${Literal}"


def test_parameter_overrides_replace_defaults_and_are_checked(tmp_path: Path) -> None:
    assert template_of(tmp_path, BODY, parameters={"Stage": "prod"}).parameters["Stage"] == "prod"
    with pytest.raises(TemplateError, match="not one of"):
        template_of(tmp_path, BODY, parameters={"Stage": "qa"})
    with pytest.raises(TemplateError, match="unknown parameters"):
        template_of(tmp_path, BODY, parameters={"Nope": "1"})


def test_conditions_select_resources_and_branches(tmp_path: Path) -> None:
    dev = template_of(tmp_path, BODY)
    assert "ProdOnly" not in dev.resources
    assert dev.resolve({"Fn::If": ["IsProd", "p", "d"]}) == "d"
    prod = template_of(tmp_path, BODY, parameters={"Stage": "prod", "Days": "5"})
    assert "ProdOnly" in prod.resources and prod.conditions["ProdAndKept"]


def test_no_value_drops_the_property(tmp_path: Path) -> None:
    t = template_of(tmp_path, BODY)
    rule = {"Id": "r", "ExpirationInDays": {"Fn::If": ["KeepForever", {"Ref": "AWS::NoValue"}, {"Ref": "Days"}]}}
    assert t.resolve(rule) == {"Id": "r"}


def test_list_functions(tmp_path: Path) -> None:
    t = template_of(tmp_path, BODY)
    assert t.resolve({"Fn::Join": ["-", {"Ref": "Names"}]}) == "a-b"
    assert t.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"


def test_a_ref_to_a_resource_not_created_yet_says_so(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not created yet"):
        template_of(tmp_path, BODY).resolve({"Ref": "Bucket"})


def test_function_environment_merges_globals_under_its_own(tmp_path: Path) -> None:
    t = Template.load(SMALL, stack_name="merge")
    t.record("WorkQueue", "https://queue", Arn="arn:q", QueueName="q")
    t.record("WorkDLQ", "https://dlq", Arn="arn:d", QueueName="merge-workdlq")
    t.record("OrderedQueue", "https://fifo", Arn="arn:f", QueueName="f.fifo")
    worker = t.function("WorkerFunction")
    assert worker.environment == {
        "STACK_NAME": "merge",
        "GREETING": "hello",
        "WORK_QUEUE_URL": "https://queue",
        "WORK_DLQ_NAME": "merge-workdlq",
    }
    assert worker.timeout_s == 20 and worker.handler == "app.handler"  # own Timeout over Globals'
    assert [(s.queue_logical_id, s.batch_size) for s in worker.queue_sources] == [
        ("WorkQueue", 10),
        ("OrderedQueue", 1),
    ]


def test_routes_carry_the_default_authorizer_unless_auth_is_none() -> None:
    t = Template.load(SMALL)
    t.record("InboxBucket", "inbox")
    routes = {r.route_key: r for r in t.function("EchoFunction").routes}
    assert routes["GET /things/{thing_id}"].authorized
    assert not routes["GET /health"].authorized


def test_the_repository_template_loads() -> None:
    t = Template.load(ROOT / "template.yaml")
    assert {"UploadBucket", "UploadQueue", "SubmissionsTable", "HttpApi"} <= set(t.resources)
