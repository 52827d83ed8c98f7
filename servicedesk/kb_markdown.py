"""Markdown for knowledge-base articles: checked when saved, rendered to
safe HTML when shown.

Rendering is markdown-it-py (CommonMark, tables and strikethrough; raw
HTML off, so ``<script>`` in an article is text) and then nh3 with a short
list of tags and attributes, whatever the Markdown produced.  Headings move
down one level (the page's ``<h1>`` is the article title).

Media come only from allowed sources (``MediaPolicy``): images from our
own site (a path such as ``/static/kb/form.png``) or an allowed host over
HTTPS, and embedded video from an allowed video host, written as an image
whose address is the player's (``![Video: how to apply](https://www.
youtube-nocookie.com/embed/ID)``), which renders as an ``<iframe>`` titled
with its text.  Saving refuses media from other sources and media without
a text alternative; rendering drops media from other sources again, in
case an older text or a changed policy lets one through.  The pages that
show articles must allow the same hosts in their Content-Security-Policy
(``csp_sources``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code",
        "pre", "blockquote", "ul", "ol", "li", "a", "img", "iframe", "table", "thead",
        "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "iframe": {"src", "title", "loading", "allowfullscreen", "referrerpolicy"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
DEFAULT_VIDEO_HOSTS = frozenset({"www.youtube-nocookie.com", "player.vimeo.com"})


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    """Where article images and videos may come from, besides our own site
    (paths starting with ``/``).  Hosts are matched exactly, over HTTPS."""

    image_hosts: frozenset[str] = field(default_factory=frozenset)
    video_hosts: frozenset[str] = DEFAULT_VIDEO_HOSTS


DEFAULT_POLICY = MediaPolicy()


def media_policy(extra: Mapping[str, str]) -> MediaPolicy:
    """The policy from settings: ``SERVICEDESK_KB_IMAGE_HOSTS`` and
    ``SERVICEDESK_KB_VIDEO_HOSTS``, comma-separated host names."""

    def hosts(name: str, default: frozenset[str]) -> frozenset[str]:
        raw = extra.get(name)
        if raw is None:
            return default
        return frozenset(h.strip().lower() for h in raw.split(",") if h.strip())

    return MediaPolicy(
        image_hosts=hosts("SERVICEDESK_KB_IMAGE_HOSTS", frozenset()),
        video_hosts=hosts("SERVICEDESK_KB_VIDEO_HOSTS", DEFAULT_VIDEO_HOSTS),
    )


def csp_sources(policy: MediaPolicy = DEFAULT_POLICY) -> dict[str, list[str]]:
    """What a page showing articles adds to its Content-Security-Policy."""
    return {
        "img-src": ["'self'", *sorted(f"https://{h}" for h in policy.image_hosts)],
        "frame-src": sorted(f"https://{h}" for h in policy.video_hosts),
    }


def media_kind(src: str, policy: MediaPolicy = DEFAULT_POLICY) -> str | None:
    """ "image", "video" or None (not an allowed source)."""
    parts = urlsplit(src.strip())
    if not parts.scheme and not parts.netloc:
        return "image" if src.startswith("/") and not src.startswith("//") else None
    if parts.scheme != "https" or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    if host in policy.video_hosts:
        return "video"
    if host in policy.image_hosts:
        return "image"
    return None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _images(tokens: Sequence[Token]) -> list[Token]:
    found = []
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                found.append(child)
    return found


def check_markdown(body: str, policy: MediaPolicy = DEFAULT_POLICY) -> list[str]:
    """Why ``body`` may not be saved: media from a source that is not
    allowed, or without a text alternative.  Empty when it may."""
    problems = []
    for image in _images(_parser().parse(body)):
        src = str(image.attrGet("src") or "")
        kind = media_kind(src, policy)
        if kind is None:
            host = urlsplit(src).hostname or src[:60]
            allowed = sorted(policy.image_hosts | policy.video_hosts)
            problems.append(
                f"images and videos may come only from this site"
                f"{' or ' + ', '.join(allowed) if allowed else ''}, not from {host}"
            )
        if not image.content.strip():
            what = "video" if kind == "video" else "image"
            problems.append(
                f"the {what} {src[:80]} has no text alternative: write it between "
                f"the brackets, ![like this]({src[:40]})"
            )
    return problems


def _render_media(
    policy: MediaPolicy, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = html.escape(token.content, quote=True)
    kind = media_kind(src, policy)
    if kind is None:
        return f"<span>{alt}</span>"
    url = html.escape(src, quote=True)
    if kind == "video":
        return (
            f'<iframe src="{url}" title="{alt}" loading="lazy" '
            f'referrerpolicy="no-referrer" allowfullscreen></iframe>'
        )
    return f'<img src="{url}" alt="{alt}" loading="lazy">'


def _attribute_filter(policy: MediaPolicy) -> Any:
    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute == "src":
            wanted = "video" if element == "iframe" else "image"
            return value if media_kind(value, policy) == wanted else None
        return value

    return keep


def render_markdown(body: str, policy: MediaPolicy = DEFAULT_POLICY) -> str:
    """An article body as HTML that is safe to put on a page."""
    md = _parser()
    tokens = md.parse(body)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    renderer: Any = type(md.renderer)()
    renderer.rules["image"] = lambda tokens, idx, options, env: _render_media(
        policy, tokens, idx, options, env
    )
    raw = renderer.render(tokens, md.options, {})
    return nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(policy),
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )


def plain_text(body: str) -> str:
    """The words of an article body without markup (for snippets and for
    pasting into a reply)."""
    rendered = render_markdown(body).replace("</p>", "</p>\n").replace("<br>", "\n")
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
