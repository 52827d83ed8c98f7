"""Automatic messages in Finnish, Swedish and English, from Jinja templates
under ``templates/messages/``.  Each email template starts with a
``Subject:`` line; an ``.sms.txt`` variant is the short form for SMS.
Rendering is strict: an unknown variable is an error, never an empty gap."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

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
    rendered = template.render(**context).strip()
    subject = ""
    if not sms and rendered.startswith("Subject:"):
        first, _, rest = rendered.partition("\n")
        subject, rendered = first.removeprefix("Subject:").strip(), rest.strip()
    return RenderedMessage(subject=subject, text=rendered + "\n")
