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
    assert any("SERVICEDESK_SECRET_KEY" in p for p in problems), "the secret too, at once"


def test_a_short_secret_is_listed_with_the_other_problems() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SERVICEDESK_SECRET_KEY": "short", "SERVICEDESK_SMTP_PORT": "many"})
    problems = caught.value.problems
    assert any("too short" in p for p in problems)
    assert any("SERVICEDESK_SMTP_PORT" in p for p in problems)


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


def test_desk_numbers_are_read_as_e164() -> None:
    settings = Settings.from_env(
        {
            "SERVICEDESK_SMS_NUMBER": "040 123 4567",
            "SERVICEDESK_STAFF_SMS_NUMBER": "+358 40 123 4568",
            "SERVICEDESK_PHONE_NUMBER": "(029) 123 4567",
            "SERVICEDESK_STAFF_PHONE_NUMBER": "00358291234568",
        }
    )
    assert (settings.sms_number, settings.staff_sms_number) == ("+358401234567", "+358401234568")
    assert (settings.phone_number, settings.staff_phone_number) == (
        "+358291234567",
        "+358291234568",
    )


def test_an_unreadable_desk_number_is_a_configuration_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SERVICEDESK_SMS_NUMBER": "call us", "SERVICEDESK_PHONE_NUMBER": "12"})
    problems = caught.value.problems
    assert any("SERVICEDESK_SMS_NUMBER" in p and "'call us'" in p for p in problems)
    assert any("SERVICEDESK_PHONE_NUMBER" in p for p in problems)


@pytest.mark.parametrize(
    ("raw", "problem"), [(None, False), ("2", False), ("-1", True), ("x", True), ("11", True)]
)
def test_trusted_proxies(raw: str | None, problem: bool) -> None:
    environ = {} if raw is None else {"SERVICEDESK_TRUSTED_PROXIES": raw}
    if problem:
        with pytest.raises(ConfigError) as caught:
            Settings.from_env(environ)
        assert any("SERVICEDESK_TRUSTED_PROXIES" in p for p in caught.value.problems)
    else:
        assert Settings.from_env(environ).trusted_proxies == int(raw or 0)


@pytest.mark.parametrize(
    ("base_url", "demo", "refused"),
    [
        ("https://neuvonta.example.fi", False, False),
        ("http://neuvonta.example.fi", False, True),
        ("http://10.0.0.5:8000", False, True),
        ("http://neuvonta.example.fi", True, False),
        ("http://127.0.0.1:5000", False, False),
        ("http://[::1]:5000", False, False),
        ("http://localhost:5000", False, False),
        ("http://desk.test", False, False),
    ],
)
def test_plain_http_base_url_only_for_localhost_outside_the_demo(
    base_url: str, demo: bool, refused: bool
) -> None:
    settings = Settings(database_url="sqlite://", base_url=base_url, demo=demo)
    problems = settings.problems(check_secret=False)
    assert any("SERVICEDESK_BASE_URL" in p for p in problems) is refused


def test_cookies_are_secure_outside_the_demo_even_over_plain_http() -> None:
    local = Settings(database_url="sqlite://", base_url="http://127.0.0.1:5000")
    assert local.secure_cookies and not local.is_https
    production = local.with_changes(base_url="https://neuvonta.example.fi")
    assert production.secure_cookies and production.is_https
    demo = production.with_changes(demo=True)
    assert not demo.secure_cookies and not demo.is_https
