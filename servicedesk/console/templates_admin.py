"""The message-template editor: every automatic message (event × language
× email/SMS) with its current text, an editor with a server-side preview
(live while typing when JavaScript runs), saving that refuses unknown
variables and texts that fail to render with the reason at the field, and
going back to the shipped default.

Who edits what:

- administrators: the national common part and every region's part;
- a regional desk's agents (role ``agent`` whose organisation is of kind
  ``regional_desk``): their own region's part only, and they see the
  national text it joins;
- anyone else: 404 on every page here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from flask_babel import lazy_gettext as tr_lazy
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import access, template_store
from servicedesk.console import console
from servicedesk.console.identity import me
from servicedesk.message_events import EVENTS, REGIONAL_PART, allowed_variables
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import Organization, Region, Role, User
from servicedesk.template_store import EMAIL, SMS, TemplateRejectedError
from servicedesk.web import db, runtime

EVENT_LABELS = {
    "ticket_received": tr_lazy("Ticket received (applicant desk)"),
    "staff_ticket_received": tr_lazy("Ticket received (staff desk)"),
    "ticket_forwarded": tr_lazy("Forwarded to an institution"),
    "reply": tr_lazy("Answer sent"),
    "pending_reminder": tr_lazy("Waiting for your reply (reminder)"),
    "resolved": tr_lazy("Resolved (with the survey link)"),
    "closed_automatically": tr_lazy("Closed automatically"),
    "ticket_routed": tr_lazy("New ticket for an institution (to its experts)"),
}
REGIONAL_DESK = "regional_desk"


@dataclass(frozen=True, slots=True)
class TemplateRights:
    """What the signed-in user may do here."""

    national: bool  # edit the national parts (and every region's)
    region: str | None  # the one region whose part they edit (regional agents)

    @property
    def any(self) -> bool:
        return self.national or self.region is not None

    def may_edit(self, region_code: str | None) -> bool:
        if region_code is None:
            return self.national
        return self.national or region_code == self.region


def rights(session: Session, user: User | None) -> TemplateRights:
    if user is None or not user.is_active:
        return TemplateRights(False, None)
    if access.can_administer(user):
        return TemplateRights(True, None)
    if Role(user.role) is Role.AGENT and user.organization_id:
        organization = session.get(Organization, user.organization_id)
        if organization is not None and organization.kind == REGIONAL_DESK:
            return TemplateRights(False, organization.region_code)
    return TemplateRights(False, None)


def _my_rights() -> TemplateRights:
    found = rights(db(), me())
    if not found.any:
        abort(404)
    return found


@console.context_processor
def templates_context() -> dict[str, Any]:
    def may_edit_templates() -> bool:
        user = current_user.user if current_user.is_authenticated else None
        return rights(db(), user).any

    return {"may_edit_templates": may_edit_templates, "event_label": event_label}


def event_label(event: str) -> str:
    return str(EVENT_LABELS.get(event, event))


_UNKNOWN = re.compile(r"unknown variables? (?P<unknown>.+); this message may use (?P<allowed>.+)")
_SEGMENTS = re.compile(r"takes (?P<n>\d+) segments.*at most (?P<max>\d+)")


def explain_problem(problem: str) -> str:
    """A reason from ``template_store`` in the user's language where the
    case is known; otherwise the domain's own words."""
    if found := _UNKNOWN.search(problem):
        return tr(
            "Unknown variables: %(unknown)s. This message may use: %(allowed)s.",
            unknown=found["unknown"],
            allowed=found["allowed"],
        )
    if found := _SEGMENTS.search(problem):
        return tr(
            "The SMS takes %(n)s segments with sample values; at most %(max)s are allowed.",
            n=found["n"],
            max=found["max"],
        )
    if problem.startswith("the template does not render") or problem.startswith(
        "the message does not render"
    ):
        detail = problem.split(": ", 1)[-1]
        return tr("The template does not render: %(detail)s", detail=detail)
    if problem.startswith("line "):
        return tr("The template cannot be read: %(detail)s", detail=problem)
    if problem == "the template is empty":
        return tr("The template is empty.")
    if problem.startswith("an email template must start"):
        return tr("An email template must start with a line 'Subject: ...'.")
    if problem.startswith("a regional part has no subject"):
        return tr("A regional part has no subject line: the national template has it.")
    return problem


def _regions(session: Session) -> list[Region]:
    return list(session.execute(select(Region).order_by(Region.code)).scalars())


