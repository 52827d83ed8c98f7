"""``servicedesk email ingest`` and ``servicedesk intake list|replay`` as an
operator runs them: a real process, a SQLite file, the environment as the
only configuration.  Zammad's real-world corpus is read in place beside the
repository (AGPL, never copied in)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from channels.email import parse
from channels.errors import ParseError
from servicedesk.db import Database
from servicedesk.intake import pipeline
from servicedesk.mail_intake import raw_id
from servicedesk.models import IntakeRecord, Ticket, utcnow
from tests.integration.mail.conftest import (
    ZAMMAD_CORPUS,
    count_tickets,
    make_mail,
    process_env,
    servicedesk,
    standalone_settings,
)

BOXES = sorted(ZAMMAD_CORPUS.glob("*.box")) if ZAMMAD_CORPUS.is_dir() else []
LINE = re.compile(r"^(?P<name>.+?): (?P<what>new ticket|duplicate|ignored|failed|already|added)")
# Bytes no mail program writes: no header, nothing readable.  Dovecot and
# the parser both accept them as "a message", the parser then refuses.
GARBAGE = bytes(range(1, 9)) * 40


class RubyLoader(yaml.SafeLoader):
    """Zammad's expectations: Ruby-tagged YAML, read as plain values."""


def _ruby(loader: RubyLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


RubyLoader.add_multi_constructor("!ruby/", _ruby)
RubyLoader.add_constructor(
    "!binary",
    lambda loader, node: base64.b64decode(str(loader.construct_scalar(node))),  # type: ignore[arg-type]
)


def normalised(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value or "").split())


@pytest.fixture
def env(sqlite_file_url: str, tmp_path: Path) -> dict[str, str]:
    return process_env(standalone_settings(sqlite_file_url, tmp_path))


@pytest.fixture
def db(sqlite_file_url: str) -> Any:
    database = Database.connect(sqlite_file_url)
    yield database
    database.dispose()


@pytest.mark.skipif(not BOXES, reason="shared/corpus/zammad-mail is not beside the repository")
def test_every_corpus_mail_becomes_a_ticket_or_a_visible_record(
    env: dict[str, str], db: Database
) -> None:
    result = servicedesk(["email", "ingest", *map(str, BOXES)], env)
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    outcomes: dict[str, tuple[str, str]] = {}
    for line in lines[:-1]:
        match = LINE.match(line)
        assert match, f"unexpected output line: {line!r}"
        outcomes[match["name"]] = (match["what"], line)
    assert set(outcomes) == {str(box) for box in BOXES}, "one line per mail"
    failed = [name for name, (what, _line) in outcomes.items() if what == "failed"]
    assert result.returncode == (1 if failed else 0), result.stderr
    assert lines[-1].startswith(f"{len(BOXES)} mail(s): ")

    created = 0
    with db.session() as session:
        for box in BOXES:
            what, line = outcomes[str(box)]
            expected = yaml.load(box.with_suffix(".yml").read_text("utf-8"), Loader=RubyLoader)
            if what == "new ticket":
                created += 1
                number = line.split("new ticket ", 1)[1].split(" ", 1)[0]
                ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
                subject = normalised(expected.get("subject"))
                if subject:
                    assert normalised(ticket.subject) == subject, box.name
                else:  # no subject: the first line of the text stands in
                    first = normalised(parse(box.read_bytes()).text.strip().split("\n")[0])
                    assert normalised(ticket.subject).rstrip("…") in first, box.name
            else:
                assert what == "failed", line
                with pytest.raises(ParseError):
                    parse(box.read_bytes())
        records = session.execute(select(IntakeRecord)).scalars().all()
    assert len(records) == len(BOXES)
    assert count_tickets(db) == created
    # Every mail is a ticket of its own, or a failed record: mails that
    # reuse another's Message-ID and reports about mail we never sent too.
    assert created + len(failed) == len(BOXES)
    if failed:
        listed = servicedesk(["intake", "list"], env)
        assert listed.returncode == 0
        assert len(listed.stdout.splitlines()) == len(failed) + 1  # the table's header


def test_ingesting_the_same_file_twice_makes_one_ticket(
    env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "question.eml"
    path.write_bytes(make_mail(subject="Haun   aikataulu", body="Milloin yhteishaku alkaa?"))
    first = servicedesk(["email", "ingest", str(path)], env)
    assert first.returncode == 0, first.stderr
    assert re.match(
        rf"^{re.escape(str(path))}: new ticket 20\d\d-\d{{6}} \(Haun aikataulu\)$",
        first.stdout.splitlines()[0],
    )
    second = servicedesk(["email", "ingest", str(path), str(path)], env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[0].startswith(f"{path}: already taken in as intake record")
    assert second.stdout.splitlines()[-1] == "2 mail(s): 2 already"
    assert count_tickets(db) == 1


def test_failed_intake_is_kept_listed_and_replayable(
    env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    # What a crash leaves behind after the last attempt: the raw mail kept,
    # marked failed with the error, no ticket yet.
    crashed = make_mail(subject="Valintojen tulokset")
    with db.transaction() as session:
        crashed_id, _new = pipeline.store_raw(
            session,
            channel="email",
            raw=crashed,
            external_id=raw_id(crashed),
            format=pipeline.RFC822,
            now=utcnow(),
        )
        record = session.get(IntakeRecord, crashed_id)
        assert record is not None
        record.status, record.error = "failed", "OperationalError: the database went away"
    junk = tmp_path / "junk.eml"
    junk.write_bytes(GARBAGE)
    good = tmp_path / "good.eml"
    good.write_bytes(make_mail(subject="Opintotuki"))

    result = servicedesk(["email", "ingest", str(junk), str(good)], env)
    assert result.returncode == 1  # an operator has to look at it
    junk_line, good_line, summary = result.stdout.splitlines()
    assert junk_line.startswith(f"{junk}: failed (intake record ")
    assert "new ticket" in good_line, "a bad mail never blocks the ones after it"
    assert summary == "2 mail(s): 1 created, 1 failed"
    junk_id = int(junk_line.split("intake record ", 1)[1].split(")", 1)[0])
    with db.session() as session:
        kept = session.get(IntakeRecord, junk_id)
        assert kept is not None and kept.raw == GARBAGE, "kept raw, byte for byte"

    listed = servicedesk(["intake", "list"], env)
    assert listed.returncode == 0
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:4] == ["id", "channel", "received", "error"]
    assert [row.split()[:2] for row in rows] == [
        [str(crashed_id), "email"],
        [str(junk_id), "email"],
    ]
    assert "OperationalError" in rows[0]
    assert "not a mail" in rows[1] or "unparseable" in rows[1]

    replayed = servicedesk(["intake", "replay", "--all-failed"], env)
    assert replayed.returncode == 1, "one of them failed again"
    crashed_line, junk_again = replayed.stdout.splitlines()
    assert re.match(rf"^record {crashed_id}: new ticket 20\d\d-\d{{6}}$", crashed_line)
    assert junk_again.startswith(f"record {junk_id}: failed again")
    assert count_tickets(db) == 2
