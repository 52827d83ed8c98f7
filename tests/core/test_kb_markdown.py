"""Knowledge-base Markdown: whatever an article says, the page gets safe
HTML; media only from allowed sources and always with a text alternative."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from servicedesk.kb_markdown import (
    MediaPolicy,
    check_markdown,
    csp_sources,
    media_policy,
    plain_text,
    render_markdown,
)

POLICY = MediaPolicy(image_hosts=frozenset({"images.example.fi"}))


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element of a fragment with its attributes, as a browser sees them."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">klik</a>',
        "[klik](javascript:alert(1))",
        "[klik](JaVaScRiPt:alert(1))",
        "[klik](vbscript:msgbox(1))",
        "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](javascript:alert(1))",
        '![x" onerror="alert(1)](/static/kb/a.png)',
        "<iframe src=https://evil.example/></iframe>",
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_attacks_render_as_harmless_text(attack: str) -> None:
    html = render_markdown(f"Ennen\n\n{attack}\n\nJälkeen", POLICY)
    for tag, attrs in elements(html):
        assert tag not in {"script", "style", "svg", "iframe", "object", "embed"}, html
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", html
            if name in {"href", "src"}:
                scheme = (value or "").strip().lower()
                assert not scheme.startswith(("javascript:", "vbscript:", "data:")), html
    assert "<p>Ennen</p>" in html and "<p>Jälkeen</p>" in html


def test_links_and_ordinary_markdown_survive() -> None:
    html = render_markdown("# Haku\n\nLue **ohjeet** [Opintopolusta](https://opintopolku.fi).")
    assert "<h2>Haku</h2>" in html  # the page's h1 is the title
    assert '<a href="https://opintopolku.fi" rel="noopener noreferrer">Opintopolusta</a>' in html
    assert "<strong>ohjeet</strong>" in html


def test_images_from_allowed_sources_keep_their_alt_text() -> None:
    html = render_markdown(
        "![Hakulomakkeen ensimmäinen sivu](/static/kb/form.png)\n\n"
        "![Kartta](https://images.example.fi/map.png)",
        POLICY,
    )
    assert '<img src="/static/kb/form.png" alt="Hakulomakkeen ensimmäinen sivu"' in html
    assert '<img src="https://images.example.fi/map.png" alt="Kartta"' in html


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/x.png",
        "http://images.example.fi/map.png",  # not over HTTPS
        "//images.example.fi/map.png",
        "https://user:pw@images.example.fi/map.png",
        "https://images.example.fi.evil.example/map.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_images_from_other_sources_are_refused_and_never_rendered(src: str) -> None:
    body = f"![Kuva]({src})"
    assert any("may come only from" in p for p in check_markdown(body, POLICY))
    assert "<img" not in render_markdown(body, POLICY)


def test_image_without_alt_text_is_refused_on_save() -> None:
    problems = check_markdown("Katso kuvaa:\n\n![](/static/kb/form.png)", POLICY)
    assert len(problems) == 1 and "no text alternative" in problems[0]
    assert check_markdown("![Hakulomake](/static/kb/form.png)", POLICY) == []
    assert check_markdown("![   ](/static/kb/form.png)", POLICY)


def test_video_from_an_allowed_host_is_an_titled_iframe() -> None:
    body = "![Video: näin haet](https://www.youtube-nocookie.com/embed/abc123)"
    assert check_markdown(body) == []
    html = render_markdown(body)
    assert (
        '<iframe src="https://www.youtube-nocookie.com/embed/abc123" title="Video: näin haet"'
        in html
    )
    assert "<iframe" not in render_markdown("![Video](https://www.youtube.com/embed/abc123)")


def test_policy_from_settings_and_csp() -> None:
    policy = media_policy({"SERVICEDESK_KB_IMAGE_HOSTS": "Kuvat.example.fi, cdn.example.fi"})
    assert policy.image_hosts == {"kuvat.example.fi", "cdn.example.fi"}
    assert csp_sources(policy)["img-src"] == [
        "'self'",
        "https://cdn.example.fi",
        "https://kuvat.example.fi",
    ]
    assert "https://www.youtube-nocookie.com" in csp_sources(policy)["frame-src"]


def test_plain_text_for_snippets_and_replies() -> None:
    assert plain_text("# Otsikko\n\nTeksti **lihavana** & [linkki](https://a.fi).") == (
        "Otsikko\nTeksti lihavana & linkki."
    )
