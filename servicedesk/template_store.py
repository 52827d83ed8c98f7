"""Admin-edited message templates: the national common part of each
automatic message and each region's own addition to it.

A template is one event (``EVENTS``) in one language and one variant
(``email``, which starts with a ``Subject:`` line, or ``sms``).  The
national text is the administrator's override from the database or, when
there is none, the shipped file under ``templates/messages/``.  A region
may add a part of its own; it is rendered first and given to the national
text as ``regional_part`` (appended at the end when the national text does
not place it).  Every text is checked before it is saved
(``validate_template``): it must parse, use only the event's variables,
render in the sandbox with a sample context and, for SMS, fit two
segments.  Automatic messages never fail because of an edited template: a
stored text that no longer renders falls back to the shipped file, and
the failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channels.sms import SegmentCount, count_segments
from servicedesk import audit
from servicedesk.errors import ValidationError
from servicedesk.message_events import (
    EVENTS,
    REGIONAL_PART,
    SAMPLE_CONTEXT,
    SURVEY_LINKS,
    allowed_variables,
    event_spec,
)
from servicedesk.message_templates import (
    LANGUAGES,
    RenderedMessage,
    file_source,
    render_source,
    sandbox,
)
from servicedesk.message_templates import render as render_file
from servicedesk.models import Region, TemplateOverride, User
from servicedesk.models.templates import NATIONAL

logger = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"
MAX_LENGTH = 10_000
MAX_SMS_SEGMENTS = 2


class TemplateRejectedError(ValidationError):
    """A template that may not be saved; ``problems`` says every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems), field="text")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Preview:
    subject: str
    text: str
    problems: list[str]
    segments: SegmentCount | None  # SMS only


@dataclass(frozen=True, slots=True)
class TemplateEntry:
    event: str
    language: str
    variant: str
    region: str  # "" for the national part
    is_override: bool
    updated_at: datetime | None


@lru_cache(maxsize=256)
def _variables(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(sandbox().parse(source)))


def _sample(event: str, sms: bool) -> dict[str, Any]:
    return {k: v for k, v in SAMPLE_CONTEXT.items() if k in allowed_variables(event, sms=sms)}


def validate_template(
    text: str, event: str, *, sms: bool = False, part: str = "national"
) -> list[str]:
    """Every reason ``text`` may not be saved as the ``part`` ("national"
    or "regional") of ``event``'s email or SMS template; empty when it may."""
    spec = event_spec(event)
    problems: list[str] = []
    if sms and not spec.has_sms:
        return [f"{spec.label} has no SMS variant"]
    if not text.strip():
        return ["the template is empty"]
    if len(text) > MAX_LENGTH:
        return [f"the template is longer than {MAX_LENGTH} characters"]
    try:
        used = _variables(text)
    except TemplateSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.message}"]
    allowed = allowed_variables(event, sms=sms)
    if part == "regional":
        allowed = allowed - {REGIONAL_PART}
    unknown = sorted(used - allowed)
    if unknown:
        problems.append(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"this message may use {', '.join(sorted(allowed))}"
        )
        return problems
    renders = []
    # The second sample: no name, and no survey links (a final answer).
    blanks = dict.fromkeys(["name", *SURVEY_LINKS], "")
    for context in (_sample(event, sms), {**_sample(event, sms), **blanks}):
        try:
            renders.append(render_source(text, sms=sms or part == "regional", **context))
        except Exception as exc:  # any failure to render is a reason to refuse
            return [f"the template does not render: {exc}"]
    if part == "national" and not sms:
        if not text.lstrip().startswith("Subject:"):
            problems.append("an email template must start with a line 'Subject: ...'")
        elif not all(r.subject for r in renders):
            problems.append("the subject line is empty (with some values)")
    if part == "regional" and text.lstrip().startswith("Subject:"):
        problems.append("a regional part has no subject line: the national template has it")
    if sms:
        segments = count_segments(renders[0].text.strip())
        if segments.segments > MAX_SMS_SEGMENTS:
            problems.append(
                f"the SMS takes {segments.segments} segments with sample values; "
                f"at most {MAX_SMS_SEGMENTS} are allowed"
            )
    return problems


def _rows(
    session: Session, event: str, language: str, variant: str, region_code: str | None
) -> tuple[TemplateOverride | None, TemplateOverride | None]:
    """The national override and the region's part (either may be missing)."""
    regions = [NATIONAL] + ([region_code] if region_code else [])
    rows = session.execute(
        select(TemplateOverride).where(
            TemplateOverride.event == event,
            TemplateOverride.language == language,
            TemplateOverride.variant == variant,
            TemplateOverride.region.in_(regions),
        )
    ).scalars()
    by_region = {row.region: row for row in rows}
    return by_region.get(NATIONAL), by_region.get(region_code) if region_code else None


def source(
    session: Session,
    event: str,
    language: str,
    *,
    sms: bool = False,
    region_code: str | None = None,
) -> tuple[str, bool]:
    """The text an editor starts from and whether it is an override: the
    national part (override or shipped file), or the region's part ("" when
    it has none)."""
    event_spec(event)
    national, regional = _rows(session, event, language, SMS if sms else EMAIL, region_code)
    if region_code:
        return (regional.text, True) if regional else ("", False)
    if national is not None:
        return national.text, True
    return file_source(event, language, sms=sms) or "", False


def _with_regional(
    national_source: str | None, message: RenderedMessage, regional: str, sms: bool
) -> RenderedMessage:
    """Append the regional part when the national text does not place it."""
    if not regional:
        return message
    source_text = national_source if national_source is not None else ""
    if national_source is not None and REGIONAL_PART in _variables(source_text):
        return message
    joiner = " " if sms else "\n\n"
    return RenderedMessage(message.subject, message.text.rstrip("\n") + joiner + regional + "\n")


