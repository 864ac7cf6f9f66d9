"""Read template.yaml the way CloudFormation and SAM would, for the local stack.

The template is the one list of resources: this module loads it (YAML with the short-form CFN tags),
evaluates parameters, conditions and intrinsic functions against the physical ids the provisioner records,
and expands the SAM pieces the local stack needs (a function's handler file, environment and event sources;
the HTTP API's routes and JWT authorizer). It never talks to AWS.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STACK_NAME = "tfnis-local"
DEFAULT_REGION = "eu-west-2"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account

# Marks a property whose value resolved to AWS::NoValue: the key is dropped, as CloudFormation does.
NO_VALUE = object()


class TemplateError(ValueError):
    """The template uses something the local stack cannot evaluate."""


# --- loading ---------------------------------------------------------------------------------------------------
def load_body(path: Path) -> dict[str, Any]:
    """The template as plain dicts and lists, short-form tags (`!Ref X`, `!GetAtt A.B`) in their long form.

    cfn-lint's decoder reads it (the one `make lint-template` runs), so the local stack and the linter cannot
    read the template differently; its nodes carry line marks, dropped here by a JSON round trip.
    """
    from cfnlint.decode import decode_str

    body, errors = decode_str(path.read_text(encoding="utf-8"))
    if errors:
        raise TemplateError(f"{path} cannot be read: {errors[0]}")
    body = json.loads(json.dumps(body))
    if not isinstance(body, dict) or "Resources" not in body:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return body


def default_template_path() -> Path:
    """template.yaml in the working directory, else the repository's (this package lives in <repo>/local/)."""
    here = Path.cwd() / "template.yaml"
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / "template.yaml"


# --- the SAM pieces the local stack uses -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source mapping: which queue feeds the function, and how it batches."""

    queue_logical_id: str
    batch_size: int = 10
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Route:
    """One HTTP API route (`GET /submissions/{id}`) and whether the JWT authorizer guards it."""

    method: str  # upper-case, or ANY
    path: str  # as in the template, e.g. /submissions/{id}, /{proxy+}
    function_logical_id: str
    authorized: bool = True
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class LocalFunction:
    """An AWS::Serverless::Function as the local stack runs it."""

    logical_id: str
    code_dir: Path
    handler: str  # module.function, e.g. app.handler
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int
    queue_sources: tuple[QueueSource, ...] = ()
    routes: tuple[Route, ...] = ()

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class JwtAuthorizer:
    """What the HTTP API's JWT authorizer accepts: the issuer and audiences from the template."""

    name: str
    issuer: str
    audiences: tuple[str, ...]
    identity_source: str = "$request.header.Authorization"


# --- the template ----------------------------------------------------------------------------------------------


