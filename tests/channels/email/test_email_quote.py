"""split_quoted: the reply stays visible, the history folds, nothing is lost."""

from __future__ import annotations

import pytest

from channels.email import split_quoted

CASES = [
    (
        "gmail-en",
        "Thanks!\n\nOn Mon, 2 Mar 2026 at 08:00, Desk <applicants@desk.test> wrote:\n> Hello\n",
        "Thanks!\n\n",
    ),
    (
        "gmail-en-wrapped",
        "Thanks!\n\nOn Mon, 2 Mar 2026 at 08:00, Applicant Desk <\n"
        "applicants@desk.test> wrote:\n\n> Hi\n",
        "Thanks!\n\n",
    ),
    (
        "gmail-fi",
        "Kiitos!\n\nma 2.3.2026 klo 8.00 Hakijapalvelu (applicants@desk.test) kirjoitti:\n> Hei\n",
        "Kiitos!\n\n",
    ),
    (
        "outlook-fi-attribution",
        "Selvä.\n\nMatti Meikäläinen <matti@x.fi> kirjoitti 2.3.2026 kello 8.00:\n> Hei\n",
        "Selvä.\n\n",
    ),
    (
        "gmail-sv",
        "Tack!\n\nDen mån 2 mars 2026 kl 08:00 skrev Hakijapalvelu"
        " <applicants@desk.test>:\n> Hej\n",
        "Tack!\n\n",
    ),
    (
        "german",
        "Danke.\n\nAm 02.03.2026 um 08:00 schrieb Desk <applicants@desk.test>:\n> Hallo\n",
        "Danke.\n\n",
    ),
    ("original-en", "Ok\n-----Original Message-----\nFrom: x\n", "Ok\n"),
    ("original-fi", "Ok\n\n-----Alkuperäinen viesti-----\nLähettäjä: x\n", "Ok\n\n"),
    ("original-sv", "Ok\n-----Ursprungligt meddelande-----\nFrån: x\n", "Ok\n"),
    (
        "outlook-block-en",
        "Fine.\n\nFrom: Desk <applicants@desk.test>\nSent: Monday, 2 March 2026 8.00\n"
        "To: Me\nSubject: Re: x\n\nold text\n",
        "Fine.\n\n",
    ),
    (
        "outlook-block-fi-with-rule",
        "Hyvä.\n\n________________________________\nLähettäjä: Hakijapalvelu\n"
        "Lähetetty: maanantai 2. maaliskuuta 2026 8.00\nVastaanottaja: Minä\n"
        "Aihe: Re: x\n\nvanha\n",
        "Hyvä.\n\n",
    ),
    (
        "outlook-block-sv-bold",
        "Bra.\n\n*Från:* Hakijapalvelu\n*Skickat:* den 2 mars 2026\n*Till:* Jag\n*Ämne:* x\n",
        "Bra.\n\n",
    ),
    ("trailing-quote-only", "New text\n\n> old line\n> old line 2\n", "New text\n\n"),
    (
        "nothing-quoted",
        "Just a question.\nAs I wrote: nothing else.\n",
        "Just a question.\nAs I wrote: nothing else.\n",
    ),
]


@pytest.mark.parametrize(("name", "text", "visible"), CASES, ids=[case[0] for case in CASES])
def test_split_quoted(name: str, text: str, visible: str) -> None:
    shown, quoted = split_quoted(text)
    assert shown == visible
    assert shown + quoted == text


def test_interleaved_answers_stay_visible() -> None:
    text = "> Question one?\nAnswer one.\n> Question two?\nAnswer two.\n"
    assert split_quoted(text) == (text, "")


def test_prose_about_writing_is_not_an_attribution() -> None:
    text = "Here is what I wrote:\n\nmy application letter\n"
    assert split_quoted(text) == (text, "")


def test_from_line_alone_is_not_a_header_block() -> None:
    text = "From: my school I got this advice.\nIs it right?\n"
    assert split_quoted(text) == (text, "")
