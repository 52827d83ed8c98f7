"""JSON API v1: one versioned blueprint, bearer tokens, JSON errors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from servicedesk import tokens
from servicedesk.extensions import csrf
from servicedesk.web import db, error_response, runtime

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)

PUBLIC_ENDPOINTS = {"api.openapi"}


@api.before_request
def authenticate() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, "unauthorized", "a bearer token is required")
    row = tokens.verify(db(), token.strip(), runtime().now())
    if row is None:
        return error_response(401, "unauthorized", "the token is not valid")
    db().commit()
    g.api_token = row
    return None


@api.after_request
def no_store(response: Any) -> Any:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def json_body() -> dict[str, Any]:
    from servicedesk.errors import ValidationError

    if not request.is_json:
        raise ValidationError("send a JSON object with Content-Type: application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object")
    return data


def ok(payload: dict[str, Any], status: int = 200) -> Any:
    return jsonify(payload), status


from servicedesk.api import enquiries, openapi, tickets  # noqa: E402,F401  (registers routes)
