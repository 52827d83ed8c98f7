"""Signing in and out, changing one's password, the console language.

- One error for every failed sign-in (unknown address, wrong password,
  inactive or locked account), and an argon2 check even for an unknown
  address, so neither the words nor the timing tell whether it exists.
- Five failures lock the account for fifteen minutes (``failed_logins``,
  ``locked_until``); failed attempts are also rate-limited per IP address
  (password spraying over many accounts).  A successful sign-in does not
  count: a whole office behind one address signs in at nine.
- Signing in clears the session first (no fixation) and stores the user id
  with ``session_version``; changing the password or "sign out everywhere"
  bumps the version, which ends every other session.
- After signing in, ``next`` is followed only to a path under /console.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2.exceptions import VerificationError
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from servicedesk import audit, users
from servicedesk.console import console
from servicedesk.console.forms import LanguageForm, LoginForm, PasswordForm
from servicedesk.console.identity import ConsoleUser, me, safe_next
from servicedesk.errors import ValidationError
from servicedesk.extensions import limiter
from servicedesk.models import User
from servicedesk.web import db, runtime

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
DEFAULT_LOGIN_LIMIT = "20 per minute;200 per hour"


def login_limit() -> str:
    return str(current_app.config.get("CONSOLE_LOGIN_LIMIT", DEFAULT_LOGIN_LIMIT))


def failed(response: Any) -> bool:
    """Whether an attempt counts towards the limit: every answer but the
    redirect of a success (a refusal, a bad form, a wrong password)."""
    return bool(response.status_code != 302)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return users.hasher.hash("not-anybody's-password")


def _spend_check_time(password: str) -> None:
    """The cost of one argon2 check, for answers that need no real one."""
    with contextlib.suppress(VerificationError):
        users.hasher.verify(_dummy_hash(), password)


def _verify(user: User | None, password: str) -> bool:
    """Whether ``password`` is the password of this active, unlocked user;
    a failure counts towards the lock (committed at once)."""
    session = db()
    now = runtime().now()
    if user is None or not user.is_active or not user.password_hash:
        _spend_check_time(password)
        logger.info("console sign-in refused: no active account")
        return False
    if user.locked_until is not None and user.locked_until > now:
        _spend_check_time(password)
        logger.info("console sign-in refused: user %s is locked", user.id)
        return False
    if not users.check_password(user, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_TIME
            user.failed_logins = 0
            audit.record(session, None, audit.Actor.of(user), "account_locked", "", at=now)
            logger.warning("console user %s locked after %d failures", user.id, MAX_FAILURES)
        session.commit()
        return False
    if users.needs_rehash(user):
        user.password_hash = users.hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    return True


def _authenticate(email: str, password: str) -> User | None:
    session = db()
    user = users.find_by_email(session, email)
    if not _verify(user, password):
        return None
    assert user is not None
    now = runtime().now()
    user.last_login_at = now
    audit.record(session, None, audit.Actor.of(user), "signed_in", "", at=now)
    session.commit()
    return user


def _start_session(user: User) -> None:
    session.clear()  # a fresh session: nothing from before signing in survives
    login_user(ConsoleUser(user))


@console.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], deduct_when=failed)
def login() -> Any:
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")))
        form.next.data = request.args.get("next", "")
        return render_template("console/login.html", form=form)
    error = None
    status = 400
    if form.validate():
        user = _authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            _start_session(user)
            return redirect(safe_next(form.next.data))
        error = _(
            "The email address or password is wrong, or the account is locked for "
            "15 minutes after too many failed attempts."
        )
        status = 401
    form.password.data = ""
    return render_template("console/login.html", form=form, error=error), status


@console.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("console.login"))


@console.route("/console/password", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], deduct_when=failed)
def password() -> Any:
    form = PasswordForm()
    if request.method == "GET":
        return render_template("console/password.html", form=form, language=_language_form())
    user = me()
    error = None
    if form.validate():
        error = _change_password(user, form)
        if error is None:
            flash(_("Your password was changed. Your other sessions were signed out."), "success")
            return redirect(url_for("console.password"))
    for field in (form.current, form.new, form.confirm):
        field.data = ""
    if user.locked_until is not None and user.locked_until > runtime().now():
        logout_user()
        session.clear()
        return redirect(url_for("console.login"))
    return render_template(
        "console/password.html", form=form, error=error, language=_language_form()
    ), 400


def _change_password(user: User, form: PasswordForm) -> str | None:
    """None when the password was changed, else why not."""
    current, new = form.current.data or "", form.new.data or ""
    if not _verify(user, current):
        return _("The current password is wrong.")
    if new != form.confirm.data:
        return _("The new passwords are not the same.")
    if new == current:
        return _("The new password must differ from the current one.")
    try:
        user.password_hash = users.hash_password(new)
    except ValidationError:
        return _("The new password must have at least %(n)d characters.", n=users.MIN_PASSWORD)
    user.session_version += 1
    audit.record(db(), None, audit.Actor.of(user), "password_changed", "", at=runtime().now())
    db().commit()
    _start_session(user)  # this session lives on under the new version
    return None


@console.post("/console/sessions/end")
def end_sessions() -> Any:
    """Sign out everywhere: every session of this user, this one included."""
    user = me()
    user.session_version += 1
    db().commit()
    logout_user()
    session.clear()
    flash(_("You were signed out on every device."), "success")
    return redirect(url_for("console.login"))


def _language_form() -> LanguageForm:
    form = LanguageForm(formdata=None)
    form.language.data = me().ui_language
    return form


@console.post("/console/language")
def language() -> Any:
    form = LanguageForm()
    if form.validate() and form.language.data in {"fi", "sv", "en"}:
        me().ui_language = form.language.data
        db().commit()
    return redirect(url_for("console.password"))
