"""Ticket endpoints: list, show, reply, log a call."""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import select

from servicedesk import access, outbox
from servicedesk import tickets as ticket_ops
from servicedesk.api import api, json_body, ok
from servicedesk.api.serialize import message_json, ticket_detail, ticket_summary
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import Ticket, User
from servicedesk.web import db, runtime
from servicedesk.whole_numbers import MAX_ROW_ID, whole_number

PAGE_SIZE = 50
MAX_PAGE = 100_000


def token_user() -> User | None:
    token = g.api_token
    return db().get(User, token.user_id) if token.user_id else None


def _page() -> int:
    page = whole_number(request.args.get("page", "1"), low=1, high=MAX_PAGE)
    if page is None:
        raise ValidationError(f"page must be a whole number from 1 to {MAX_PAGE}", field="page")
    return page


@api.get("/tickets")
def list_tickets() -> Any:
    page = _page()
    query = select(Ticket).where(access.visible(token_user()))
    for name, column in (("queue", Ticket.queue_id), ("audience", Ticket.audience)):
        value = request.args.get(name)
        if value:
            query = query.where(column == value)
    status = request.args.get("status")
    if status:
        if status not in set(TicketStatus):
            raise ValidationError(
                "status must be one of: " + ", ".join(TicketStatus), field="status"
            )
        query = query.where(Ticket.status == status)
    audience = request.args.get("audience")
    if audience and audience not in {"applicant", "staff"}:
        raise ValidationError("audience must be applicant or staff", field="audience")
    rows = (
        db()
        .execute(
            query.order_by(Ticket.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        )
        .scalars()
        .all()
    )
    return ok(
        {
            "tickets": [ticket_summary(t) for t in rows[:PAGE_SIZE]],
            "page": page,
            "next_page": page + 1 if len(rows) > PAGE_SIZE else None,
        }
    )


@api.get("/tickets/<number>")
def show_ticket(number: str) -> Any:
    ticket = ticket_ops.get_visible(db(), number, token_user())
    return ok(ticket_detail(db(), ticket))


@api.post("/tickets/<number>/replies")
def reply(number: str) -> Any:
    data = json_body()
    session = db()
    ticket = ticket_ops.get_visible(session, number, token_user())
    body = data.get("body")
    if not isinstance(body, str):
        raise ValidationError("body is required and must be a string", field="body")
    channel = data.get("channel")
    if channel is not None and (not isinstance(channel, str) or channel not in {"email", "sms"}):
        raise ValidationError("channel must be email or sms", field="channel")
    seen = data.get("seen")
    if seen is not None and (
        not isinstance(seen, int) or isinstance(seen, bool) or not 0 <= seen <= MAX_ROW_ID
    ):
        raise ValidationError("seen must be a message id", field="seen")
    unknown = sorted(set(data) - {"body", "channel", "seen"})
    if unknown:
        raise ValidationError(f"unknown field: {unknown[0]}", field=unknown[0])
    # Locked until the commit, as the console and the intake lock it.
    session.refresh(ticket, with_for_update=True)
    if seen is not None and ticket_ops.wrote_since(session, ticket, seen):
        raise ConflictError(
            f"the contact wrote again after message {seen}: read the ticket and answer again",
            field="seen",
        )
    rt = runtime()
    message = ticket_ops.reply(session, rt, ticket, body, token_user(), channel=channel)
    outbox_ids = outbox.pending_for(session, [ticket.id])
    session.commit()
    outbox.dispatch(rt, outbox_ids)
    session.refresh(message)
    return ok({"message": message_json(message, []), "ticket": ticket_summary(ticket)}, 201)


@api.post("/tickets/<number>/calls")
def log_call(number: str) -> Any:
    data = json_body()
    session = db()
    ticket = ticket_ops.get_visible(session, number, token_user())
    for name in ("direction", "number", "summary"):
        if not isinstance(data.get(name), str):
            raise ValidationError(f"{name} is required and must be a string", field=name)
    minutes = data.get("duration_minutes")
    if minutes is not None and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 600
    ):
        raise ValidationError(
            "duration_minutes must be a whole number from 0 to 600", field="duration_minutes"
        )
    message = ticket_ops.log_call(
        session,
        ticket,
        token_user(),
        runtime().now(),
        direction=data["direction"],
        number=data["number"][:32],
        summary=data["summary"],
        duration_minutes=minutes,
    )
    session.commit()
    return ok({"message": message_json(message, [])}, 201)
