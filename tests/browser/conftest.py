"""The browser lane: a real server in a thread (its own database with the
demo directory and one user per role, a real aiosmtpd for mail, the
recording SMS gateway), Debian's Chromium driven by Playwright, and
axe-core for accessibility.

    def test_something(live, page):
        page.goto(live.url + "/contact")
        assert_accessible(page)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from channels.email.smtp import SmtpSender
from channels.sms import RecordingSmsGateway
from servicedesk import runtime as runtime_module
from servicedesk.app import create_app
from servicedesk.db import Database, make_engine
from servicedesk.queueing import InlineJobQueue
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.storage import LocalStorage
from servicedesk.users import add_user
from tests.conftest import IN_CI, prepare_database
from tests.ports import free_port
from tests.smtp_server import SmtpServer, running_smtp

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "browser-test-password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# One user per role (email, name, role, organisation).
USERS = {
    "admin": ("admin@browser.test", "Ada Admin", "admin", None),
    "agent": ("agent@browser.test", "Aki Agent", "agent", "national-desk"),
    "expert": ("expert@browser.test", "Eeva Expert", "expert", "osao"),
    "superuser": ("superuser@browser.test", "Sami Superuser", "superuser", "osao"),
    "helpdesk": ("helpdesk@browser.test", "Heli Helpdesk", "helpdesk", "staff-helpdesk"),
}

pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    url: str
    runtime: Runtime
    smtp: SmtpServer
    sms: RecordingSmsGateway

    def login(self, page, role: str) -> None:  # type: ignore[no-untyped-def]
        """Sign in through the real form as the user of ``role``."""
        email = USERS[role][0]
        page.goto(self.url + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")


def require_binary(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{what} is missing ({path}); run tests/setup_services.py"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    engine = make_engine(f"sqlite:///{folder / 'live.sqlite3'}")
    prepare_database(engine)
    database = Database(engine, sessionmaker(engine, expire_on_commit=False))
    with database.transaction() as session:
        for email, name, role, organization in USERS.values():
            add_user(
                session,
                email,
                name=name,
                role=role,
                organization_id=organization,
                password=PASSWORD,
                languages=["fi", "sv", "en"],
            )
    port = free_port()
    with running_smtp() as smtp:
        settings = Settings(
            database_url=str(engine.url),
            secret_key="browser-test-secret-key-long-enough",
            base_url=f"http://127.0.0.1:{port}",
            instance_path=folder,
            storage_dir=folder / "files",
            demo=True,
            mail_from="neuvonta@desk.test",
            staff_mail_address="tuki@desk.test",
            sms_number="+358401110000",
            staff_sms_number="+358401110001",
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_starttls=False,
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="browser-auth-token",
        )
        sms = RecordingSmsGateway()
        runtime = Runtime(
            settings=settings,
            db=database,
            jobs=InlineJobQueue(),
            storage=LocalStorage(settings.storage_dir),
            mail=SmtpSender(smtp.host, smtp.port, starttls=False),
            sms=sms,
        )
        app = create_app(settings, runtime)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(url=settings.base_url, runtime=runtime, smtp=smtp, sms=sms)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            engine.dispose()
            if runtime_module._current is runtime:
                runtime_module._current = None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_binary(CHROMIUM, "Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=os.environ.get("BROWSER_LOCALE", "fi-FI"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8") + "\n;0")
    return _AXE_SOURCE[0]


def assert_accessible(page, *, context: str = "") -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is now."""
    require_binary(AXE, "axe-core")
    # Evaluated through the DevTools protocol, so the page's own CSP (no
    # inline scripts) stays in force for everything the page itself does.
    page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    violations = result["violations"]
    if violations:
        lines = [f"axe found {len(violations)} violation(s) on {page.url} {context}".rstrip()]
        for violation in violations:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
        raise AssertionError("\n".join(lines))
