"""Assignment within a queue."""

from __future__ import annotations

import pytest

from routing import Candidate, choose_assignee


def person(
    user_id: str,
    *,
    queues: tuple[str, ...] = ("q",),
    topics: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    open_tickets: int = 0,
    available: bool = True,
) -> Candidate:
    return Candidate(user_id, queues, topics, languages, open_tickets, available)


@pytest.mark.parametrize(
    ("language", "candidates", "chosen", "words"),
    [
        (
            "sv",
            [
                person("a", languages=("fi",), topics=("funding",)),
                person("b", languages=("sv",), topics=("funding",)),
            ],
            "b",
            "handles language sv and topic funding",
        ),
        (
            "sv",
            [
                person("a", languages=("sv",), open_tickets=9),
                person("b", languages=("fi",), open_tickets=0),
            ],
            "a",
            "handles language sv and topic funding, with 9 open tickets, the fewest of the 1",
        ),
        (
            "fi",
            [person("a", open_tickets=3), person("b", open_tickets=1), person("c", open_tickets=1)],
            "b",
            "with 1 open tickets",
        ),
        ("fi", [person("a", available=False), person("b", open_tickets=7)], "b", "Assigned to b"),
        (
            "fi",
            [person("a", available=False)],
            None,
            "none of the 1 people in queue q is available",
        ),
        ("fi", [person("a", queues=("other",))], None, "nobody works queue q"),
        ("fi", [], None, "nobody works queue q"),
        (
            "fi",
            [person("b", languages=("fi",)), person("a", languages=("fi",), topics=("funding",))],
            "b",
            "handles language fi and topic funding",
        ),  # an empty topic list means any topic
        (
            "sv",
            [person("a", languages=("fi",), topics=("funding",)), person("b", languages=("en",))],
            "a",
            "handles topic funding (nobody available handles language sv)",
        ),
        (
            "sv",
            [person("a", languages=("fi",), topics=("results",))],
            "a",
            "is available (nobody available handles language sv or topic funding)",
        ),
    ],
)
def test_choose_assignee(
    language: str, candidates: list[Candidate], chosen: str | None, words: str
) -> None:
    choice = choose_assignee("q", "funding", language, candidates)
    assert choice.user_id == chosen, choice.reason
    assert words in choice.reason


def test_stable_among_equals() -> None:
    people = [person(name) for name in "xyz"]
    assert {choose_assignee("q", "other", "fi", people).user_id for _ in range(5)} == {"x"}
