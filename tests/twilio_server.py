"""A local stand-in for Twilio's REST API, for tests that send through the real SDK.

Twilio's REST endpoint cannot be reached from here, so the real SDK is pointed
at this server instead of being patched: :class:`LocalTwilioHttpClient` is the
SDK's own HTTP client (through :class:`channels.twilio_transport.TwilioTransport`)
with the scheme and host of every ``*.twilio.com`` URL rewritten to the local
server, so the SDK builds, authenticates and sends each request itself.

The server emulates the few endpoints the desk uses:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: validates like
  Twilio (``To``, ``From``, ``Body``; errors 21604, 21603, 21602) and answers
  201 with a realistic message resource (``SM…`` sid, status ``queued``);
* ``GET`` of media and recording URLs registered with :meth:`FakeTwilioServer.add_media`
  and :meth:`FakeTwilioServer.add_recording`: basic auth checked, then a
  307 redirect to unauthenticated storage on another path, as Twilio does;
* anything else: 404 with Twilio's error body (code 20404).

Wrong or missing credentials get 401 / 20003.  Every request is recorded
(method, path, query, form fields, decoded basic auth, headers); scripted
answers (:meth:`FakeTwilioServer.fail_next`, :meth:`FakeTwilioServer.script`)
replace the next matching responses, optionally after a delay.

    with FakeTwilioServer() as server:
        http_client = LocalTwilioHttpClient(server.base_url)
        gateway = TwilioSmsGateway(server.account_sid, server.auth_token, "+358401234567",
                                   http_client=http_client)
        gateway.send(message)
        assert server.messages[-1].field("To") == message.to_address
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from channels.twilio_transport import TwilioTransport

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "FakeTwilioServer",
    "LocalTwilioHttpClient",
    "RecordedRequest",
    "ScriptedResponse",
    "twilio_error",
]

DEFAULT_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
DEFAULT_AUTH_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
API_VERSION = "2010-04-01"
PUBLIC_API = "https://api.twilio.com"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received, as it arrived."""

    method: str
    path: str
    query: Mapping[str, tuple[str, ...]]
    form: Mapping[str, tuple[str, ...]]
    headers: Mapping[str, str]
    auth: tuple[str, str] | None
    body: bytes

    def field(self, name: str) -> str | None:
        """The first value of a form field, or ``None``."""
        values = self.form.get(name)
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class ScriptedResponse:
    """An answer to give instead of the emulated one."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def twilio_error(status: int, code: int, message: str = "") -> ScriptedResponse:
    """Twilio's error body: ``{"code", "message", "more_info", "status"}``."""
    body = {
        "code": code,
        "message": message or f"Error {code}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return ScriptedResponse(status=status, body=json.dumps(body).encode())


@dataclass(slots=True)
class _Script:
    response: ScriptedResponse
    path_suffix: str | None
    remaining: int


@dataclass(slots=True)
class _State:
    account_sid: str
    auth_token: str
    check_auth: bool
    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    scripts: list[_Script] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so nothing lingers at shutdown.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # --- plumbing ---------------------------------------------------------------

    def _handle(self) -> None:
        state = self.server.state
        request = self._record()
        scripted = self._scripted(request.path)
        if scripted is not None:
            if scripted.delay:
                state.stopping.wait(scripted.delay)
            self._send(scripted.status, scripted.body, scripted.content_type, scripted.headers)
            return
        self._emulate(request)

    def _record(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form: dict[str, tuple[str, ...]] = {}
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            form = {key: tuple(values) for key, values in parsed.items()}
        query = {key: tuple(v) for key, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=query,
            form=form,
            headers={key: value for key, value in self.headers.items()},
            auth=self._basic_auth(),
            body=body,
        )
        with self.server.state.lock:
            self.server.state.requests.append(request)
        return request

    def _basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password

    def _scripted(self, path: str) -> ScriptedResponse | None:
        state = self.server.state
        with state.lock:
            for script in state.scripts:
                if script.path_suffix is None or path.endswith(script.path_suffix):
                    script.remaining -= 1
                    if script.remaining <= 0:
                        state.scripts.remove(script)
                    return script.response
        return None

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: int, message: str) -> None:
        error = twilio_error(status, code, message)
        self._send(error.status, error.body)

    # --- the emulated API ---------------------------------------------------------

    def _emulate(self, request: RecordedRequest) -> None:
        state = self.server.state
        account_prefix = f"/{API_VERSION}/Accounts/{state.account_sid}/"
        if request.path.startswith("/storage/"):
            self._serve_file(request.path)
            return
        if not request.path.startswith(f"/{API_VERSION}/Accounts/"):
            self._error(404, 20404, "The requested resource was not found")
            return
        if state.check_auth and request.auth != (state.account_sid, state.auth_token):
            self._error(401, 20003, "Authenticate")
            return
        if not request.path.startswith(account_prefix):
            self._error(404, 20404, "The requested resource was not found")
            return
        if request.method == "POST" and request.path == account_prefix + "Messages.json":
            self._create_message(request)
            return
        if request.method == "GET" and request.path in state.files:
            storage = "/storage/" + request.path.rsplit("/", 1)[-1]
            self._send(307, b"", "text/plain", (("Location", state.base_url + storage),))
            return
        self._error(404, 20404, "The requested resource was not found")

    def _serve_file(self, path: str) -> None:
        state = self.server.state
        name = path.removeprefix("/storage")
        with state.lock:
            found = next((item for key, item in state.files.items() if key.endswith(name)), None)
        if found is None:
            self._send(404, b"<Error>NoSuchKey</Error>", "application/xml")
            return
        content_type, data = found
        self._send(200, data, content_type)

    def _create_message(self, request: RecordedRequest) -> None:
        state = self.server.state
        to, from_ = request.field("To"), request.field("From")
        body, media = request.field("Body"), request.field("MediaUrl")
        if not to:
            self._error(400, 21604, "A 'To' phone number is required.")
            return
        if not from_ and not request.field("MessagingServiceSid"):
            self._error(400, 21603, "A 'From' phone number is required.")
            return
        if not body and not media:
            self._error(400, 21602, "Message body is required.")
            return
        sid = _sid("SM")
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{state.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": state.account_sid,
            "api_version": API_VERSION,
            "body": body or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": request.field("MessagingServiceSid"),
            "num_media": "1" if media else "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": uri.replace(".json", "/Media.json"),
                "feedback": uri.replace(".json", "/Feedback.json"),
            },
            "to": to,
            "uri": uri,
        }
        self._send(201, json.dumps(resource).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is what the delay scripts are for.
        pass


class FakeTwilioServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) emulating Twilio."""

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        check_auth: bool = True,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._state = _State(account_sid=account_sid, auth_token=auth_token, check_auth=check_auth)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> FakeTwilioServer:
        if self._server is not None:
            return self
        self._server = _Server(self._state)
        port = self._server.server_address[1]
        self._state.base_url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
        self._state.stopping.clear()

    def __enter__(self) -> FakeTwilioServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` while running."""
        if self._server is None:
            raise RuntimeError("the fake Twilio server is not running")
        return self._state.base_url

    # --- what was received -----------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def messages(self) -> list[RecordedRequest]:
        """The ``POST …/Messages.json`` requests, oldest first."""
        return [
            request
            for request in self.requests
            if request.method == "POST" and request.path.endswith("/Messages.json")
        ]

    def reset(self) -> None:
        """Forget requests, scripts and files (between tests on a shared server)."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.scripts.clear()
            self._state.files.clear()

    # --- scripting ------------------------------------------------------------------

    def script(
        self, response: ScriptedResponse, *, path_suffix: str | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests whose path ends with
        ``path_suffix`` (any path when ``None``) with ``response``."""
        with self._state.lock:
            self._state.scripts.append(_Script(response, path_suffix, times))

    def fail_next(
        self,
        status: int,
        code: int | None = None,
        message: str = "",
        *,
        times: int = 1,
        path_suffix: str | None = "/Messages.json",
        delay: float = 0.0,
    ) -> None:
        """Make the next message creations fail: with Twilio's JSON error body
        when ``code`` is given, else with a bare HTML page (a proxy's 5xx)."""
        if code is not None:
            response = twilio_error(status, code, message)
        else:
            response = ScriptedResponse(
                status, f"<html><body>{status}</body></html>".encode(), "text/html"
            )
        if delay:
            response = ScriptedResponse(
                response.status, response.body, response.content_type, response.headers, delay
            )
        self.script(response, path_suffix=path_suffix, times=times)

    def add_media(self, content_type: str, data: bytes, *, message_sid: str | None = None) -> str:
        """Store MMS media; returns its public URL, as in a webhook's ``MediaUrl0``."""
        message = message_sid or _sid("MM")
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message}/Media/{_sid('ME')}"
        with self._state.lock:
            self._state.files[path] = (content_type, data)
        return PUBLIC_API + path

    def add_recording(self, data: bytes, content_type: str = "audio/x-wav") -> str:
        """Store a call recording; returns its public ``RecordingUrl``."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{_sid('RE')}"
        with self._state.lock:
            self._state.files[path] = (content_type, data)
        return PUBLIC_API + path


class LocalTwilioHttpClient(TwilioTransport):
    """The SDK's HTTP client, sending ``*.twilio.com`` requests to ``base_url``.

    Only the scheme and host change: path, query, form, headers and basic
    auth are exactly what the SDK built.  The environment's proxy settings
    are ignored, so a developer's ``HTTPS_PROXY`` cannot swallow the requests.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._target = urlsplit(base_url)
        if self.session is not None:
            self.session.trust_env = False

    def resolve_url(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host == "twilio.com" or host.endswith(".twilio.com"):
            return urlunsplit(
                (self._target.scheme, self._target.netloc, parts.path, parts.query, parts.fragment)
            )
        return url
