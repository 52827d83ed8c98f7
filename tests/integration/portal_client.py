"""The public forms as a browser posts them, on Flask's test client: fetch
the page, take its CSRF token and submission id, post.  CSRF stays on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from servicedesk.extensions import limiter
from tests.reliability.http_client import hidden_fields

# Printable, valid PDF bytes are enough for the sniffer.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class PortalClient:
    client: FlaskClient

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get(path, **kw)

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        form_path: str | None = None,
        headers: dict[str, str] | None = None,
        hidden: dict[str, str] | None = None,
    ) -> TestResponse:
        """Post ``data`` with the hidden fields of the page at ``form_path``
        (default: ``path``), as a browser would."""
        if hidden is None:
            page = self.client.get(form_path or path, headers=headers)
            hidden = hidden_fields(page.get_data(as_text=True))
        boundary, body = encode_multipart(as_multidict({**hidden, **data}))
        return self.client.post(
            path,
            data=body,
            headers=headers,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


def as_multidict(data: dict[str, Any]) -> MultiDict[str, Any]:
    """Form values with ``(stream, filename)`` files, encoded in memory:
    the test client's own encoder leaves a temporary file open for large
    bodies (a ResourceWarning, an error here)."""
    values: MultiDict[str, Any] = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                stream, filename = item
                item = FileStorage(stream, filename, content_type="application/octet-stream")
            values.add(key, item)
    return values


def make_portal(app: Flask, client: FlaskClient) -> PortalClient:
    """What each test module's ``portal`` fixture returns: CSRF explicitly
    on (the app fixture is TESTING) and fresh rate-limit counters."""
    app.config.update(WTF_CSRF_ENABLED=True)
    limiter.reset()
    return PortalClient(client)
