"""The keypad region menu with every region of Finland having a regional
desk (19): eight regions a page, 9 for the next page, so every region can
be reached; the page is in the (signed) action URL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from servicedesk import directory_store, voice_flow
from tests.integration.test_voice_flow import OPEN, Call, gather, record_of, spoken
from tests.integration.twilio_requests import Twilio

REPO = Path(__file__).resolve().parents[2]
SHIPPED = {"01", "02", "06", "15", "17"}


def extra_desks(codes: list[str]) -> str:
    lines = ["organizations:"]
    for code in codes:
        lines += [
            f"  - id: region-{code}-desk",
            "    kind: regional_desk",
            f'    region: "{code}"',
            f"    name: {{fi: Alueen {code} neuvonta, sv: Region {code}, en: Region {code}}}",
            f'    phone: "+3585010009{code}"',
            "    queues:",
            f"      - id: region-{code}-applicants",
            "        audience: applicant",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def nineteen_desks(session, tmp_path):  # type: ignore[no-untyped-def]
    """Every region with a regional desk, loaded in the test's transaction;
    the routing snapshot cache is emptied on both sides, as the rollback
    brings the old directory version number back."""
    directory = directory_store.current(session)
    missing = sorted(set(directory.regions) - SHIPPED)
    folder = tmp_path / "directory"
    folder.mkdir()
    shutil.copy(REPO / "config" / "directory" / "demo.yaml", folder / "demo.yaml")
    (folder / "regions.yaml").write_text(extra_desks(missing), encoding="utf-8")
    directory_store._cache.clear()
    directory_store.load(session, folder)
    session.commit()
    yield directory_store.current(session)
    directory_store._cache.clear()


@pytest.fixture
def twilio(client, settings) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client, settings)


def test_nineteen_regions_go_eight_to_a_page(nineteen_desks) -> None:
    choices = voice_flow.region_choices(nineteen_desks, "fi")
    assert len(choices) == 19
    pages = [voice_flow.region_page(choices, page) for page in (1, 2, 3, 4)]
    assert [(len(shown), more) for shown, more in pages] == [
        (8, True),
        (8, True),
        (3, False),
        (0, False),
    ]
    assert [c for shown, _more in pages for c in shown] == choices


def test_a_region_on_the_third_page_is_reachable(rt, twilio, session, nineteen_desks) -> None:
    rt.clock = lambda: OPEN
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="1"))

    first = gather(call.post(ask.get("action"), Digits="0"))
    assert "Muut alueet, paina 9." in spoken(first)
    assert first.get("action") == "http://desk.test/webhooks/twilio/voice/region"
    second = gather(call.post(first.get("action"), Digits="9"))
    assert second.get("action") == "http://desk.test/webhooks/twilio/voice/region?page=2"
    third = gather(call.post(second.get("action"), Digits="9"))
    assert "Muut alueet" not in spoken(third)
    assert "Ahvenanmaa, paina 3." in spoken(third)  # region 21, the last of 19

    connect = call.post(third.get("action"), Digits="3")

    assert connect.find("Dial").findtext("Number") == "+358501000921"
    assert record_of(session).region_code == "21"
