"""API tokens: the list (prefix, name, whom the token acts as, when it was
made and last used, revoked or not), a new token shown once on the page
that answers the POST (only its SHA-256 is kept, see ``tokens``), and
revoking one.  A token acting as nobody sees every ticket, like an
integration; one acting as a user sees what that user sees."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as tr
from sqlalchemy import select

from servicedesk import tokens
from servicedesk.console import console, forms, labels
from servicedesk.console.admin_forms import TokenForm
from servicedesk.console.admin_home import record
from servicedesk.models import ApiToken, User
from servicedesk.web import db, runtime


def _fill(form: TokenForm) -> None:
    users = db().execute(select(User).where(User.is_active).order_by(User.name, User.id))
    form.user.choices = forms.choices(
        [("", tr("Nobody: an integration that sees every ticket"))]
        + [
            (str(u.id), f"{u.name} <{u.email}> ({labels.label(labels.ROLES, u.role)})")
            for u in users.scalars()
        ]
    )


def _page(form: TokenForm | None = None, status: int = 200, **context: Any) -> Any:
    if form is None:
        form = TokenForm(formdata=None)
    _fill(form)
    session = db()
    rows = session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    ).all()
    return (
        render_template("console_admin/tokens.html", form=form, rows=rows, **context),
        status,
    )


@console.get("/console/admin/tokens")
def admin_tokens() -> Any:
    return _page()


@console.post("/console/admin/tokens")
def admin_token_create() -> Any:
    form = TokenForm()
    _fill(form)
    if not form.validate() or form.user.data not in forms.values_of(form.user):
        error = next(
            (str(e) for errors in form.errors.values() for e in errors),
            tr("Choose whom the token acts as."),
        )
        return _page(form, 400, error=error)
    session = db()
    user_id = int(form.user.data) if form.user.data else None
    row, secret = tokens.create(session, (form.name.data or "").strip(), runtime().now(), user_id)
    record(
        "api_token_created",
        {"token_id": row.id, "name": row.name, "prefix": row.prefix, "user_id": user_id},
    )
    session.commit()
    return _page(created=row, secret=secret)


@console.post("/console/admin/tokens/<int:token_id>/revoke")
def admin_token_revoke(token_id: int) -> Any:
    session = db()
    row = session.get(ApiToken, token_id)
    if row is None:
        abort(404)
    if row.revoked_at is None:
        row.revoked_at = runtime().now()
        record("api_token_revoked", {"token_id": row.id, "name": row.name, "prefix": row.prefix})
        session.commit()
        flash(tr("The token %(name)s was revoked.", name=row.name), "success")
    else:
        flash(tr("The token %(name)s was already revoked.", name=row.name), "success")
    return redirect(url_for("console.admin_tokens"))
