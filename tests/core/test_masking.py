from __future__ import annotations

import pytest

from servicedesk.masking import MASK, mask_identity_codes


@pytest.mark.parametrize(
    "code",
    [
        "131052-308T",  # the classic example
        "010100A123D",  # 2000s
        "010100B123D",  # 2023 century signs for the 2000s
        "010100F1234",
        "010199Y123R",  # 2023 century signs for the 1900s
        "010199U123R",
        "150899+123H",  # 1800s
        "131052-308t",  # lower-case check character
    ],
)
def test_identity_codes_are_masked(code: str) -> None:
    text, count = mask_identity_codes(f"Hetuni on {code}, kiitos.")
    assert count == 1
    assert code not in text
    assert MASK in text


@pytest.mark.parametrize(
    "text",
    [
        "Postinumero 90100 Oulu",
        "puhelin 0401234567",
        "tilausnumero 1310523088",
        "päivä 13.10.1952",
        "ID abc131052-308T",  # glued to letters: not a code on its own
        "321052-308T",  # day 32 is no date
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_identity_codes(text) == (text, 0)


def test_counts_every_code() -> None:
    text, count = mask_identity_codes("131052-308T ja 010100A123D")
    assert count == 2
    assert text == f"{MASK} ja {MASK}"
