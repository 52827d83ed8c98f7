"""The application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from servicedesk import runtime as runtime_module
from servicedesk.extensions import babel, csrf, limiter, login_manager
from servicedesk.resources import templates_dir
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.web import (
    close_session,
    db,
    install_error_handlers,
    refuse_nul_characters,
    runtime,
)

LANGUAGES = ("fi", "sv", "en")


def select_locale() -> str:
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        return requested
    user_language = getattr(g, "ui_language", None)
    if user_language in LANGUAGES:
        return str(user_language)
    return request.accept_languages.best_match(LANGUAGES) or "fi"


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if runtime().settings.is_https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def create_app(settings: Settings, rt: Runtime | None = None) -> Flask:
    app = Flask(
        "servicedesk",
        template_folder=str(templates_dir()),
        static_folder=str(templates_dir() / "static"),
        static_url_path="/static",
    )
    rt = rt or Runtime.from_settings(settings)
    app.extensions["servicedesk"] = rt
    if settings.trusted_proxies:
        # Behind N proxies the client is the Nth address from the right of
        # X-Forwarded-For: rate limits count per client, not per proxy.  A
        # header from anyone else would be trusted too, so it is read only
        # when configured.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="fi",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        # Each area keeps its own catalog (templates/<area>/translations);
        # Flask-Babel merges them.
        BABEL_TRANSLATION_DIRECTORIES=";".join(
            str(p) for p in sorted(templates_dir().glob("*/translations"))
        )
        or str(templates_dir() / "translations"),
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage or settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    app.teardown_appcontext(close_session)

    @app.before_request
    def _activate_runtime() -> None:
        g.runtime_token = runtime_module.activate(rt)

    @app.teardown_request
    def _deactivate_runtime(_exc: BaseException | None) -> None:
        token = g.pop("runtime_token", None)
        if token is not None:
            runtime_module.deactivate(token)

    app.after_request(security_headers)
    app.before_request(refuse_nul_characters)
    install_error_handlers(app)

    from servicedesk.api import api
    from servicedesk.console import console
    from servicedesk.portal import portal
    from servicedesk.webhooks import webhooks

    for blueprint in (api, console, portal, webhooks):
        app.register_blueprint(blueprint)

    @app.get("/healthz")
    def healthz() -> Any:
        try:
            db().execute(text("SELECT 1"))
        except Exception as exc:  # the database not answering is the point
            logging.getLogger(__name__).warning("health check failed: %s", exc)
            return jsonify(status="unavailable", database="down"), 503
        return jsonify(status="ok", database="up")

    return app