@console.get("/console/admin/templates")
def templates_list() -> Any:
    session = db()
    allowed = _my_rights()
    regions = _regions(session)
    chosen = allowed.region or request.args.get("region") or None
    if chosen is not None and chosen not in {r.code for r in regions}:
        chosen = None
    entries = template_store.entries(session)
    national = {(e.event, e.language, e.variant): e for e in entries if not e.region}
    regional = [e for e in entries if e.region]
    mine = {(e.event, e.language, e.variant): e for e in regional if e.region == chosen}
    return render_template(
        "console_kb/templates_list.html",
        events=list(EVENTS.values()),
        languages=LANGUAGES,
        national=national,
        regional=regional if allowed.national else [e for e in regional if e.region == chosen],
        mine=mine,
        region=chosen,
        regions=regions,
        rights=allowed,
    )


def _target(event: str, language: str, variant: str) -> tuple[bool, str | None]:
    """(sms, region) of an editor address; 404 for anything unknown or
    not the user's to edit."""
    spec = EVENTS.get(event)
    if spec is None or language not in LANGUAGES or variant not in (EMAIL, SMS):
        abort(404)
    if variant == SMS and not spec.has_sms:
        abort(404)
    region = request.values.get("region") or None
    if region is not None and db().get(Region, region) is None:
        abort(404)
    if not _my_rights().may_edit(region):
        abort(404)
    return variant == SMS, region


def _editor(
    event: str,
    language: str,
    variant: str,
    text: str,
    *,
    region: str | None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Any:
    session = db()
    sms = variant == SMS
    current, is_override = template_store.source(
        session, event, language, sms=sms, region_code=region
    )
    preview = template_store.preview(session, event, language, text, sms=sms, region_code=region)
    names = allowed_variables(event, sms=sms) - ({REGIONAL_PART} if region else set())
    national_text = template_store.source(session, event, language, sms=sms)[0] if region else None
    return (
        render_template(
            "console_kb/template_edit.html",
            event=event,
            language=language,
            variant=variant,
            region=region,
            text=text,
            is_override=is_override,
            unchanged=text == current,
            variables=sorted(names),
            preview=preview,
            preview_problems=[explain_problem(p) for p in preview.problems],
            problems=[explain_problem(p) for p in problems or []],
            national_text=national_text,
        ),
        status,
    )


@console.get("/console/admin/templates/<event>/<language>/<variant>")
def template_edit(event: str, language: str, variant: str) -> Any:
    sms, region = _target(event, language, variant)
    text, _override = template_store.source(db(), event, language, sms=sms, region_code=region)
    return _editor(event, language, variant, text, region=region)


@console.post("/console/admin/templates/<event>/<language>/<variant>")
def template_save(event: str, language: str, variant: str) -> Any:
    sms, region = _target(event, language, variant)
    text = request.form.get("text", "").replace("\r\n", "\n")
    if request.form.get("action") == "preview":
        return _editor(event, language, variant, text, region=region)
    session = db()
    try:
        template_store.save(
            session,
            event,
            language,
            text,
            sms=sms,
            region_code=region,
            user=me(),
            now=runtime().now(),
        )
        session.commit()
    except TemplateRejectedError as exc:
        session.rollback()
        return _editor(
            event, language, variant, text, region=region, problems=exc.problems, status=400
        )
    flash(tr("The template was saved."), "success")
    return redirect(
        url_for(
            "console.template_edit", event=event, language=language, variant=variant, region=region
        )
    )


@console.post("/console/admin/templates/<event>/<language>/<variant>/preview")
def template_preview(event: str, language: str, variant: str) -> Any:
    """The live preview (a fragment the editor's script puts in place)."""
    sms, region = _target(event, language, variant)
    text = request.form.get("text", "").replace("\r\n", "\n")
    preview = template_store.preview(db(), event, language, text, sms=sms, region_code=region)
    return render_template(
        "console_kb/_template_preview.html",
        preview=preview,
        preview_problems=[explain_problem(p) for p in preview.problems],
        variant=variant,
    )


@console.post("/console/admin/templates/<event>/<language>/<variant>/reset")
def template_reset(event: str, language: str, variant: str) -> Any:
    sms, region = _target(event, language, variant)
    session = db()
    removed = template_store.reset(
        session, event, language, sms=sms, region_code=region, user=me(), now=runtime().now()
    )
    session.commit()
    if removed:
        flash(
            tr("The regional part was removed.")
            if region
            else tr("The template is back to the shipped default."),
            "success",
        )
    return redirect(
        url_for(
            "console.template_edit", event=event, language=language, variant=variant, region=region
        )
    )
