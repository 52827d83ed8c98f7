"""The JSON API on a SQLite file shared by separate connections, as
``make run`` serves it: no SAVEPOINT fixture around the requests, so a
request that kept SQLite's write lock while the intake pipeline writes on
its own connection would wait out the busy timeout and answer 503."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import sessionmaker

from servicedesk import runtime as runtime_module
from servicedesk import tokens
from servicedesk.app import create_app
from servicedesk.db import Database, make_engine
from servicedesk.queueing import InlineJobQueue
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.storage import LocalStorage
from tests.conftest import prepare_database
from tests.fakes import RecordingMailSender


@pytest.fixture
def file_api(settings: Settings, tmp_path: Path) -> Iterator[tuple[FlaskClient, str]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    prepare_database(engine)
    file_settings = replace(settings, database_url=engine.url.render_as_string())
    rt = Runtime(
        settings=file_settings,
        db=Database(engine, sessionmaker(engine, expire_on_commit=False)),
        jobs=InlineJobQueue(),
        storage=LocalStorage(file_settings.storage_dir),
        mail=RecordingMailSender(),
        sms=None,
    )
    runtime_module.install(rt)
    with rt.db.transaction() as session:
        _row, secret = tokens.create(session, "file", rt.now())
    app = create_app(file_settings, rt)
    app.config.update(TESTING=True)
    try:
        yield app.test_client(), secret
    finally:
        runtime_module._current = None
        engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the settings fixture's
def test_an_enquiry_naming_a_place_and_an_institution_is_answered_at_once(file_api) -> None:
    client, secret = file_api
    started = time.monotonic()
    response = client.post(
        "/api/v1/enquiries",
        json={"body": "Haluan hakea opiskelemaan.", "municipality": "Vasa", "institution": "osao"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_json()
    assert time.monotonic() - started < 5
    assert response.get_json()["ticket"]["region"] == "15"