@dataclass
class Template:
    """A loaded template with its parameters, conditions and the physical ids known so far."""

    path: Path
    body: dict[str, Any]
    stack_name: str = DEFAULT_STACK_NAME
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # logical id -> {"Ref": physical id, attribute name -> value}; filled in by the provisioner
    physical: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parameters = self._resolve_parameters()
        self.conditions = {name: bool(self._condition(name, set())) for name in self.body.get("Conditions", {})}

    @classmethod
    def load(
        cls,
        path: Path | str | None = None,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        parameters: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> Template:
        template_path = Path(path) if path is not None else default_template_path()
        return cls(
            path=template_path.resolve(),
            body=load_body(template_path),
            stack_name=stack_name,
            region=region,
            account_id=account_id,
            parameter_overrides=dict(parameters or {}),
        )

    # resources ----------------------------------------------------------------------------------------------

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Every resource whose Condition holds, in template order."""
        return {
            logical_id: resource
            for logical_id, resource in self.body["Resources"].items()
            if "Condition" not in resource or self.conditions.get(resource["Condition"], False)
        }

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") in types}

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's Properties with every intrinsic function evaluated."""
        raw = self.resources[logical_id].get("Properties", {}) or {}
        return self.resolve(raw)

    def physical_name(self, logical_id: str, *, fifo: bool = False) -> str:
        """Deterministic per stack: <stack>-<logicalid>, lower-case (bucket rules), `.fifo` for FIFO queues."""
        name = f"{self.stack_name}-{logical_id}".lower()
        return f"{name}.fifo" if fifo else name

    def record(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        """Remember what Ref and GetAtt of a created resource return."""
        self.physical[logical_id] = {"Ref": ref, **attributes}

    # parameters and conditions ------------------------------------------------------------------------------

    def _resolve_parameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in (self.body.get("Parameters") or {}).items():
            if name in self.parameter_overrides:
                value: Any = self.parameter_overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default: pass it as an override")
            value = "" if value is None else value
            if spec.get("Type", "String") in ("CommaDelimitedList", "List<Number>") and isinstance(value, str):
                value = [part.strip() for part in value.split(",")] if value else []
            elif not isinstance(value, list):
                value = str(value)
            allowed = spec.get("AllowedValues")
            if allowed and value not in [str(a) for a in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
            values[name] = value
        unknown = set(self.parameter_overrides) - set(values)
        if unknown:
            raise TemplateError(f"unknown parameters: {sorted(unknown)}")
        return values

    def _condition(self, name: str, seen: set[str]) -> Any:
        if name in seen:
            raise TemplateError(f"condition {name} refers to itself")
        try:
            expression = self.body["Conditions"][name]
        except KeyError:
            raise TemplateError(f"unknown condition {name}") from None
        return self._evaluate(expression, seen | {name})

    def _evaluate(self, value: Any, seen: set[str]) -> Any:
        """Evaluate a condition expression (Fn::Equals/And/Or/Not, Condition, and the values inside)."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Condition":
                return self._condition(arg, seen)
            if key == "Fn::Equals":
                left, right = (self._evaluate(a, seen) for a in arg)
                return str(left) == str(right)
            if key == "Fn::And":
                return all(self._evaluate(a, seen) for a in arg)
            if key == "Fn::Or":
                return any(self._evaluate(a, seen) for a in arg)
            if key == "Fn::Not":
                return not self._evaluate(arg[0], seen)
        return self.resolve(value)

    # intrinsic functions ------------------------------------------------------------------------------------

    @property
    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def ref(self, name: str) -> Any:
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]["Ref"]
        if name in self.body["Resources"]:
            raise TemplateError(f"Ref {name}: the resource is not created yet")
        raise TemplateError(f"Ref {name}: no such parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        known = self.physical.get(logical_id)
        if known is None:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: the resource is not created yet")
        if attribute not in known:
            if known.get("_placeholder"):  # a type the local stack does not create: any attribute will do
                return f"{known['Ref']}.{attribute}"
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: attribute not known locally")
        return known[attribute]

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic function in value (a deep copy is returned)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return copy.copy(value)
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key.startswith("Fn::"):
                return self._function(key, arg)
            if key == "Condition" and isinstance(arg, str) and arg in self.conditions:
                return self.conditions[arg]
        out = {}
        for key, item in value.items():
            resolved = self.resolve(item)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def _function(self, name: str, arg: Any) -> Any:
        if name == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(self.resolve(logical_id), self.resolve(attribute))
        if name == "Fn::Sub":
            return self._sub(arg)
        if name == "Fn::Join":
            delimiter, items = arg
            return str(delimiter).join(str(v) for v in self.resolve(items))
        if name == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = self.resolve(arg)
            return str(text).split(delimiter)
        if name == "Fn::If":
            condition, when_true, when_false = arg
            return self.resolve(when_true if self.conditions[condition] else when_false)
        if name == "Fn::Equals":
            left, right = self.resolve(arg)
            return str(left) == str(right)
        if name in ("Fn::Not", "Fn::And", "Fn::Or"):
            return self._evaluate({name: arg}, set())
        if name == "Fn::FindInMap":
            map_name, top, second = self.resolve(arg)
            return copy.deepcopy(self.body["Mappings"][map_name][top][second])
        if name == "Fn::GetAZs":
            return [f"{self.region}{suffix}" for suffix in "abc"]
        if name == "Fn::Base64":
            import base64

            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if name == "Fn::ToJsonString":
            import json

            return json.dumps(self.resolve(arg))
        raise TemplateError(f"{name} is not supported by the local stack")

    _SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.body["Resources"]:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        # ${!Literal} stays as ${Literal}, per the Fn::Sub rules
        return self._SUB_VARIABLE.sub(substitute, text).replace("${!", "${")

    # SAM ----------------------------------------------------------------------------------------------------

    def _globals(self, kind: str) -> dict[str, Any]:
        return copy.deepcopy((self.body.get("Globals") or {}).get(kind) or {})

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's Properties merged over Globals.Function the way SAM merges them, resolved."""
        merged = self._globals("Function")
        own = copy.deepcopy(self.resources[logical_id].get("Properties") or {})
        for key, value in own.items():
            if key == "Environment" and "Environment" in merged:
                variables = dict((merged["Environment"] or {}).get("Variables") or {})
                variables.update((value or {}).get("Variables") or {})
                merged["Environment"] = {"Variables": variables}
            elif isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in ("Events",):
                merged[key] = {**merged[key], **value}
            elif isinstance(value, list) and isinstance(merged.get(key), list) and key in ("Layers", "Policies"):
                merged[key] = merged[key] + value
            else:
                merged[key] = value
        return merged

    def function(self, logical_id: str) -> LocalFunction:
        """A Serverless::Function as the local stack runs it (needs the queues' physical ids recorded)."""
        props = self.function_properties(logical_id)
        code_uri = self.resolve(props.get("CodeUri", "."))
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local directory")
        variables = self.resolve((props.get("Environment") or {}).get("Variables") or {})
        queue_sources: list[QueueSource] = []
        routes: list[Route] = []
        for event in (props.get("Events") or {}).values():
            kind, event_props = event.get("Type"), event.get("Properties") or {}
            if kind == "SQS":
                queue_sources.append(self._queue_source(logical_id, event_props))
            elif kind == "HttpApi":
                routes.append(self._route(logical_id, event_props))
        return LocalFunction(
            logical_id=logical_id,
            code_dir=(self.path.parent / code_uri).resolve(),
            handler=str(self.resolve(props.get("Handler", "app.handler"))),
            environment={k: _env_string(v) for k, v in variables.items()},
            timeout_s=int(self.resolve(props.get("Timeout", 3))),
            memory_mb=int(self.resolve(props.get("MemorySize", 128))),
            queue_sources=tuple(queue_sources),
            routes=tuple(routes),
        )

    def functions(self) -> dict[str, LocalFunction]:
        return {lid: self.function(lid) for lid in self.of_type("AWS::Serverless::Function")}

    def _queue_source(self, function_id: str, event_props: dict[str, Any]) -> QueueSource:
        queue = event_props.get("Queue")
        queue_id = _logical_target(queue)
        if queue_id is None:
            raise TemplateError(f"{function_id}: SQS event Queue must be !GetAtt <Queue>.Arn")
        window = self.resolve(event_props.get("MaximumBatchingWindowInSeconds", 0))
        return QueueSource(
            queue_logical_id=queue_id,
            batch_size=int(self.resolve(event_props.get("BatchSize", 10))),
            batching_window_s=float(window),
            report_batch_item_failures="ReportBatchItemFailures"
            in (self.resolve(event_props.get("FunctionResponseTypes")) or []),
            enabled=_truthy(self.resolve(event_props.get("Enabled", True))),
        )

    def _route(self, function_id: str, event_props: dict[str, Any]) -> Route:
        api_id = _logical_target(event_props.get("ApiId"))
        api_auth = self._http_api_auth(api_id)
        auth = event_props.get("Auth") or {}
        authorizer = self.resolve(auth.get("Authorizer", api_auth.get("DefaultAuthorizer")))
        scopes = self.resolve(auth.get("AuthorizationScopes") or [])
        return Route(
            method=str(self.resolve(event_props.get("Method", "ANY"))).upper(),
            path=str(self.resolve(event_props.get("Path", "/$default"))),
            function_logical_id=function_id,
            authorized=bool(authorizer) and authorizer != "NONE",
            scopes=tuple(scopes),
        )

    def _http_api_auth(self, api_id: str | None) -> dict[str, Any]:
        if api_id is None:
            return self._globals("HttpApi").get("Auth") or {}
        props = self.resources.get(api_id, {}).get("Properties") or {}
        return props.get("Auth") or self._globals("HttpApi").get("Auth") or {}

    def jwt_authorizers(self) -> list[JwtAuthorizer]:
        """The JWT authorizers the HTTP APIs declare (issuer/audience resolved where possible)."""
        found = []
        api_ids: list[str | None] = list(self.of_type("AWS::Serverless::HttpApi")) or [None]  # None: Globals
        for api_id in api_ids:
            for name, spec in (self._http_api_auth(api_id).get("Authorizers") or {}).items():
                config = spec.get("JwtConfiguration") or {}
                try:
                    issuer = str(self.resolve(config.get("issuer", "")))
                    audiences = self.resolve(config.get("audience") or [])
                except TemplateError:
                    issuer, audiences = "", []
                found.append(
                    JwtAuthorizer(
                        name=name,
                        issuer=issuer,
                        audiences=tuple(str(a) for a in audiences),
                        identity_source=str(spec.get("IdentitySource", "$request.header.Authorization")),
                    )
                )
        return found


def _logical_target(value: Any) -> str | None:
    """The logical id a Ref / GetAtt / Sub points at, without evaluating it."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