def _compose(
    national: str | None,
    regional: str | None,
    event: str,
    language: str,
    sms: bool,
    context: Mapping[str, Any],
) -> RenderedMessage:
    part = render_source(regional, sms=True, **context).text.strip() if regional else ""
    full = {**context, REGIONAL_PART: part}
    if national is not None:
        return _with_regional(national, render_source(national, sms=sms, **full), part, sms)
    shipped = file_source(event, language, sms=sms) or file_source(event, "fi", sms=sms)
    return _with_regional(shipped, render_file(event, language, sms=sms, **full), part, sms)


def render(
    session: Session,
    event: str,
    language: str,
    *,
    region_code: str | None = None,
    sms: bool = False,
    **context: Any,
) -> RenderedMessage:
    """An automatic message: the national part (edited or shipped) with the
    region's part, if it has one.  Never fails for an edited text."""
    language = language if language in LANGUAGES else "fi"
    national, regional = _rows(session, event, language, SMS if sms else EMAIL, region_code)
    try:
        return _compose(
            national.text if national else None,
            regional.text if regional else None,
            event,
            language,
            sms,
            context,
        )
    except Exception:
        logger.exception(
            "edited template %s.%s (%s) failed; using the shipped one", event, language, region_code
        )
        return render_file(event, language, sms=sms, **context)


def preview(
    session: Session,
    event: str,
    language: str,
    text: str,
    *,
    sms: bool = False,
    region_code: str | None = None,
) -> Preview:
    """The editor's live preview: ``text`` as the national part (no
    ``region_code``) or as ``region_code``'s part, rendered with sample values
    together with the other part as it is now stored."""
    part = "regional" if region_code else "national"
    problems = validate_template(text, event, sms=sms, part=part)
    if problems:
        return Preview("", "", problems, None)
    national, _ = _rows(session, event, language, SMS if sms else EMAIL, region_code)
    if region_code:
        national_text, regional_text = (national.text if national else None), text
    else:
        national_text, regional_text = text, None
    try:
        message = _compose(national_text, regional_text, event, language, sms, _sample(event, sms))
    except Exception as exc:  # the other, stored part may be the broken one
        return Preview("", "", [f"the message does not render: {exc}"], None)
    segments = count_segments(message.text.strip()) if sms else None
    if segments is not None and segments.segments > MAX_SMS_SEGMENTS:
        problems.append(
            f"with the {'national' if region_code else 'regional'} part the SMS takes "
            f"{segments.segments} segments; at most {MAX_SMS_SEGMENTS} are allowed"
        )
    return Preview(message.subject, message.text, problems, segments)


def save(
    session: Session,
    event: str,
    language: str,
    text: str,
    *,
    sms: bool = False,
    region_code: str | None = None,
    user: User | None,
    now: datetime,
) -> TemplateOverride:
    """Store an edited national part (no ``region_code``) or a region's part;
    refused with every reason (``TemplateRejectedError``)."""
    if language not in LANGUAGES:
        raise ValidationError(f"unknown language {language!r}", field="language")
    if region_code and session.get(Region, region_code) is None:
        raise ValidationError(f"unknown region {region_code!r}", field="region")
    problems = preview(session, event, language, text, sms=sms, region_code=region_code).problems
    if problems:
        raise TemplateRejectedError(problems)
    variant = SMS if sms else EMAIL
    national, regional = _rows(session, event, language, variant, region_code)
    row = regional if region_code else national
    if row is None:
        row = TemplateOverride(
            event=event,
            language=language,
            variant=variant,
            region=region_code or NATIONAL,
            text=text,
        )
        session.add(row)
    row.text = text
    row.updated_by = user.id if user else None
    row.updated_at = now
    audit.record(
        session,
        None,
        audit.Actor.of(user) if user else audit.SYSTEM,
        "template_saved",
        "",
        {"event": event, "language": language, "variant": variant, "region": region_code or ""},
        at=now,
    )
    session.flush()
    return row


def reset(
    session: Session,
    event: str,
    language: str,
    *,
    sms: bool = False,
    region_code: str | None = None,
    user: User | None,
    now: datetime,
) -> bool:
    """Back to the shipped file (national) or no regional part at all."""
    variant = SMS if sms else EMAIL
    removed = session.execute(
        delete(TemplateOverride).where(
            TemplateOverride.event == event,
            TemplateOverride.language == language,
            TemplateOverride.variant == variant,
            TemplateOverride.region == (region_code or NATIONAL),
        )
    ).rowcount  # type: ignore[attr-defined]
    if removed:
        audit.record(
            session,
            None,
            audit.Actor.of(user) if user else audit.SYSTEM,
            "template_reset",
            "",
            {"event": event, "language": language, "variant": variant, "region": region_code or ""},
            at=now,
        )
    return bool(removed)


def entries(session: Session) -> list[TemplateEntry]:
    """Every national template (edited or shipped) and every regional part,
    for the editor's overview."""
    rows = {
        (r.event, r.language, r.variant, r.region): r
        for r in session.execute(select(TemplateOverride)).scalars()
    }
    result: list[TemplateEntry] = []
    for spec in EVENTS.values():
        for language in LANGUAGES:
            for variant in (EMAIL, SMS) if spec.has_sms else (EMAIL,):
                row = rows.get((spec.name, language, variant, NATIONAL))
                result.append(
                    TemplateEntry(
                        spec.name,
                        language,
                        variant,
                        NATIONAL,
                        row is not None,
                        row.updated_at if row else None,
                    )
                )
    result.extend(
        TemplateEntry(r.event, r.language, r.variant, r.region, True, r.updated_at)
        for key, r in sorted(rows.items())
        if key[3] != NATIONAL
    )
    return result
