"""Automatic messages in Finnish, Swedish and English, from Jinja templates
under ``templates/messages/``.  Each email template starts with a
``Subject:`` line; an ``.sms.txt`` variant is the short form for SMS.
Rendering is strict: an unknown variable is an error, never an empty gap.

Administrators may override a template, and a region may add its own part
(``template_store``); such texts come from the database and are rendered
from source in a sandbox (``render_source``).  Every template may place
the regional part with ``{{ regional_part }}`` (empty when there is none)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

from servicedesk.resources import templates_dir

LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir() / "messages")),
        undefined=StrictUndefined,
        # Plain-text mail and SMS: HTML escaping would corrupt them.
        autoescape=False,  # noqa: S701
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(event: str, language: str, *, sms: bool = False, **context: Any) -> RenderedMessage:
    language = language if language in LANGUAGES else "fi"
    suffix = ".sms.txt" if sms else ".txt"
    env = environment()
    try:
        template = env.get_template(f"{event}.{language}{suffix}")
    except TemplateNotFound:
        template = env.get_template(f"{event}.fi{suffix}")
    context.setdefault("regional_part", "")
    return _finish(template.render(**context), sms=sms)


def _finish(rendered: str, *, sms: bool) -> RenderedMessage:
    rendered = rendered.strip()
    subject = ""
    if not sms and rendered.startswith("Subject:"):
        first, _, rest = rendered.partition("\n")
        subject, rendered = first.removeprefix("Subject:").strip(), rest.strip()
    return RenderedMessage(subject=subject, text=rendered + "\n")


@lru_cache(maxsize=1)
def sandbox() -> ImmutableSandboxedEnvironment:
    """Where texts written in the console are rendered: no attribute
    tricks, no loader (no include or extends), the same strictness."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # plain text, as above
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_source(source: str, *, sms: bool = False, **context: Any) -> RenderedMessage:
    """Render a template's text (from the database) like a shipped file."""
    context.setdefault("regional_part", "")
    return _finish(sandbox().from_string(source).render(**context), sms=sms)


def file_source(event: str, language: str, *, sms: bool = False) -> str | None:
    """The shipped file's text for an event and language, or None."""
    suffix = ".sms.txt" if sms else ".txt"
    path = templates_dir() / "messages" / f"{event}.{language}{suffix}"
    return path.read_text(encoding="utf-8") if path.is_file() else None
