"""The deadline-day burst of the issue: 10,000 enquiries offered in 60
seconds (API, web form and signed SMS webhooks in turn) while 50 agents
browse the applicant desk, open tickets and answer, against gunicorn,
PostgreSQL, Redis and two rq workers (tests/reliability/burst.py does the
work; the reliability lane runs a small one in CI).  Reports what was
accepted, the latencies of every kind of request and every error.  The run
is bounded: what cannot even be sent within ``--cut-off`` seconds (every
simulated applicant still waiting for the desk) is counted as not sent.

    python bench/burst.py --enquiries 10000 --seconds 60 --agents 50
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, DEFAULT_REDIS, flush_redis, machine, recreate_database
from common import write_result as write
from memory import RssMonitor

from tests.ports import free_port
from tests.reliability.burst import Desk, run_burst
from tests.reliability.settle import tally, wait_quiet
from tests.reliability.stack import Stack, desk_environment, prepare_database
from tests.smtp_server import running_smtp
from tests.twilio_server import FakeTwilioServer

DATABASE = "sd_bench_burst"
AGENT_PASSWORD = "bench-agent-password"


def run(
    *,
    enquiries: int,
    seconds: float,
    agents: int,
    cut_off: float,
    web_workers: int = 3,
    rq_workers: int = 2,
    postgres: str = DEFAULT_POSTGRES,
    redis: str = DEFAULT_REDIS,
) -> dict[str, Any]:
    url = recreate_database(postgres, DATABASE)
    token = prepare_database(url, agents=agents, password=AGENT_PASSWORD)
    flush_redis(redis)
    with (
        running_smtp() as smtp,
        FakeTwilioServer() as twilio,
        tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp,
    ):
        # Chosen once the mail and Twilio stand-ins hold theirs: a port
        # probed free before could be given to one of them.
        port = free_port()
        env = desk_environment(
            database_url=url,
            instance=Path(tmp),
            port=port,
            redis_url=redis,
            smtp=(smtp.host, smtp.port),
            twilio=(twilio.account_sid, twilio.auth_token, twilio.base_url),
        )
        stack = Stack(env, port, Path(tmp) / "logs", web_workers=web_workers)
        monitor = RssMonitor()
        try:
            stack.start_web()
            monitor.watch("web", stack.web())
            for number in range(rq_workers):
                monitor.watch(f"rq{number}", stack.worker(number).start())
            monitor.start()
            monitor.mark()
            result = run_burst(
                Desk(
                    stack.url,
                    token,
                    twilio.auth_token,
                    [f"agent{n}@bench.test" for n in range(agents)],
                    AGENT_PASSWORD,
                ),
                enquiries=enquiries,
                seconds=seconds,
                cut_off=cut_off,
            )
            backlog = wait_quiet(url, timeout=600, still=10)
            outcome = tally(url, smtp, twilio)
            result["tickets"] = outcome.tickets
            result["outbox"] = dict(outcome.outbox)
            result["backlog_after"] = backlog
            result["cpu_seconds"] = monitor.cpu()
            result["rss"] = monitor.stop()
        except BaseException:
            print(stack.tails())
            raise
        finally:
            monitor.stop()
            stack.stop()
    result.update(web_workers=web_workers, rq_workers=rq_workers)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enquiries", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--cut-off", type=float, default=180.0)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    result = run(
        enquiries=args.enquiries,
        seconds=args.seconds,
        agents=args.agents,
        cut_off=args.cut_off,
        postgres=args.postgres,
        redis=args.redis,
    )
    result["machine"] = machine()
    path = write("burst", result)
    print(
        f"offered {result['offered']} in {result['offered_seconds']} s; accepted "
        f"{result['accepted']} in {result['seconds']} s; "
        f"not sent {result['not_sent_desk_saturated']}; errors {result['errors']}"
    )
    for kind, figures in result["requests"].items():
        print(
            f"  {kind:20} n={figures['requests']:>6} "
            f"p50 {figures['p50_ms']} p95 {figures['p95_ms']}"
        )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
