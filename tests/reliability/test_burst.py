"""Load: a burst of enquiries (API, web form, SMS) at a fixed arrival rate
while agents browse the desk and answer, against the real processes.
Zero errors; the latencies are printed (``-s``) for the record.  In CI
the burst is small (``BURST_ENQUIRIES``, default 60 in 20 s with 5
agents); ``make bench`` runs 10,000 in 60 s with 50 agents."""

from __future__ import annotations

import json
import os

import pytest

from tests.reliability.burst import Desk as BurstDesk
from tests.reliability.burst import run_burst
from tests.reliability.conftest import AGENT_PASSWORD, Desk, make_desk
from tests.reliability.settle import tally, wait_quiet

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ENQUIRIES = int(os.environ.get("BURST_ENQUIRIES", "60"))
SECONDS = float(os.environ.get("BURST_SECONDS", "20"))
AGENTS = int(os.environ.get("BURST_AGENTS", "5"))


@pytest.fixture
def busy_desk(tmp_path, database_url, redis_url, smtp, twilio, mailbox):  # type: ignore[no-untyped-def]
    made = make_desk(
        tmp_path, database_url, redis_url, smtp, twilio, mailbox, web_workers=3, agents=AGENTS
    )
    try:
        yield made
    finally:
        made.stack.stop()


def test_burst_while_agents_work_has_no_errors(busy_desk: Desk) -> None:
    stack = busy_desk.stack
    stack.start_web()
    stack.worker(0).start()
    stack.worker(1).start()
    result = run_burst(
        BurstDesk(
            stack.url,
            busy_desk.api_token,
            busy_desk.twilio_token,
            [f"agent{n}@bench.test" for n in range(AGENTS)],
            AGENT_PASSWORD,
        ),
        enquiries=ENQUIRIES,
        seconds=SECONDS,
    )
    print("\n" + json.dumps(result, indent=2))
    assert result["errors"] == {}
    assert result["accepted"] == ENQUIRIES
    assert result["requests"]["agent desk list"]["requests"] >= AGENTS
    wait_quiet(busy_desk.database_url, timeout=60)
    outcome = tally(busy_desk.database_url, busy_desk.smtp, busy_desk.twilio)
    assert outcome.tickets == ENQUIRIES
    assert "failed" not in outcome.outbox
