"""The embedded AWS: moto's server, the template's resources, its functions fed by queues and an HTTP API.

    with LocalStack() as stack:                  # template.yaml of the repository
        requests.post(f"{stack.api_url}/submissions", headers={"authorization": stack.token_for("E08000025")}, ...)
        stack.drain()                            # run every queue until empty and idle
        stack.mirror("out/demo")                 # every bucket to out/demo/<LogicalId>/<key>

The same handlers run here as on Lambda, with events of the same shape; only the clock is faster (queue
visibility timeouts are capped so that retries and redrive to the DLQ happen in seconds).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tfnis_local.api import BoundRoute, HttpApi
from tfnis_local.lambdas import LocalLambda, load_handler, module_name
from tfnis_local.post_policy import PostPolicyCheck
from tfnis_local.provision import DUMMY_CREDENTIALS, Resources, provision
from tfnis_local.pumps import PumpCounts, QueuePump
from tfnis_local.template import DEFAULT_STACK_NAME, Template, default_template_path, load_body
from tfnis_local.tokens import DEV_COUNCILS, DevTokenIssuer
from tfnis_local.web import UploadPage, default_page_root

# Not named tfnis_local.*: Powertools adds a filter to the root handlers that drops every record whose logger
# name contains its service name ("tfnis").
log = logging.getLogger("local_stack.stack")

# Environment every function gets locally, on top of the template's variables.
_LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
    "AWS_XRAY_SDK_ENABLED": "false",
}
# Variables every function has with a value of its own, read only by module-level settings at import.
_READ_AT_IMPORT_ONLY = frozenset({"DEAD_LETTER_QUEUE_URL"})
_REMOVED_ENVIRONMENT = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


class LocalStack:
    """Context manager: start moto, provision the template, serve the API, pump the queues; undo on exit.

    Stacks running at the same time in one process share moto's state: give them different stack names.
    """

    _running = 0  # stacks of this process whose moto server is up

    def __init__(
        self,
        template: Template | Path | str | None = None,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        parameters: Mapping[str, str] | None = None,
        api_port: int = 0,
        moto_port: int = 0,
        background: bool = False,
        max_visibility_timeout_s: int | None = 2,
        councils: Iterable[str] = DEV_COUNCILS,
        log_level: str = "WARNING",
        metrics: bool = False,
        enforce_post_policy: bool = True,
    ):
        self._template_arg = template
        self.stack_name = stack_name
        self.parameters = dict(parameters or {})
        self.api_port = api_port
        self.moto_port = moto_port
        self.background = background
        self.max_visibility_timeout_s = max_visibility_timeout_s
        self.councils = tuple(councils)
        self.log_level = log_level
        self.metrics = metrics
        self.enforce_post_policy = enforce_post_policy
        self.moto: Any = None
        self.endpoint_url = ""
        self.template: Template | None = None
        self.resources: Resources | None = None
        self.api: HttpApi | None = None
        self.lambdas: dict[str, LocalLambda] = {}
        self.pumps: list[QueuePump] = []
        self.missing_handlers: dict[str, str] = {}  # logical id -> why it is not running
        self.authorizer: DevTokenIssuer | None = None
        self._saved_environment: dict[str, str] | None = None

    # lifecycle ---------------------------------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        template = self._load_template()
        self._saved_environment = dict(os.environ)
        # moto's server logs every request through werkzeug (and adds a handler of its own if none is set)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto.start()
        LocalStack._running += 1
        if self.enforce_post_policy:
            # moto accepts any pre-signed POST; S3 checks its policy (key, size, expiry, signature)
            server = self.moto._server
            server.app = PostPolicyCheck(
                server.app, {DUMMY_CREDENTIALS["aws_access_key_id"]: DUMMY_CREDENTIALS["aws_secret_access_key"]}
            )
        host, port = self.moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._set_aws_environment(template.region)

        self.api = HttpApi([], None, account_id=template.account_id, cors=self._cors(template))
        self.api.bind(port=self.api_port)
        self.resources = provision(
            template,
            self.endpoint_url,
            api_url=self.api.url,
            max_visibility_timeout_s=self.max_visibility_timeout_s,
        )
        self.authorizer = self._authorizer(template)
        self._load_functions()
        self._bind_loggers()
        self.api.routes = sorted(
            (
                BoundRoute.of(route, self.lambdas[lid])
                for lid, fn in self.resources.functions.items()
                if lid in self.lambdas
                for route in fn.routes
            ),
            key=lambda r: r.specificity,
        )
        self.api.authorizer = self.authorizer
        self.api.page = UploadPage(default_page_root(), self.councils, self.authorizer)
        self.api.serve()
        self.pumps = self._pumps()
        if self.background:
            for pump in self.pumps:
                pump.start()
        return self

    def stop(self) -> None:
        for pump in self.pumps:
            pump.stop()
        if self.api is not None:
            self.api.shutdown()
        if self.moto is not None:
            LocalStack._running -= 1
            if LocalStack._running == 0:
                # moto's backends are process-wide, shared by every stack in this process: once the last one
                # stops, forget everything so that the next one starts clean
                try:
                    import requests

                    requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=5)
                except Exception:
                    log.debug("moto reset failed", exc_info=True)
            self.moto.stop()
            self.moto = None
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
            self._saved_environment = None

    def _bind_loggers(self) -> None:
        """Give the handlers' Powertools loggers this stack's level and this moment's stdout.

        Powertools loggers of one service share a process-wide logging.Logger that only the first one
        configures, so a later stack in the same process would otherwise log at an earlier stack's level to an
        earlier stdout (one a test may have redirected).
        """
        for local in self.lambdas.values():
            module = sys.modules.get(module_name(local.function))
            powertools_logger = getattr(module, "logger", None)
            if powertools_logger is None or not hasattr(powertools_logger, "setLevel"):
                continue
            powertools_logger.setLevel(self.log_level)
            for handler in powertools_logger.handlers:
                if type(handler) is logging.StreamHandler:
                    # not setStream(): it flushes the old stream, which a finished test may have closed
                    handler.acquire()
                    try:
                        handler.stream = sys.stdout
                    finally:
                        handler.release()

    # what a user of the stack needs ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self.api is not None, "start the stack first"
        return self.api.url

    @property
    def tokens(self) -> dict[str, str]:
        """A dev token per council of `councils` (fresh each call; each is valid for 12 hours)."""
        return {la_code: self.token_for(la_code) for la_code in self.councils}

    def token_for(self, la_code: str, **claims: Any) -> str:
        assert self.authorizer is not None, "start the stack first"
        return self.authorizer.mint(la_code, **claims)

    def client(self, service: str) -> Any:
        assert self.resources is not None, "start the stack first"
        return self.resources.client(service)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call a function directly, as `aws lambda invoke` would (e.g. ResearchEndFunction's schedule)."""
        if logical_id not in self.lambdas:
            raise KeyError(f"{logical_id} is not a running function ({self.missing_handlers.get(logical_id, '')})")
        return self.lambdas[logical_id].invoke(event)

    def drain(self, timeout: float = 120.0, *, wait_for_delayed: bool = False) -> dict[str, PumpCounts]:
        """Run the pumps until every pumped queue is empty (nothing visible or in flight) and idle.

        Messages waiting out a visibility timeout count as not empty, so a failing message is retried until
        it succeeds or moto moves it to the DLQ. Delayed messages (a submission's expiry check, due once its
        upload forms have expired, many minutes later) hold a drain only with wait_for_delayed.
        Raises TimeoutError with the queue depths otherwise.
        """
        deadline = time.monotonic() + timeout
        while True:
            # in the background the pumps' own threads do the work; here we only watch
            progressed = not self.background and sum(pump.poll_once(0) for pump in self.pumps) > 0
            if not progressed and self._idle(wait_for_delayed):
                return {pump.name: pump.counts for pump in self.pumps}
            if time.monotonic() > deadline:
                raise TimeoutError(f"queues not drained after {timeout:.0f} s: {self.queue_depths()}")
            if not progressed:
                time.sleep(0.1)

    def queue_depths(self) -> dict[str, dict[str, int]]:
        """Visible, in-flight and delayed message counts of every queue (DLQs included), by logical id."""
        assert self.resources is not None
        sqs = self.client("sqs")
        depths = {}
        for logical_id, url in self.resources.queues.items():
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            depths[logical_id] = {
                "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            }
        return depths

    def mirror(self, out_dir: Path | str) -> dict[str, int]:
        """Download the latest version of every object of every bucket to out_dir/<LogicalId>/<key>; a bucket's
        folder is replaced, so a file left from an earlier run never passes for one of this stack."""
        assert self.resources is not None
        s3 = self.client("s3")
        counts: dict[str, int] = {}
        root = Path(out_dir).resolve()
        for logical_id, bucket in self.resources.buckets.items():
            counts[logical_id] = 0
            bucket_dir = root / logical_id
            shutil.rmtree(bucket_dir, ignore_errors=True)
            bucket_dir.mkdir(parents=True)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    target = (bucket_dir / item["Key"]).resolve()
                    if not target.is_relative_to(bucket_dir) or item["Key"].endswith("/"):
                        continue  # a key like ../x or a folder marker has no place on disk
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, item["Key"], str(target))
                    counts[logical_id] += 1
        return counts

    # internals ---------------------------------------------------------------------------------------------

    def _load_template(self) -> Template:
        if isinstance(self._template_arg, Template):
            self.template = self._template_arg
        else:
            parameters = dict(self.parameters)
            if "UploadAllowedOrigin" in (
                load_body(Path(self._template_arg or default_template_path())).get("Parameters") or {}
            ):
                # The page is served from the API's own origin here, whose port is known only once bound: the local
                # upload bucket takes any origin (on AWS only the page's CloudFront origin, template.yaml).
                parameters.setdefault("UploadAllowedOrigin", "*")
            self.template = Template.load(self._template_arg, stack_name=self.stack_name, parameters=parameters)
        return self.template

    def _set_aws_environment(self, region: str) -> None:
        for name in _REMOVED_ENVIRONMENT:
            os.environ.pop(name, None)
        os.environ.update(_LOCAL_ENVIRONMENT)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        os.environ["AWS_DEFAULT_REGION"] = region
        os.environ["AWS_REGION"] = region

    def _function_environment(self) -> dict[str, str]:
        assert self.resources is not None
        merged: dict[str, str] = {
            "POWERTOOLS_LOG_LEVEL": self.log_level,
            "POWERTOOLS_METRICS_NAMESPACE": "tfnis",
            "POWERTOOLS_SERVICE_NAME": "tfnis",
        }
        if not self.metrics:
            merged["POWERTOOLS_METRICS_DISABLED"] = "true"
            warnings.filterwarnings("ignore", message="No application metrics to publish")
        owner: dict[str, str] = {}
        for logical_id, function in self.resources.functions.items():
            for name, value in function.environment.items():
                if name in _READ_AT_IMPORT_ONLY:
                    continue  # each function's module read its own at import (_load_functions)
                if name in owner and merged[name] != value:
                    # one process, one environment: the later function's module-level settings see its own
                    log.warning("%s: %s differs from %s's; both see one value", logical_id, name, owner[name])
                merged[name] = value
                owner[name] = logical_id
        return merged

    def _load_functions(self) -> None:
        assert self.resources is not None and self.template is not None
        os.environ.update(self._function_environment())
        for logical_id, function in self.resources.functions.items():
            target = LocalLambda(
                function=function,
                physical_name=self.template.physical[logical_id]["Ref"],
                arn=self.template.physical[logical_id]["Arn"],
            )
            if not function.module_file.exists():
                self.missing_handlers[logical_id] = f"no handler file {function.module_file}"
                log.warning("%s: %s; its routes and queues are not served", logical_id, function.module_file)
                continue
            saved = dict(os.environ)
            os.environ.update(function.environment)  # module-level settings read the function's own values
            try:
                target._handler = load_handler(function)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.lambdas[logical_id] = target

    def _pumps(self) -> list[QueuePump]:
        assert self.resources is not None and self.template is not None
        resources, region = self.resources, self.template.region
        pumps = []
        for logical_id, target in self.lambdas.items():
            for source in target.function.queue_sources:
                if not source.enabled:
                    continue
                pumps.append(
                    QueuePump(
                        client_factory=lambda: resources.client("sqs"),
                        queue_url=resources.queues[source.queue_logical_id],
                        queue_arn=resources.queue_arns[source.queue_logical_id],
                        region=region,
                        source=source,
                        target=target,
                    )
                )
                log.debug("pump %s -> %s", source.queue_logical_id, logical_id)
        return pumps

    def _idle(self, wait_for_delayed: bool = False) -> bool:
        """No pump busy, no pumped queue holding a message, and nothing changed while looking."""
        before = sum(p.counts.invocations for p in self.pumps)
        if any(p.busy for p in self.pumps):
            return False
        assert self.resources is not None
        pumped = {p.source.queue_logical_id for p in self.pumps}
        depths = self.queue_depths()
        counted = ("visible", "in_flight", "delayed") if wait_for_delayed else ("visible", "in_flight")
        if any(depths[q][kind] for q in pumped for kind in counted):
            return False
        return not any(p.busy for p in self.pumps) and before == sum(p.counts.invocations for p in self.pumps)

    def _authorizer(self, template: Template) -> DevTokenIssuer:
        """Tokens for the issuer and audience the template's JWT authorizer accepts (Cognito's, in moto)."""
        authorizers = template.jwt_authorizers()
        if authorizers and authorizers[0].issuer:
            return DevTokenIssuer(issuer=authorizers[0].issuer, audiences=authorizers[0].audiences)
        return DevTokenIssuer(issuer=f"{self.api_url}/dev-issuer", audiences=("tfnis-local",))

    @staticmethod
    def _cors(template: Template) -> dict[str, Any] | None:
        for api_id in template.of_type("AWS::Serverless::HttpApi"):
            raw = (template.resources[api_id].get("Properties") or {}).get("CorsConfiguration")
            if raw:
                try:
                    return template.resolve(raw) if isinstance(raw, dict) else {"AllowOrigins": ["*"]}
                except Exception:
                    return {"AllowOrigins": ["*"]}
        return None
