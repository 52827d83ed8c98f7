"""HTML mail bodies: sanitised for display, flattened to readable text.

:func:`sanitise_html` runs nh3 (ammonia) with its default allow-list plus
``cid:`` image sources, so inline images keep pointing at their parts.
:func:`html_to_text` turns (already sanitised) HTML into plain text for
search, routing and quote folding: blocks become lines, list items get a
dash, table cells are separated, and ``<blockquote>`` becomes ``>`` quoting
so the quote folder recognises it.
"""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser

import nh3

_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "header",
        "hr",
        "li",
        "nav",
        "ol",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    }
)
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table"})
_CELLS = frozenset({"td", "th"})
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.+-]{1,40})", re.I
)


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | {"cid"},
        clean_content_tags=set(_SKIPPED),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def sanitise_html(markup: str) -> str:
    """HTML safe to show in the console: no scripts, styles, handlers or foreign schemes."""
    try:
        return _cleaner().clean(markup).strip()
    except Exception:  # a sanitiser failure must never lose the mail: show escaped text
        return "<pre>" + html.escape(markup) + "</pre>"


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a ``<meta>`` tag, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def html_to_text(markup: str) -> str:
    """Readable plain text from HTML; never raises."""
    converter = _TextConverter()
    try:
        converter.feed(markup)
        converter.close()
    except Exception:  # HTMLParser has asserted on malformed markup in the past
        stripped = re.sub(r"<[^>]*>", " ", markup)
        return _SPACES.sub(" ", html.unescape(stripped)).strip()
    return converter.text()


class _TextConverter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[tuple[int, str]] = []
        self._current: list[str] = []
        self._depth = 0
        self._skip = 0
        self._pre = 0
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "br":
            self._newline(force=True)
        elif tag in _PARAGRAPHS:
            self._paragraph()
            if tag == "blockquote":
                self._depth += 1
            elif tag == "pre":
                self._pre += 1
        elif tag in _BLOCKS:
            self._newline()
            if tag == "li":
                self._current.append("- ")
        elif tag in _CELLS:
            if self._current and not self._current[-1].endswith(("\t", " ")):
                self._current.append("\t")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in _PARAGRAPHS:
            self._newline()
            if tag == "blockquote":
                self._depth = max(0, self._depth - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._paragraph()
        elif tag in _BLOCKS:
            self._newline()
        elif tag == "a" and self._href:
            self._link_target(self._href.pop())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            parts = data.replace("\r\n", "\n").split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._newline(force=True)
                self._current.append(part)
            return
        collapsed = _SPACES.sub(" ", data)
        if not self._current or self._current[-1].endswith((" ", "\t", "- ")):
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self._current.append(collapsed)

    def _link_target(self, href: str | None) -> None:
        if not href or not href.startswith(("http://", "https://")):
            return
        shown = "".join(self._current)
        if href.rstrip("/") not in shown:
            self._current.append(f" <{href}>")

    def _newline(self, *, force: bool = False) -> None:
        line = "".join(self._current).rstrip()
        self._current = []
        if line or force:
            self._lines.append((self._depth, line))

    def _paragraph(self) -> None:
        self._newline()
        if self._lines and self._lines[-1][1]:
            self._lines.append((self._depth, ""))

    def text(self) -> str:
        self._newline()
        rendered = []
        for depth, line in self._lines:
            prefix = "> " * depth
            rendered.append((prefix + line).rstrip() if line else prefix.rstrip())
        text = "\n".join(rendered).strip("\n")
        return _BLANK_RUNS.sub("\n\n", text)
