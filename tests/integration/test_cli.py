"""The servicedesk command as an operator uses it: a real process, a file
database, the environment as the only configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

COMMANDS = [
    ["serve"],
    ["worker"],
    ["db", "upgrade"],
    ["directory", "load"],
    ["user", "add"],
    ["token", "create"],
    ["email", "poll"],
    ["email", "ingest"],
    ["route", "explain"],
    ["intake", "replay"],
    ["intake", "list"],
    ["demo"],
]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "servicedesk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli")
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    environment = {
        **keep,
        "SERVICEDESK_INSTANCE_PATH": str(folder),
        "SERVICEDESK_DATABASE_URL": f"sqlite:///{folder / 'cli.sqlite3'}",
        "SERVICEDESK_SECRET_KEY": "cli-test-secret-key-long-enough",
        "SERVICEDESK_LOG_LEVEL": "WARNING",
    }
    assert run(["db", "upgrade"], environment).returncode == 0
    return environment


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str], env: dict[str, str]) -> None:
    result = run([*command, "--help"], env)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert len(result.stdout.strip().splitlines()) >= 3


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["user", "add", "x@example.org"],  # --name and --role missing
        ["user", "add", "x@example.org", "--name", "X", "--role", "wizard"],
        ["serve", "--port", "99999"],
        ["directory", "load", "/no/such/path"],
        ["route", "explain", "2026-999999"],
        ["intake", "replay"],
        ["intake", "replay", "99999999999999999999"],  # past any id
        ["intake", "replay", "--", "-5"],
        ["email", "poll", "--once"],  # no mailbox configured
    ],
    ids=lambda a: " ".join(a),
)
def test_bad_arguments_give_one_line_and_non_zero(args: list[str], env: dict[str, str]) -> None:
    result = run(args, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("servicedesk: error:")
    assert "Traceback" not in result.stderr + result.stdout


def test_refuses_the_default_secret_outside_the_demo(env: dict[str, str]) -> None:
    result = run(["serve"], {k: v for k, v in env.items() if k != "SERVICEDESK_SECRET_KEY"})
    assert result.returncode == 2
    assert "SERVICEDESK_SECRET_KEY" in result.stderr


def test_directory_load_is_idempotent(env: dict[str, str]) -> None:
    first = run(["directory", "load", "config/directory"], env)
    assert first.returncode == 0, first.stderr
    second = run(["directory", "load", "config/directory"], env)
    assert second.returncode == 0
    assert second.stdout.strip() == "directory loaded: no changes"


def test_broken_directory_names_file_entry_and_field(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "organizations:\n"
        "  - id: x\n    kind: institution\n    region: '99'\n    name: {fi: X}\n"
        "rules:\n  - when: {audience: applicant}\n    route_to: nowhere\n",
        encoding="utf-8",
    )
    result = run(["directory", "load", str(broken)], env)
    assert result.returncode != 0
    assert "broken.yaml" in result.stderr
    assert "region" in result.stderr and "nowhere" in result.stderr


def test_an_argument_that_is_not_utf8_is_named_and_nothing_is_kept(env: dict[str, str]) -> None:
    # "Mäkinen" typed in a Latin-1 terminal: the byte 0xe4 where UTF-8 has two.
    name = b"M\xe4kinen".decode("utf-8", "surrogateescape")
    args = ["user", "add", "latin1@example.org", "--name", name, "--role", "agent"]
    added = run([*args, "--password-stdin"], env, stdin="a-long-enough-password\n")
    assert added.returncode == 1
    assert "not UTF-8 text (the byte 0xe4)" in added.stderr
    assert "Traceback" not in added.stderr
    again = run([*args[:3], "--name", "Mäkinen", "--role", "agent", "--password-stdin"], env,
                stdin="a-long-enough-password\n")  # fmt: skip
    assert again.returncode == 0, again.stderr


def test_user_add_and_token_create(env: dict[str, str]) -> None:
    run(["directory", "load", "config/directory"], env)
    added = run(
        [
            "user",
            "add",
            "Expert@Example.org",
            "--name",
            "Erja Expert",
            "--role",
            "expert",
            "--organization",
            "osao",
            "--password-stdin",
        ],
        env,
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "expert@example.org" in added.stdout
    again = run(["user", "add", "expert@example.org", "--name", "E", "--role", "agent"], env)
    assert again.returncode != 0 and "exists" in again.stderr
    short = run(
        ["user", "add", "s@example.org", "--name", "S", "--role", "agent", "--password-stdin"],
        env,
        stdin="short\n",
    )
    assert short.returncode != 0 and "password" in short.stderr

    created = run(["token", "create", "--name", "integration"], env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("sdk_") and " " not in token and len(token) > 30


def test_route_explain_shows_the_reasons(env: dict[str, str], tmp_path: Path) -> None:
    run(["directory", "load", "config/directory"], env)
    mail = tmp_path / "question.eml"
    mail.write_bytes(
        b"From: Aino <aino@example.org>\r\nTo: neuvonta@example.fi\r\n"
        b"Subject: Oppisopimus\r\nMessage-ID: <cli-1@example.org>\r\n\r\n"
        b"Hei, asun Oulussa ja haluaisin oppisopimuskoulutukseen.\r\n"
    )
    ingested = run(["email", "ingest", str(mail)], env)
    assert ingested.returncode == 0, ingested.stderr
    assert "new ticket" in ingested.stdout
    number = ingested.stdout.split("new ticket ")[1].split()[0]
    explained = run(["route", "explain", number], env)
    assert explained.returncode == 0, explained.stderr
    assert number in explained.stdout
    assert "Routing decision" in explained.stdout
    assert "Oulu" in explained.stdout


@pytest.mark.parametrize(
    "args", [["token", "create", "--name", "x"], ["route", "explain", "2026-000001"]], ids=" ".join
)
def test_a_database_not_yet_migrated_is_one_line_with_the_fix(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    fresh = {**env, "SERVICEDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = run(args, fresh)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "servicedesk db upgrade" in lines[0]
    assert "INSERT" not in lines[0] and "SELECT" not in lines[0]
