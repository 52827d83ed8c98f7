"""Database engines and sessions.  Plain SQLAlchemy, so workers and the CLI
need no Flask application."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

#: What the database raises when it is down, restarting, overloaded or
#: ends a transaction (a deadlock): the same work can be done again in a
#: moment.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)


def upsert(session: Session) -> Any:
    """The INSERT construct of the session's database, the one with
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (both of our
    databases have them)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for our two databases.  SQLite gets WAL, foreign keys
    and a busy timeout, so the web process, the poller and the inline jobs
    can share one file."""
    parsed = make_url(url)
    # A failing statement's values (names, addresses, what an enquiry said)
    # stay out of the exception and so out of the logs: the SQL is enough
    # to tell what failed.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is switched off so that
            # SQLAlchemy's BEGIN (and SAVEPOINTs) behave as documented.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # IMMEDIATE takes the write lock up front: two writers queue on
            # the busy timeout instead of failing with "database is locked"
            # when a reader upgrades to a writer.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


@dataclass
class Database:
    """One database: its engine and the session factory bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def connect(cls, url: str, **engine_kwargs: Any) -> Database:
        engine = make_engine(url, **engine_kwargs)
        return cls(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def works_side_by_side(self) -> bool:
        """Whether sessions can work at the same time: not on SQLite, where
        every transaction takes the file's write lock at BEGIN (above), nor
        when every session runs on one connection (a test's transaction)."""
        one_connection = isinstance(self.sessions.kw.get("bind"), Connection)
        return self.dialect != "sqlite" and not one_connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed afterwards; commit is the caller's."""
        session = self.sessions()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends cleanly."""
        with self.session() as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
