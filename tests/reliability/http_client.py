"""HTTP clients as browsers and integrations are: one connection with a
cookie jar, keep-alive, and a source address of its own on the loopback
network when it stands for a separate person (every 127/8 address is
local on Linux; public forms are rate-limited per address, and a thousand
applicants do not share one).  Used by the reliability tests and the
benchmarks."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from html import unescape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

HIDDEN = re.compile(r'<input[^>]*\bname="(csrf_token|submission|csrfmiddlewaretoken)"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    found = {}
    for match in HIDDEN.finditer(page):
        value = VALUE.search(match.group(0))
        found[match.group(1)] = unescape(value.group(1)) if value else ""
    return found


def source_address(number: int) -> str:
    """The loopback address of simulated browser ``number`` (127.1.0.1 …)."""
    return f"127.{1 + number // 62500}.{(number // 250) % 250}.{number % 250 + 1}"


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpClient:
    """One connection with a cookie jar; reconnects when the server closed it."""

    def __init__(self, base_url: str, *, source: str | None = None, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.source = source
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                self.host,
                self.port,
                timeout=self.timeout,
                source_address=(self.source, 0) if self.source else None,
            )
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server had closed: once more.
                self.close()
                if attempt == 2:
                    raise
                continue
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            if response.headers.get("Connection", "").lower() == "close":
                self.close()
            return Answer(response.status, data, dict(response.headers.items()))
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post_form(
        self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.request(
            "POST",
            path,
            urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def post_json(
        self, path: str, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )
