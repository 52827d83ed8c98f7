"""The OpenAPI 3 document at /api/v1/openapi.json, written to match the
behaviour (the test suite runs schemathesis against it)."""

from __future__ import annotations

from typing import Any

from servicedesk.api import api, ok
from servicedesk.web import runtime
from servicedesk.whole_numbers import MAX_ROW_ID

TOPIC_IDS = [
    "funding",
    "application",
    "results",
    "content",
    "duration",
    "recognition",
    "suitability",
    "competence_qualification",
    "apprenticeship",
    "labour_market_training",
    "study_modes",
    "language_math",
    "it_skills",
    "technical",
    "other",
]
NULLABLE_STRING = {"type": "string", "nullable": True}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


ERRORS = {
    "400": _error("Invalid input"),
    "401": _error("Missing or invalid bearer token"),
    "404": _error("No such ticket, or not visible to this token"),
    "413": _error("Request body too large"),
}

NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{4}-\d{6,}$"},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
            }
        },
    },
    "Enquiry": {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "audience": {"type": "string", "enum": ["applicant", "staff"]},
            "channel": {"type": "string", "enum": ["api", "web", "email", "sms", "phone"]},
            "name": {"type": "string", "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "phone": {"type": "string", "maxLength": 40, "example": "+358401234567"},
            "municipality": {
                "type": "string",
                "maxLength": 100,
                "description": "municipality code or Finnish/Swedish name",
            },
            "institution": {
                "type": "string",
                "maxLength": 200,
                "description": "organisation id or alias",
            },
            "language": {"type": "string", "enum": ["fi", "sv", "en"]},
            "subject": {"type": "string", "maxLength": 500},
            "body": {"type": "string", "minLength": 1, "maxLength": 100000},
        },
    },
    "EnquiryResult": {
        "type": "object",
        "required": ["ticket", "routing"],
        "properties": {
            "ticket": {
                "type": "object",
                "required": [
                    "number",
                    "status",
                    "audience",
                    "queue",
                    "organization",
                    "region",
                    "topic",
                    "language",
                ],
                "properties": {
                    "number": {"type": "string"},
                    "status": {"type": "string"},
                    "audience": {"type": "string", "enum": ["applicant", "staff"]},
                    "queue": NULLABLE_STRING,
                    "organization": NULLABLE_STRING,
                    "region": {"type": "string", "nullable": True, "pattern": r"^\d\d$"},
                    "topic": {"type": "string", "enum": TOPIC_IDS},
                    "language": {"type": "string", "enum": ["fi", "sv", "en"]},
                },
            },
            "routing": {
                "type": "object",
                "required": ["reasons"],
                "properties": {"reasons": {"type": "array", "items": {"type": "string"}}},
            },
        },
    },
    "EnquiryReceived": {
        "type": "object",
        "required": ["received", "message"],
        "properties": {
            "received": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["received"]},
                },
            },
            "message": {"type": "string"},
        },
    },
    "TicketSummary": {
        "type": "object",
        "required": [
            "number",
            "subject",
            "status",
            "audience",
            "channel",
            "queue",
            "organization",
            "region",
            "topic",
            "language",
            "created_at",
        ],
        "properties": {
            "number": {"type": "string"},
            "subject": {"type": "string"},
            "status": {"type": "string", "enum": ["new", "open", "pending", "resolved", "closed"]},
            "audience": {"type": "string"},
            "channel": {"type": "string"},
            "queue": NULLABLE_STRING,
            "organization": NULLABLE_STRING,
            "region": NULLABLE_STRING,
            "topic": {"type": "string"},
            "language": {"type": "string"},
            "priority": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "TicketList": {
        "type": "object",
        "required": ["tickets", "page", "next_page"],
        "properties": {
            "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/TicketSummary"}},
            "page": {"type": "integer"},
            "next_page": {"type": "integer", "nullable": True},
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "direction", "channel", "body", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "direction": {"type": "string", "enum": ["inbound", "outbound", "note"]},
            "channel": {"type": "string"},
            "sender": {"type": "string"},
            "recipient": {"type": "string"},
            "subject": {"type": "string"},
            "body": {"type": "string"},
            "auto_kind": {"type": "string"},
            "public": {"type": "boolean"},
            "delivery_status": NULLABLE_STRING,
            "delivery_error": NULLABLE_STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "attachments": {"type": "array", "items": {"type": "object"}},
        },
    },
    "TicketDetail": {
        "type": "object",
        "required": ["ticket", "messages", "events"],
        "properties": {
            "ticket": {"type": "object"},
            "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
            "events": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Reply": {
        "type": "object",
        "required": ["body"],
        "additionalProperties": False,
        "properties": {
            "body": {"type": "string", "minLength": 1, "maxLength": 100000},
            "channel": {"type": "string", "enum": ["email", "sms"]},
            "seen": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_ROW_ID,
                "description": (
                    "The id of the newest inbound message (from the contact) the answer "
                    "was written after reading. When the contact has written since, the "
                    "answer is not sent (409, field seen): read the ticket again. "
                    "Without it the answer is sent as it is."
                ),
            },
        },
    },
    "Call": {
        "type": "object",
        "required": ["direction", "number", "summary"],
        "additionalProperties": False,
        "properties": {
            "direction": {"type": "string", "enum": ["inbound", "outbound"]},
            "number": {"type": "string", "maxLength": 32},
            "summary": {"type": "string", "minLength": 1, "maxLength": 100000},
            "duration_minutes": {"type": "integer", "minimum": 0, "maximum": 600},
        },
    },
}


