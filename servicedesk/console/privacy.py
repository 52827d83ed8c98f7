"""Data protection in the console (administrators only; 404 for anyone
else): each desk's retention policy, the retention run (a dry run's
report first, then the run itself, confirmed), a contact's export (JSON
download or a readable page) and erasure on request, confirmed.  Every
action leaves an audit event: the domain writes its own for exports,
erasures, anonymised tickets and retention runs (the latest runs are
listed on the page); the policy changes and the dry runs are recorded
here.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from flask_babel import lazy_gettext as tr_lazy
from wtforms import IntegerField
from wtforms.validators import InputRequired

from servicedesk import access, audit, contact_export, desk_policies, retention, retention_runs
from servicedesk.console import console
from servicedesk.console.forms import ConsoleForm
from servicedesk.console.identity import me
from servicedesk.errors import NotFoundError, ValidationError
from servicedesk.web import db, runtime

EXPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
COUNT_WORDS = {
    "tickets": tr_lazy("tickets"),
    "messages": tr_lazy("messages"),
    "attachments": tr_lazy("attachments"),
    "call_records": tr_lazy("phone calls"),
    "outbox_items": tr_lazy("sent messages"),
    "intake_records": tr_lazy("raw received messages"),
    "surveys": tr_lazy("survey comments"),
    "audit_events": tr_lazy("history entries"),
    "contacts": tr_lazy("contacts"),
    "files_deleted": tr_lazy("files deleted"),
}
MAX_LISTED = 200
RUNS_SHOWN = 10


class PolicyForm(ConsoleForm):
    retention_months = IntegerField(
        tr_lazy("Keep personal data after closing (months)"), [InputRequired()]
    )
    reminder_days = IntegerField(
        tr_lazy("Remind a contact who has not answered after (days)"), [InputRequired()]
    )
    close_after_days = IntegerField(
        tr_lazy("Close a resolved ticket after (days)"), [InputRequired()]
    )


def _admin() -> None:
    if not access.can_administer(me()):
        abort(404)


def _forms(submitted: PolicyForm | None = None, desk: str = "") -> dict[str, PolicyForm]:
    made = {}
    for policy in desk_policies.all_policies(db()):
        if policy.desk == desk and submitted is not None:
            made[policy.desk] = submitted
            continue
        form = PolicyForm(prefix=policy.desk, formdata=None)
        form.retention_months.data = policy.retention_months
        form.reminder_days.data = policy.reminder_days
        form.close_after_days.data = policy.close_after_days
        made[policy.desk] = form
    return made


def _home(status: int = 200, **context: Any) -> Any:
    values: dict[str, Any] = {
        "forms": _forms(),
        "identifier": "",
        "export_error": None,
        "erase_error": None,
        "runs": retention_runs.latest(db(), RUNS_SHOWN),
    }
    values.update(context)
    return render_template("console_kb/privacy.html", **values), status


@console.context_processor
def privacy_context() -> dict[str, Any]:
    return {"count_word": lambda key: str(COUNT_WORDS.get(key, key))}


@console.get("/console/admin/privacy")
def privacy_home() -> Any:
    _admin()
    return _home()


@console.post("/console/admin/privacy/policies/<desk>")
def privacy_policy(desk: str) -> Any:
    _admin()
    if desk not in desk_policies.DESKS:
        abort(404)
    form = PolicyForm(prefix=desk)
    session, user, now = db(), me(), runtime().now()
    if not form.validate():
        return _home(400, forms=_forms(form, desk))
    before = desk_policies.policy(session, desk)
    try:
        after = desk_policies.set_policy(
            session,
            desk,
            retention_months=form.retention_months.data or 0,
            reminder_days=form.reminder_days.data or 0,
            close_after_days=form.close_after_days.data or 0,
            user=user,
            now=now,
        )
    except ValidationError as exc:
        session.rollback()
        field = getattr(form, exc.field or "", form.retention_months)
        field.errors = [*field.errors, exc.message]
        return _home(400, forms=_forms(form, desk))
    audit.record(
        session,
        None,
        audit.Actor.of(user),
        "desk_policy_changed",
        "",
        {
            "desk": desk,
            "from": [before.retention_months, before.reminder_days, before.close_after_days],
            "to": [after.retention_months, after.reminder_days, after.close_after_days],
        },
        at=now,
    )
    session.commit()
    flash(tr("The policy of the desk was saved."), "success")
    return redirect(url_for("console.privacy_home"))


@console.post("/console/admin/privacy/retention")
def privacy_retention() -> Any:
    """A dry run (what would be removed), or the run itself once confirmed."""
    _admin()
    session, user, rt = db(), me(), runtime()
    actor = audit.Actor.of(user)
    if request.form.get("action") == "run":
        if request.form.get("confirm") != "yes":
            report = retention.run(session, rt.now(), dry_run=True)
            return _retention_page(report, error=tr("Tick the box to confirm the run."), status=400)
        report = retention.run_recorded(session, rt.storage, rt.now(), actor=actor)
        return _retention_page(report)
    report = retention.run(session, rt.now(), dry_run=True)
    session.rollback()
    audit.record(
        session,
        None,
        actor,
        "retention_dry_run",
        "",
        {"tickets": len(report.tickets)},
        at=rt.now(),
    )
    session.commit()
    return _retention_page(report)


def _retention_page(report: retention.RetentionReport, error: str = "", status: int = 200) -> Any:
    return (
        render_template(
            "console_kb/privacy_retention.html",
            report=report,
            listed=report.tickets[:MAX_LISTED],
            error=error,
        ),
        status,
    )


def _identifier() -> str:
    return request.form.get("identifier", "").strip()[:254]


@console.post("/console/admin/privacy/export")
def privacy_export() -> Any:
    """Everything held about one contact: JSON to download, or the page."""
    _admin()
    session, user = db(), me()
    identifier = _identifier()
    try:
        data = contact_export.export_contact(
            session, identifier, actor=audit.Actor.of(user), now=runtime().now()
        )
    except NotFoundError:
        session.rollback()
        return _home(
            404,
            identifier=identifier,
            export_error=tr("No contact has that email address or phone number."),
        )
    session.commit()
    if request.form.get("format") == "json":
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="contact-{data["contact"]["id"]}.json"'
                )
            },
        )
    return contact_export.export_html(data), 200, {"Content-Security-Policy": EXPORT_POLICY}


@console.post("/console/admin/privacy/erase")
def privacy_erase() -> Any:
    """Erasure on request: first what would be erased, then, confirmed, the
    erasure itself."""
    _admin()
    session, user, rt = db(), me(), runtime()
    identifier = _identifier()
    contact = retention.find_contact(session, identifier) if identifier else None
    if contact is None:
        return _home(
            404,
            identifier=identifier,
            erase_error=tr("No contact has that email address or phone number."),
        )
    confirmed = request.form.get("confirm") == "yes"
    if request.form.get("action") != "erase" or not confirmed:
        preview = contact_export.collect(session, contact, rt.now())
        error = tr("Tick the box to confirm the erasure.") if request.form.get("action") else ""
        return render_template(
            "console_kb/privacy_erase.html",
            identifier=identifier,
            data=preview,
            error=error,
        ), (400 if error else 200)
    report = retention.erase_contact(session, identifier, actor=audit.Actor.of(user), now=rt.now())
    session.commit()
    report.counts["files_deleted"] = retention.delete_files(
        session, rt.storage, report.storage_keys
    )
    flash(tr("Everything personal about the contact was erased."), "success")
    return _retention_page(report)
