"""The template's HTTP API on localhost: each request becomes an API Gateway v2 (payload 2.0) event.

Routes come from the functions' HttpApi events; routes the template guards with the JWT authorizer are
checked as API Gateway checks them (401 `{"message":"Unauthorized"}` otherwise) and the token's claims reach
the handler in requestContext.authorizer.jwt, as strings.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tfnis_local.lambdas import LocalLambda, where_raised
from tfnis_local.template import Route
from tfnis_local.tokens import DevTokenIssuer, Unauthorized, claims_as_api_gateway_passes_them
from tfnis_local.web import UploadPage

# Not named tfnis_local.*: Powertools adds a filter to the root handlers that drops every record whose logger
# name contains its service name ("tfnis").
log = logging.getLogger("local_stack.api")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
_TEXT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|.*\+(json|xml))", re.I)


@dataclass(frozen=True)
class BoundRoute:
    route: Route
    target: LocalLambda
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, route: Route, target: LocalLambda) -> BoundRoute:
        return cls(route, target, _path_pattern(route.path))

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """API Gateway prefers exact paths, then fewer variables, then non-greedy, then an exact method."""
        path = self.route.path
        return (
            path == "$default",
            "+}" in path,
            path.count("{"),
            self.route.method == "ANY",
        )


def _path_pattern(path: str) -> re.Pattern[str]:
    if path in ("$default", "/{proxy+}"):
        return re.compile(r"^/(?P<proxy>.*)$")
    out, position = "", 0
    for match in re.finditer(r"\{([^}+]+)(\+?)\}", path):
        out += re.escape(path[position : match.start()])
        name = match.group(1)
        out += f"(?P<{name}>.+)" if match.group(2) else f"(?P<{name}>[^/]+)"
        position = match.end()
    out += re.escape(path[position:])
    return re.compile(f"^{out}/?$")


class HttpApi:
    """Routes requests to handlers; `serve()` runs it on a ThreadingHTTPServer in a daemon thread."""

    def __init__(
        self,
        routes: list[BoundRoute],
        authorizer: DevTokenIssuer | None,
        *,
        account_id: str = "123456789012",
        cors: dict[str, Any] | None = None,
    ):
        self.routes = sorted(routes, key=lambda r: r.specificity)
        self.authorizer = authorizer
        self.account_id = account_id
        self.cors = cors
        self.page: UploadPage | None = None  # the upload page and dev sign-in, on the API's origin
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # serving -----------------------------------------------------------------------------------------------

    def bind(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind the socket now (port 0: a free one) so the URL is known before the functions are loaded."""
        api = self

        class Handler(_RequestHandler):
            http_api = api

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def serve(self) -> None:
        if self.server is None:
            self.bind()
        assert self.server is not None
        self._thread = threading.Thread(target=self.server.serve_forever, name="http api", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        if self.server is not None:
            if self._thread is not None:
                self.server.shutdown()
                self._thread.join(5)
            self.server.server_close()
            self.server = None

    # routing -----------------------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[BoundRoute, dict[str, str]] | None:
        for bound in self.routes:
            if bound.route.method not in ("ANY", method):
                continue
            found = bound.pattern.match(path)
            if found:
                return bound, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str):
        """One request in, (status, headers, body bytes) out."""
        if self.cors and method == "OPTIONS":
            return 204, self._cors_headers(headers, preflight=True), b""
        url = urlsplit(target)
        path = url.path or "/"
        matched = self.match(method, path)
        if matched is None:
            answered = self.page.handle(method, path, body) if self.page is not None else None
            return answered or _json(404, {"message": "Not Found"})
        bound, path_parameters = matched
        claims: dict[str, Any] | None = None
        if bound.route.authorized:
            authorization = next((v for k, v in headers if k.lower() == "authorization"), None)
            try:
                if self.authorizer is None:
                    raise Unauthorized("no authorizer configured")
                claims = self.authorizer.verify(authorization, bound.route.scopes)
            except Unauthorized:
                status, out_headers, out_body = _json(401, {"message": "Unauthorized"})
                out_headers["www-authenticate"] = 'Bearer error="invalid_token"'
                return status, out_headers, out_body
        if len(body) > MAX_PAYLOAD_BYTES:
            return _json(413, {"message": "Request Entity Too Large"})
        event = self.event(bound, method, path, url.query, headers, body, source_ip, path_parameters, claims)
        try:
            result = bound.target.invoke(event)
        except Exception as error:
            log.error("%s: handler raised %s at %s", bound.route.route_key, type(error).__name__, where_raised(error))
            log.debug("traceback", exc_info=True)  # the message may quote data: DEBUG only
            return _json(500, {"message": "Internal Server Error"})
        status, out_headers, out_body = _response(result)
        if self.cors:
            out_headers.update(self._cors_headers(headers, preflight=False))
        return status, out_headers, out_body

    def event(
        self,
        bound: BoundRoute,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        path_parameters: dict[str, str],
        claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The API Gateway v2 payload 2.0 event for this request."""
        merged, cookies = _headers_and_cookies(headers)
        route_key = "$default" if bound.route.path == "$default" else bound.route.route_key
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": query,
            "headers": merged,
            "requestContext": self._request_context(method, path, source_ip, merged, route_key),
            "isBase64Encoded": False,
        }
        if cookies:
            event["cookies"] = cookies
        if query_parameters := _query_parameters(query):
            event["queryStringParameters"] = query_parameters
        if path_parameters and bound.route.path not in ("$default",):
            event["pathParameters"] = path_parameters
        if claims is not None:
            event["requestContext"]["authorizer"] = _jwt_authorizer(claims)
        if body:
            event |= _body_fields(body, merged.get("content-type", ""))
        return event

    def _request_context(
        self, method: str, path: str, source_ip: str, headers: dict[str, str], route_key: str
    ) -> dict[str, Any]:
        """requestContext, without the authorizer: who asked, where, when, with a fresh request id."""
        now = datetime.now(UTC)
        return {
            "accountId": self.account_id,
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        }

    def _cors_headers(self, headers: list[tuple[str, str]], *, preflight: bool) -> dict[str, str]:
        cors = self.cors or {}
        origin = next((v for k, v in headers if k.lower() == "origin"), None)
        allowed = cors.get("AllowOrigins") or []
        if origin is None or not ("*" in allowed or origin in allowed):
            return {}
        out = {"access-control-allow-origin": "*" if "*" in allowed else origin}
        if _truthy(cors.get("AllowCredentials", False)):
            out["access-control-allow-credentials"] = "true"
        if cors.get("ExposeHeaders"):
            out["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])
        if preflight:
            out["access-control-allow-methods"] = ",".join(cors.get("AllowMethods") or ["*"])
            out["access-control-allow-headers"] = ",".join(cors.get("AllowHeaders") or ["*"])
            if cors.get("MaxAge") is not None:
                out["access-control-max-age"] = str(cors["MaxAge"])
        return out


def _headers_and_cookies(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Headers by lower-case name, a repeated one joined with commas, and the cookies apart: as payload 2.0 has them."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged, cookies


def _query_parameters(query: str) -> dict[str, str]:
    """queryStringParameters: a repeated parameter's values joined with commas, as API Gateway does."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _jwt_authorizer(claims: dict[str, Any]) -> dict[str, Any]:
    """requestContext.authorizer for a token the JWT authorizer accepted: its claims as strings, its scopes."""
    scopes = str(claims.get("scope", "")).split() or None
    return {"jwt": {"claims": claims_as_api_gateway_passes_them(claims), "scopes": scopes}}


def _body_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """body and isBase64Encoded: text as it came, anything else in base64."""
    text = _as_text(body, content_type)
    if text is None:
        return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    return {"body": text, "isBase64Encoded": False}


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _as_text(body: bytes, content_type: str) -> str | None:
    if content_type and not _TEXT_TYPES.match(content_type):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


def _response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A handler's return value as API Gateway turns it into HTTP (payload 2.0 rules)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # 2.0 format: anything without statusCode is a 200 JSON body
        body = result if isinstance(result, str) else json.dumps(result)
        return 200, {"content-type": "application/json"}, body.encode()
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ",".join(str(v) for v in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    if result.get("cookies"):
        headers["set-cookie"] = "\n".join(result["cookies"])  # split into one header each when sent
    headers.setdefault("content-type", "application/json")
    return int(result["statusCode"]), headers, raw


class _RequestHandler(BaseHTTPRequestHandler):
    http_api: HttpApi
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per request
    disable_nagle_algorithm = True
    server_version = "tfnis-local-api"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, out = self.http_api.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in headers.items():
            if name == "set-cookie":
                for cookie in value.split("\n"):
                    self.send_header(name, cookie)
            elif name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(out)))
        self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)
        elapsed_ms = 1000 * (time.monotonic() - started)
        log.info("%s %s -> %d (%.0f ms)", self.command, urlsplit(self.path).path, status, elapsed_ms)

    def __getattr__(self, name: str) -> Any:
        """Every method goes through the routes, as on API Gateway (an unrouted one gets its 404, where
        http.server would answer TRACE or QUERY with a 501 of its own)."""
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)
