"""Shared fixtures: the same integration tests run on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL; the schema comes from the
migrations once per session and every test runs inside a transaction that
is rolled back (SAVEPOINTs stand in for the code's own commits).  Under
pytest-xdist each worker has a PostgreSQL database and a Redis db of its
own (``postgres_url``, ``redis_test_url``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from servicedesk import runtime as runtime_module
from servicedesk.db import Database, make_engine
from servicedesk.queueing import InlineJobQueue, RqJobQueue
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.storage import LocalStorage
from tests.fakes import RecordingMailSender

REPO = Path(__file__).resolve().parents[1]
IN_CI = bool(os.environ.get("CI"))


#: The pytest-xdist worker this process is ("gw0", "gw1", …), or "".
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_number() -> int:
    return int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else 0


def postgres_url() -> str | None:
    """TEST_DATABASE_URL; under pytest-xdist, a database of this worker's
    own beside it (``<name>_gw1``), made on first use: the workers' schemas
    and data never meet."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url and WORKER:
        url = _worker_database(url)
    return url


_worker_databases: dict[str, str] = {}


def _worker_database(url: str) -> str:
    if url not in _worker_databases:
        base = make_url(url)
        name = f"{base.database}_{WORKER}"
        admin = make_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        _worker_databases[url] = base.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


def redis_test_url() -> str | None:
    """TEST_REDIS_URL; under pytest-xdist, another database number per
    worker (counting down from the one given), since the tests flush it."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url or not WORKER:
        return url
    parts = urlsplit(url)
    number = parts.path.strip("/")
    base = int(number) if number.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{(base - worker_number()) % 16}"))


def require(what: str, value: str | None) -> str:
    """A service URL, or a skip locally / a failure in CI."""
    if value:
        return value
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not set")
    pytest.skip(f"{what} not set")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The tests' Redis, emptied before and after the test."""
    from redis import Redis

    url = require("TEST_REDIS_URL", redis_test_url())
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()


@pytest.fixture
def rq_runtime(rt: Runtime, redis_url: str) -> Runtime:
    """``rt`` with its jobs on the tests' Redis, for ``work`` to run."""
    rt.jobs = RqJobQueue(redis_url)
    return rt


def work(rt: Runtime) -> None:
    """Every job waiting in ``rt``'s Redis, and those they queue, done in
    this process by a real rq worker in burst mode."""
    from rq import SimpleWorker

    from servicedesk.queueing import QUEUE_NAMES

    assert isinstance(rt.jobs, RqJobQueue)
    queues = [rt.jobs.queue(name) for name in QUEUE_NAMES]
    SimpleWorker(queues, connection=rt.jobs.connection).work(burst=True)


def reset_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def prepare_database(engine: Engine) -> None:
    from servicedesk import directory_store, schema

    schema.upgrade(engine)
    db = Database(engine, sessionmaker(engine, expire_on_commit=False))
    with db.transaction() as session:
        directory_store.load(session, REPO / "config" / "directory")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(require("TEST_DATABASE_URL", postgres_url()))
        reset_postgres(engine)
    prepare_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def scratch_postgres() -> Iterator[Engine]:
    """An empty PostgreSQL database of the test's own (for migrations run
    from the start), dropped afterwards."""
    url = require("TEST_DATABASE_URL", postgres_url())
    name = f"sd_scratch_{secrets.token_hex(4)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


@pytest.fixture
def database(engine: Engine) -> Iterator[Database]:
    connection = engine.connect()
    outer = connection.begin()
    sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield Database(engine=engine, sessions=sessions)
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-that-is-long-enough",
        base_url="http://desk.test",
        instance_path=tmp_path,
        storage_dir=tmp_path / "files",
        demo=False,
        mail_from="neuvonta@desk.test",
        staff_mail_address="tuki@desk.test",
        sms_number="+358401110000",
        staff_sms_number="+358401110001",
        phone_number="+358291110000",
        staff_phone_number="+358291110001",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="test-auth-token",
    )


@pytest.fixture
def mail() -> RecordingMailSender:
    return RecordingMailSender()


@pytest.fixture
def sms():  # type: ignore[no-untyped-def]
    from channels.sms import RecordingSmsGateway

    return RecordingSmsGateway()


@pytest.fixture
def rt(settings: Settings, database: Database, mail: RecordingMailSender, sms) -> Iterator[Runtime]:  # type: ignore[no-untyped-def]
    runtime = Runtime(
        settings=settings,
        db=database,
        jobs=InlineJobQueue(),
        storage=LocalStorage(settings.storage_dir),
        mail=mail,
        sms=sms,
    )
    runtime_module.install(runtime)
    yield runtime
    runtime_module._current = None


@pytest.fixture
def session(rt: Runtime):  # type: ignore[no-untyped-def]
    with rt.db.session() as s:
        yield s


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    from servicedesk.app import create_app

    application = create_app(rt.settings, rt)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def api_token(rt: Runtime) -> str:
    from servicedesk import tokens

    with rt.db.transaction() as s:
        _row, secret = tokens.create(s, "tests", rt.now())
    return secret


@pytest.fixture
def api(client, api_token: str):  # type: ignore[no-untyped-def]
    """The test client with the bearer token set."""

    class Api:
        def __init__(self) -> None:
            self.headers = {"Authorization": f"Bearer {api_token}"}

        def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
            return client.get("/api/v1" + path, headers=self.headers, **kw)

        def post(self, path: str, json=None, **kw):  # type: ignore[no-untyped-def]
            return client.post(
                "/api/v1" + path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw
            )

    return Api()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI nothing may be skipped: a skipped test there means a service
    (PostgreSQL, Redis, Dovecot, Chromium) was missing."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) were skipped; failing the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
