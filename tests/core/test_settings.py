from __future__ import annotations

import pytest

from servicedesk.errors import ConfigError
from servicedesk.settings import DEFAULT_SECRET_KEY, Settings


def test_defaults_to_sqlite_under_instance() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("instance/servicedesk.sqlite3")
    assert settings.redis_url is None


def test_reads_the_documented_names() -> None:
    settings = Settings.from_env(
        {
            "SERVICEDESK_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SERVICEDESK_REDIS_URL": "redis://127.0.0.1:6379/0",
            "SERVICEDESK_SECRET_KEY": "x" * 40,
            "SERVICEDESK_BASE_URL": "https://desk.example.fi/",
            "SERVICEDESK_IMAP_HOST": "imap.example.fi",
            "SERVICEDESK_IMAP_USER": "desk@example.fi",
            "SERVICEDESK_IMAP_PASSWORD": "pw",
            "SERVICEDESK_IMAP_SSL": "0",
            "SERVICEDESK_SMTP_PORT": "2525",
            "SERVICEDESK_MAIL_FROM": "Neuvonta@Example.fi",
            "SERVICEDESK_STAFF_MAIL_ADDRESS": "tuki@example.fi",
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "tok",
            "SERVICEDESK_SMS_NUMBER": "+358401234567",
            "SERVICEDESK_STAFF_PHONE_NUMBER": "+358291234567",
        }
    )
    assert settings.is_postgresql
    assert settings.base_url == "https://desk.example.fi"
    assert settings.imap_ssl is False
    assert settings.smtp_port == 2525
    assert settings.mail_from == "neuvonta@example.fi"
    assert settings.mail_domain == "example.fi"
    assert settings.secure_cookies
    assert [m.name for m in settings.mailboxes()] == ["desk"]
    settings.require_valid()


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "SERVICEDESK_DATABASE_URL": "mysql://x",
                "SERVICEDESK_SMTP_PORT": "many",
                "SERVICEDESK_BASE_URL": "ftp://x",
                "TWILIO_ACCOUNT_SID": "AC1",
            }
        )
    problems = caught.value.problems
    assert any("SERVICEDESK_SMTP_PORT" in p for p in problems)
    assert any("SERVICEDESK_DATABASE_URL" in p for p in problems)
    assert any("SERVICEDESK_BASE_URL" in p for p in problems)
    assert any("TWILIO_AUTH_TOKEN" in p for p in problems)


def test_default_secret_refused_outside_the_demo() -> None:
    settings = Settings.from_env({})
    assert settings.secret_key == DEFAULT_SECRET_KEY
    with pytest.raises(ConfigError, match="SERVICEDESK_SECRET_KEY"):
        settings.require_valid()
    Settings.from_env({"SERVICEDESK_DEMO": "1"}).require_valid()


def test_separate_staff_mailbox() -> None:
    settings = Settings.from_env(
        {
            "SERVICEDESK_IMAP_HOST": "imap",
            "SERVICEDESK_IMAP_USER": "a@x.fi",
            "SERVICEDESK_IMAP_PASSWORD": "p",
            "SERVICEDESK_STAFF_IMAP_USER": "s@x.fi",
            "SERVICEDESK_STAFF_IMAP_PASSWORD": "q",
        }
    )
    boxes = settings.mailboxes()
    assert [(b.name, b.audience) for b in boxes] == [
        ("applicants", "applicant"),
        ("staff", "staff"),
    ]


def test_knowledge_base_media_hosts_reach_the_media_policy() -> None:
    from servicedesk.kb_markdown import media_policy

    settings = Settings.from_env({"SERVICEDESK_KB_IMAGE_HOSTS": "kuvat.example.fi, cdn.example.fi"})
    policy = media_policy(settings.extra)
    assert policy.image_hosts == {"kuvat.example.fi", "cdn.example.fi"}
