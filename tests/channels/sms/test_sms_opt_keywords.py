"""STOP / START / HELP recognition."""

from __future__ import annotations

import pytest

from channels.sms import TWILIO_OPT_KEYWORDS, OptKeyword, opt_keyword


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", OptKeyword.STOP),
        ("stop", OptKeyword.STOP),
        ("Stop.", OptKeyword.STOP),
        ("  stop!\n", OptKeyword.STOP),
        ("STOPALL", OptKeyword.STOP),
        ("unsubscribe", OptKeyword.STOP),
        ("Cancel", OptKeyword.STOP),
        ("END", OptKeyword.STOP),
        ("quit", OptKeyword.STOP),
        ("\u200bSTOP 🙏", OptKeyword.STOP),
        ("ＳＴＯＰ", OptKeyword.STOP),  # full-width letters, NFKC
        ("START", OptKeyword.START),
        ("yes", OptKeyword.START),
        ("Unstop", OptKeyword.START),
        ("HELP", OptKeyword.HELP),
        ("info?", OptKeyword.HELP),
        ("stop sending me these", None),
        ("Please stop", None),
        ("STOP ALL", None),
        ("S T O P", None),
        ("stopp", None),
        ("LOPETA", None),  # Twilio does not block on it, so neither do we
        ("SLUTA", None),
        ("", None),
        ("   ", None),
        ("?", None),
        ("Hei, milloin haku alkaa?", None),
    ],
)
def test_opt_keyword(body: str, expected: OptKeyword | None) -> None:
    assert opt_keyword(body) == expected


def test_custom_keywords_for_advanced_opt_out() -> None:
    keywords = {**TWILIO_OPT_KEYWORDS, "LOPETA": OptKeyword.STOP}
    assert opt_keyword("Lopeta!", keywords) == OptKeyword.STOP
    assert opt_keyword("STOP", keywords) == OptKeyword.STOP


def test_keyword_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TWILIO_OPT_KEYWORDS["LOPETA"] = OptKeyword.STOP  # type: ignore[index]