def document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "servicedesk API",
            "version": "1",
            "description": "Enquiries in, tickets out. Bearer tokens from "
            "`servicedesk token create`.",
        },
        "servers": [{"url": base_url + "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "security": [{"bearer": []}],
        "paths": {
            "/enquiries": {
                "post": {
                    "summary": "Submit an enquiry; it becomes a routed ticket",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A random key (a UUID) per enquiry: the same "
                            "request sent again with the same token gets the same ticket.  "
                            "Never made of personal data such as an identity code (refused).",
                            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{8,128}$"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Enquiry"}}
                        },
                    },
                    "responses": {
                        "201": _json("EnquiryResult", "Created"),
                        "200": _json("EnquiryResult", "Already received (same Idempotency-Key)"),
                        "202": _json(
                            "EnquiryReceived",
                            "Stored, the ticket not made yet: the desk was busy and its "
                            "workers make it shortly, or it retries by itself after a failure "
                            "(do not send it again: the same Idempotency-Key gets the ticket)",
                        ),
                        **ERRORS,
                        "422": _error(
                            "The Idempotency-Key came before with a different enquiry "
                            "(code idempotency_key_reused); nothing was stored"
                        ),
                    },
                }
            },
            "/tickets": {
                "get": {
                    "summary": "List tickets, newest first",
                    "parameters": [
                        {"name": "queue", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["new", "open", "pending", "resolved", "closed"],
                            },
                        },
                        {
                            "name": "audience",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["applicant", "staff"]},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
                        },
                    ],
                    "responses": {"200": _json("TicketList", "A page of tickets"), **ERRORS},
                }
            },
            "/tickets/{number}": {
                "get": {
                    "summary": "One ticket with its messages and events",
                    "parameters": [NUMBER],
                    "responses": {"200": _json("TicketDetail", "The ticket"), **ERRORS},
                }
            },
            "/tickets/{number}/replies": {
                "post": {
                    "summary": "Answer the contact on the ticket's channel",
                    "parameters": [NUMBER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Reply"}}
                        },
                    },
                    "responses": {
                        "201": {"description": "Queued for delivery"},
                        "409": _error(
                            "The ticket is closed, the contact cannot be reached, or the "
                            "contact wrote again after the message given as seen"
                        ),
                        **ERRORS,
                    },
                }
            },
            "/tickets/{number}/calls": {
                "post": {
                    "summary": "Log a phone call by hand",
                    "parameters": [NUMBER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Call"}}
                        },
                    },
                    "responses": {"201": {"description": "Logged"}, **ERRORS},
                }
            },
        },
    }


@api.get("/openapi.json")
def openapi() -> Any:
    return ok(document(runtime().settings.base_url))
