"""A small public knowledge base for the tests of the ``/kb`` pages and the
contact form's suggestions: public answers in one, two or three languages,
an internal one, a draft and an archived one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from servicedesk import knowledge
from servicedesk.knowledge import Draft
from servicedesk.models import Article
from tests.integration.issue7_kit import at

NOW = at("2026-03-02 10:00")


def make_article(
    session: Session,
    *,
    fi: tuple[str, str] | None = None,
    sv: tuple[str, str] | None = None,
    en: tuple[str, str] | None = None,
    topics: tuple[str, ...] = ("application",),
    publish: bool = True,
    **kw: object,
) -> Article:
    texts = {
        language: Draft(*pair)
        for language, pair in (("fi", fi), ("sv", sv), ("en", en))
        if pair is not None
    }
    article = knowledge.create(
        session,
        texts=texts,
        topics=topics,
        author=None,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    if publish:
        knowledge.publish(session, article, None, NOW)
    return article


@dataclass
class Library:
    haku: Article  # fi, sv, en; application
    tuki: Article  # fi, en; funding
    video: Article  # fi only; study_modes; an image and a video
    internal: Article  # fi; internal; application, technical
    draft: Article  # fi; never published
    archived: Article  # fi; published, then archived


def make_library(session: Session) -> Library:
    haku = make_article(
        session,
        fi=(
            "Yhteishaun aikataulu",
            "## Milloin haetaan?\n\nYhteishaku alkaa maaliskuussa. **Hakuaika** päättyy "
            "huhtikuussa.\n\n<script>alert('x')</script>",
        ),
        sv=("Tidtabell för gemensam ansökan", "Den gemensamma ansökan börjar i mars."),
        en=("Joint application timetable", "The joint application starts in March."),
        topics=("application",),
    )
    tuki = make_article(
        session,
        fi=(
            "Aikuiskoulutustuki",
            "Aikuiskoulutustukea voi hakea Työllisyysrahastosta, kun opiskelet työn ohessa.",
        ),
        en=(
            "Adult education allowance",
            "You can apply for the adult education allowance from the Employment Fund.",
        ),
        topics=("funding",),
    )
    video = make_article(
        session,
        fi=(
            "Etäopiskelu videolla",
            "Katso video etäopiskelusta.\n\n"
            "![Video: etäopiskelu](https://www.youtube-nocookie.com/embed/abc123)\n\n"
            "![Kuva hakulomakkeesta](/static/kb/lomake.png)",
        ),
        topics=("study_modes",),
    )
    internal = make_article(
        session,
        fi=("Hakemusten käsittely virkailijana", "Sisäinen ohje: yhteishaku ja käsittely."),
        topics=("application", "technical"),
        audience="internal",
    )
    draft = make_article(
        session,
        fi=("Luonnos yhteishausta", "Keskeneräinen vastaus yhteishausta."),
        publish=False,
    )
    archived = make_article(
        session,
        fi=("Vanha yhteishaku", "Vanhentunut vastaus yhteishausta."),
        topics=("results",),
    )
    knowledge.archive(session, archived, None, NOW)
    session.commit()
    return Library(haku, tuki, video, internal, draft, archived)
