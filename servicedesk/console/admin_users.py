"""Users and roles: the list, a new user, and one user's page with their
role, organisation, languages and topics, a password reset, and
deactivation.  The rules and the audit events are ``servicedesk.accounts``;
a generated password is shown once, on the page that answers the POST,
and never stored or logged in the clear."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as tr
from sqlalchemy import select

from routing.vocabulary import LANGUAGES, TOPICS
from servicedesk import accounts
from servicedesk.console import console, forms, labels
from servicedesk.console.admin_forms import NewUserForm, PasswordFields, ProfileForm
from servicedesk.console.identity import me
from servicedesk.errors import ServiceDeskError
from servicedesk.models import Organization, QueueMember, Role, User
from servicedesk.web import db, runtime


def _explain(exc: ServiceDeskError) -> str:
    """The reason for a refusal in the user's language where we know it."""
    text = exc.message
    if exc.field == "email" and "exists" in text:
        return tr("A user with this email address exists already.")
    if exc.field == "email":
        return tr("Check the email address.")
    if exc.field == "organization" and "needs" in text:
        return tr("Choose the organisation: this role works for one organisation only.")
    if exc.field == "password":
        return tr("The password must have at least 10 characters.")
    if "own administrator role" in text:
        return tr("You cannot take away your own administrator role.")
    if "yourself" in text:
        return tr("You cannot deactivate yourself.")
    if "last active administrator" in text:
        return tr("The last active administrator must stay one.")
    return text


def _fill(form: ProfileForm) -> None:
    organizations = db().execute(
        select(Organization).order_by(Organization.position, Organization.id)
    )
    form.role.choices = forms.choices((r.value, labels.label(labels.ROLES, r.value)) for r in Role)
    form.organization.choices = forms.choices(
        [("", tr("None (national roles)"))]
        + [(o.id, f"{o.name(_language())} ({o.id})") for o in organizations.scalars()]
    )
    form.languages.choices = forms.choices(
        (x, labels.label(labels.LANGUAGES, x)) for x in LANGUAGES
    )
    form.topics.choices = forms.choices((t, labels.label(labels.TOPICS, t)) for t in TOPICS)


def _language() -> str:
    return str(me().ui_language or "fi")


def _profile(form: ProfileForm) -> accounts.Profile:
    return accounts.Profile(
        name=form.name.data or "",
        role=form.role.data or "",
        organization_id=form.organization.data or None,
        languages=tuple(form.languages.data or ()),
        topics=tuple(form.topics.data or ()),
    )


def _first_error(form: Any) -> str:
    return next((str(e) for errors in form.errors.values() for e in errors), tr("Check the form."))


def _user_or_404(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


@console.get("/console/admin/users")
def admin_users() -> Any:
    return render_template("console_admin/users.html", users=accounts.list_users(db()))


@console.route("/console/admin/users/new", methods=["GET", "POST"])
def admin_user_new() -> Any:
    form = NewUserForm()
    _fill(form)
    if request.method == "GET":
        form.role.data = form.role.data or Role.AGENT.value
        form.languages.data = ["fi"]
        return render_template("console_admin/user_new.html", form=form)
    error = None
    if form.validate():
        session = db()
        try:
            user, generated = accounts.create(
                session,
                me(),
                form.email.data or "",
                _profile(form),
                form.password.data or None,
                runtime().now(),
            )
            session.commit()
        except ServiceDeskError as exc:
            session.rollback()
            error = _explain(exc)
        else:
            if generated:
                return render_template(
                    "console_admin/password_shown.html", user=user, password=generated
                )
            flash(tr("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("console.admin_user", user_id=user.id))
    else:
        error = _first_error(form)
    return render_template("console_admin/user_new.html", form=form, error=error), 400


def _user_page(user: User, status: int = 200, **context: Any) -> Any:
    profile = context.pop("profile", None) or ProfileForm(
        prefix="profile",
        formdata=None,
        data={
            "name": user.name,
            "role": user.role,
            "organization": user.organization_id or "",
            "languages": list(user.languages or []),
            "topics": list(user.topics or []),
        },
    )
    _fill(profile)
    password = context.pop("password", None) or PasswordFields(prefix="password", formdata=None)
    queues = (
        db()
        .execute(select(QueueMember.queue_id).where(QueueMember.user_id == user.id))
        .scalars()
        .all()
    )
    return (
        render_template(
            "console_admin/user.html",
            user=user,
            profile=profile,
            password=password,
            queues=sorted(queues),
            is_me=user.id == me().id,
            **context,
        ),
        status,
    )


@console.get("/console/admin/users/<int:user_id>")
def admin_user(user_id: int) -> Any:
    return _user_page(_user_or_404(user_id))


@console.post("/console/admin/users/<int:user_id>/profile")
def admin_user_profile(user_id: int) -> Any:
    user, session = _user_or_404(user_id), db()
    form = ProfileForm(prefix="profile")
    _fill(form)
    if not form.validate():
        return _user_page(user, 400, profile=form, submitted="profile", error=_first_error(form))
    try:
        changed = accounts.update(session, me(), user, _profile(form), runtime().now())
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        return _user_page(user, 409, profile=form, submitted="profile", error=_explain(exc))
    flash(tr("Saved.") if changed else tr("Nothing was changed."), "success")
    return redirect(url_for("console.admin_user", user_id=user.id))


@console.post("/console/admin/users/<int:user_id>/password")
def admin_user_password(user_id: int) -> Any:
    user, session = _user_or_404(user_id), db()
    form = PasswordFields(prefix="password")
    if not form.validate():
        return _user_page(user, 400, password=form, submitted="password", error=_first_error(form))
    try:
        generated = accounts.reset_password(
            session, me(), user, form.password.data or None, runtime().now()
        )
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        return _user_page(user, 400, password=form, submitted="password", error=_explain(exc))
    if generated:
        return render_template("console_admin/password_shown.html", user=user, password=generated)
    flash(tr("The password of %(email)s was changed.", email=user.email), "success")
    return redirect(url_for("console.admin_user", user_id=user.id))


@console.post("/console/admin/users/<int:user_id>/active")
def admin_user_active(user_id: int) -> Any:
    user, session = _user_or_404(user_id), db()
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(session, me(), user, active, runtime().now())
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        return _user_page(user, 409, submitted="active", error=_explain(exc))
    if active:
        flash(tr("%(email)s can sign in again.", email=user.email), "success")
    else:
        flash(tr("%(email)s was deactivated and signed out.", email=user.email), "success")
    return redirect(url_for("console.admin_user", user_id=user.id))
