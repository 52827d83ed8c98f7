"""Settings: read once from the environment by an entry point, then passed down.

``config/servicedesk.env.example`` documents every variable.  Nothing else in
the project reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import phonenumbers

from servicedesk.errors import ConfigError

DEFAULT_SECRET_KEY = "insecure-demo-secret-change-me"  # noqa: S105 - refused outside the demo
DEFAULT_INSTANCE = Path("instance")
MEBIBYTE = 1024 * 1024
# Read by one feature each and passed through as text (kb_markdown reads
# the knowledge base's allowed media hosts from here).
EXTRA_NAMES = ("SERVICEDESK_KB_IMAGE_HOSTS", "SERVICEDESK_KB_VIDEO_HOSTS")
#: More proxies than this in front of the application is a typo.
MAX_TRUSTED_PROXIES = 10


def e164(value: str) -> str | None:
    """A desk number as Twilio writes it (``+358401234567``), read as
    Finnish when it has no country code; None when it is no phone number."""
    try:
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_local_host(host: str | None) -> bool:
    """Loopback, or a name reserved for testing (RFC 6761 ``.test`` and
    ``.localhost``) that no public deployment can have."""
    if not host:
        return False
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith((".localhost", ".test")) or name == "test":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class MailboxSettings:
    """One IMAP mailbox to poll; ``audience`` is the desk whose mail it holds
    (None: decided by the address each mail was sent to)."""

    name: str
    host: str
    port: int
    user: str
    password: str
    ssl: bool
    starttls: bool
    folder: str
    processed_folder: str | None
    audience: str | None


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key: str = DEFAULT_SECRET_KEY
    redis_url: str | None = None
    base_url: str = "http://127.0.0.1:5000"
    instance_path: Path = DEFAULT_INSTANCE
    storage_dir: Path = DEFAULT_INSTANCE / "attachments"
    demo: bool = False
    reports_database_url: str | None = None
    # The directory YAML the admin page's "reload" loads (None: the shipped
    # config/directory).
    directory_path: Path | None = None
    # email
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: str | None = None
    imap_ssl: bool = True
    imap_starttls: bool = False
    imap_folder: str = "INBOX"
    imap_processed_folder: str | None = None
    staff_imap_user: str | None = None
    staff_imap_password: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "neuvonta@example.fi"
    staff_mail_address: str = "tuki@example.fi"
    auto_reply_limit_per_hour: int = 3
    max_attachment_bytes: int = 20 * MEBIBYTE
    # Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    sms_number: str | None = None
    staff_sms_number: str | None = None
    phone_number: str | None = None
    staff_phone_number: str | None = None
    twilio_api_base: str | None = None
    sms_thread_days: int = 14
    # web
    max_request_bytes: int = 10 * MEBIBYTE
    rate_limit_storage: str | None = None
    # How many reverse proxies in front of the application set
    # X-Forwarded-For/-Proto/-Host (0: none, the headers are ignored).
    trusted_proxies: int = 0
    timezone: str = "Europe/Helsinki"
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping.  Problems with the
        values are collected and raised together as one ConfigError."""
        problems: list[str] = []

        def text(name: str) -> str | None:
            value = environ.get(name)
            return value.strip() if value and value.strip() else None

        def integer(name: str, default: int, minimum: int = 0) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name} must be a whole number, not {raw!r}")
                return default
            if value < minimum:
                problems.append(f"{name} must be at least {minimum}")
                return default
            return value

        def desk_number(name: str) -> str | None:
            # Compared with the To of Twilio's webhooks, which is E.164.
            raw = text(name)
            if raw is None:
                return None
            number = e164(raw)
            if number is None:
                problems.append(f"{name} must be a phone number such as +358401234567, not {raw!r}")
                return raw
            return number

        instance = Path(text("SERVICEDESK_INSTANCE_PATH") or DEFAULT_INSTANCE)
        database_url = text("SERVICEDESK_DATABASE_URL") or sqlite_url(
            instance / "servicedesk.sqlite3"
        )
        directory = text("SERVICEDESK_DIRECTORY_PATH")
        settings = cls(
            database_url=database_url,
            secret_key=text("SERVICEDESK_SECRET_KEY") or DEFAULT_SECRET_KEY,
            redis_url=text("SERVICEDESK_REDIS_URL"),
            base_url=(text("SERVICEDESK_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            instance_path=instance,
            storage_dir=Path(text("SERVICEDESK_STORAGE_DIR") or instance / "attachments"),
            demo=_flag(environ.get("SERVICEDESK_DEMO")),
            reports_database_url=text("SERVICEDESK_REPORTS_DATABASE_URL"),
            directory_path=Path(directory) if directory else None,
            imap_host=text("SERVICEDESK_IMAP_HOST"),
            imap_port=integer("SERVICEDESK_IMAP_PORT", 993, 1),
            imap_user=text("SERVICEDESK_IMAP_USER"),
            imap_password=environ.get("SERVICEDESK_IMAP_PASSWORD"),
            imap_ssl=_flag(environ.get("SERVICEDESK_IMAP_SSL"), default=True),
            imap_starttls=_flag(environ.get("SERVICEDESK_IMAP_STARTTLS")),
            imap_folder=text("SERVICEDESK_IMAP_FOLDER") or "INBOX",
            imap_processed_folder=text("SERVICEDESK_IMAP_PROCESSED_FOLDER"),
            staff_imap_user=text("SERVICEDESK_STAFF_IMAP_USER"),
            staff_imap_password=environ.get("SERVICEDESK_STAFF_IMAP_PASSWORD"),
            smtp_host=text("SERVICEDESK_SMTP_HOST"),
            smtp_port=integer("SERVICEDESK_SMTP_PORT", 587, 1),
            smtp_user=text("SERVICEDESK_SMTP_USER"),
            smtp_password=environ.get("SERVICEDESK_SMTP_PASSWORD"),
            smtp_starttls=_flag(environ.get("SERVICEDESK_SMTP_STARTTLS"), default=True),
            mail_from=(text("SERVICEDESK_MAIL_FROM") or "neuvonta@example.fi").lower(),
            staff_mail_address=(
                text("SERVICEDESK_STAFF_MAIL_ADDRESS") or "tuki@example.fi"
            ).lower(),
            auto_reply_limit_per_hour=integer("SERVICEDESK_AUTO_REPLY_LIMIT", 3, 0),
            max_attachment_bytes=integer("SERVICEDESK_MAX_ATTACHMENT_BYTES", 20 * MEBIBYTE, 1024),
            twilio_account_sid=text("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=text("TWILIO_AUTH_TOKEN"),
            sms_number=desk_number("SERVICEDESK_SMS_NUMBER"),
            staff_sms_number=desk_number("SERVICEDESK_STAFF_SMS_NUMBER"),
            phone_number=desk_number("SERVICEDESK_PHONE_NUMBER"),
            staff_phone_number=desk_number("SERVICEDESK_STAFF_PHONE_NUMBER"),
            twilio_api_base=text("SERVICEDESK_TWILIO_API_BASE"),
            sms_thread_days=integer("SERVICEDESK_SMS_THREAD_DAYS", 14, 0),
            max_request_bytes=integer("SERVICEDESK_MAX_REQUEST_BYTES", 10 * MEBIBYTE, 1024),
            rate_limit_storage=text("SERVICEDESK_RATE_LIMIT_STORAGE"),
            trusted_proxies=integer("SERVICEDESK_TRUSTED_PROXIES", 0, 0),
            timezone=text("SERVICEDESK_TIMEZONE") or "Europe/Helsinki",
            extra={name: environ[name] for name in EXTRA_NAMES if name in environ},
        )
        if problems or settings.problems(check_secret=False):
            # Every problem at once: the secret key too, which is checked
            # on its own only by the commands that need it (serve, worker).
            raise ConfigError(problems + settings.problems())
        return settings

    def problems(self, *, check_secret: bool = True) -> list[str]:
        """Every problem with these settings, for a start-up refusal."""
        found: list[str] = []
        if check_secret and not self.demo and self.secret_key == DEFAULT_SECRET_KEY:
            found.append(
                "SERVICEDESK_SECRET_KEY is not set: set a long random value "
                "(the built-in key is only for the demo)"
            )
        if check_secret and not self.demo and len(self.secret_key) < 16:
            found.append("SERVICEDESK_SECRET_KEY is too short: use at least 16 characters")
        scheme = urlsplit(self.database_url).scheme
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            found.append(
                f"SERVICEDESK_DATABASE_URL must be a sqlite:// or postgresql:// URL, not {scheme!r}"
            )
        if self.redis_url and urlsplit(self.redis_url).scheme not in {"redis", "rediss", "unix"}:
            found.append("SERVICEDESK_REDIS_URL must be a redis:// URL")
        base = urlsplit(self.base_url)
        if base.scheme not in {"http", "https"}:
            found.append("SERVICEDESK_BASE_URL must start with http:// or https://")
        elif base.scheme == "http" and not self.demo and not is_local_host(base.hostname):
            # Session cookies are Secure outside the demo: over plain http
            # to a real host nobody could sign in.
            found.append(
                "SERVICEDESK_BASE_URL must be the public https:// address outside the demo "
                "(also behind a proxy that ends TLS); http:// is only for localhost"
            )
        if self.imap_host and not (self.imap_user and self.imap_password is not None):
            found.append(
                "SERVICEDESK_IMAP_USER and SERVICEDESK_IMAP_PASSWORD are needed with _HOST"
            )
        if bool(self.twilio_account_sid) != bool(self.twilio_auth_token):
            found.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together")
        if not 0 <= self.trusted_proxies <= MAX_TRUSTED_PROXIES:
            found.append(
                f"SERVICEDESK_TRUSTED_PROXIES must be between 0 and {MAX_TRUSTED_PROXIES}: "
                "the number of reverse proxies in front of the application"
            )
        if "@" not in self.mail_from:
            found.append("SERVICEDESK_MAIL_FROM must be an email address")
        if "@" not in self.staff_mail_address:
            found.append("SERVICEDESK_STAFF_MAIL_ADDRESS must be an email address")
        return found

    def require_valid(self) -> Settings:
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        return self

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rsplit("@", 1)[-1]

    @property
    def secure_cookies(self) -> bool:
        """Session and remember-me cookies are Secure outside the demo, also
        when TLS ends at a proxy in front of the application.  Browsers
        keep Secure cookies from http://localhost too."""
        return not self.demo

    @property
    def is_https(self) -> bool:
        """Served over https (Strict-Transport-Security is sent)."""
        return not self.demo and self.base_url.startswith("https://")

    def mailboxes(self) -> list[MailboxSettings]:
        """The IMAP mailboxes to poll: the applicant desk's, and the staff
        desk's when it has a mailbox of its own."""
        if not self.imap_host or not self.imap_user:
            return []
        boxes = [
            MailboxSettings(
                name="applicants" if self.staff_imap_user else "desk",
                host=self.imap_host,
                port=self.imap_port,
                user=self.imap_user,
                password=self.imap_password or "",
                ssl=self.imap_ssl,
                starttls=self.imap_starttls,
                folder=self.imap_folder,
                processed_folder=self.imap_processed_folder,
                audience="applicant" if self.staff_imap_user else None,
            )
        ]
        if self.staff_imap_user:
            boxes.append(
                MailboxSettings(
                    name="staff",
                    host=self.imap_host,
                    port=self.imap_port,
                    user=self.staff_imap_user,
                    password=self.staff_imap_password or "",
                    ssl=self.imap_ssl,
                    starttls=self.imap_starttls,
                    folder=self.imap_folder,
                    processed_folder=self.imap_processed_folder,
                    audience="staff",
                )
            )
        return boxes


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
