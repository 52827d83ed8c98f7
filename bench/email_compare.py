"""Email ingestion, the desk beside django-helpdesk, on the very same
mails in the very same real Dovecot mailbox.

The desk, as in production: ``servicedesk email poll --once`` run until
the mailbox is drained (bench/email_bench.py), on PostgreSQL, with Redis
and two rq workers (``--rq-workers``) that make the tickets of the mails
the poller stored and send the acknowledgements and the experts' notices
by SMTP (to a local aiosmtpd); its clock stops when every mail is a
ticket and the outbox is empty.
django-helpdesk: its ``manage.py get_email`` run until it makes no more
tickets, its queue reading the same mailbox over IMAP, on PostgreSQL,
sending its own mails to the same kind of aiosmtpd.  Both clocks include
the pollers' process start-up.

    python bench/email_compare.py --mails 1000
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import email_bench
from common import DEFAULT_POSTGRES, DEFAULT_REDIS, machine, recreate_database, write_result
from helpdesk_baseline import baseline

from tests.dovecot import running_dovecot
from tests.smtp_server import running_smtp

DESK_DATABASE = "sd_bench_email"
HELPDESK_DATABASE = "sd_bench_helpdesk_email"


def run(
    count: int,
    *,
    postgres: str = DEFAULT_POSTGRES,
    redis: str = DEFAULT_REDIS,
    seed: int = 7,
    rq_workers: int = 2,
) -> dict[str, Any]:
    mails = email_bench.generate_mails(count, seed)
    version = baseline.ensure_venv()
    users = {email_bench.USER: email_bench.PASSWORD}
    with (
        running_dovecot(users, with_ssl=False) as server,
        running_smtp() as smtp,
        tempfile.TemporaryDirectory(prefix="bench-email-") as tmp,
    ):
        folder = Path(tmp)
        url = recreate_database(postgres, DESK_DATABASE)
        desk = email_bench.run(
            "postgresql",
            url,
            server,
            mails,
            folder,
            extra_env={
                "SERVICEDESK_SMTP_HOST": smtp.host,
                "SERVICEDESK_SMTP_PORT": str(smtp.port),
                "SERVICEDESK_SMTP_STARTTLS": "0",
            },
            redis_url=redis,
            rq_workers=rq_workers,
        )
        desk["mails_sent"] = len(smtp.handler.received)
        smtp.handler.received.clear()
        env = baseline.environment(postgres, HELPDESK_DATABASE, smtp.port, folder / "hd-media")
        imap = (server.host, server.port, email_bench.USER, email_bench.PASSWORD)
        baseline.prepare(env, postgres, HELPDESK_DATABASE, imap=imap)
        email_bench.refill(server, mails)
        helpdesk = baseline.get_email(env, postgres, HELPDESK_DATABASE, expected=len(mails))
    return {
        "mails": len(mails),
        "desk": desk,
        "helpdesk": {
            "version": version,
            "tickets": helpdesk.tickets,
            "seconds": round(helpdesk.seconds, 3),
            "runs": helpdesk.runs,
            "tickets_per_second": round(helpdesk.tickets / helpdesk.seconds, 1)
            if helpdesk.seconds
            else None,
            "mails_sent": len(smtp.handler.received),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--rq-workers", type=int, default=2)
    args = parser.parse_args()
    result = run(args.mails, postgres=args.postgres, redis=args.redis, rq_workers=args.rq_workers)
    result["machine"] = machine()
    path = write_result("email_compare", result)
    desk, helpdesk = result["desk"], result["helpdesk"]
    print(
        f"desk: {desk['tickets']} tickets in {desk['seconds']} s = {desk['tickets_per_second']}/s"
    )
    print(
        f"django-helpdesk: {helpdesk['tickets']} tickets in {helpdesk['seconds']} s = "
        f"{helpdesk['tickets_per_second']}/s"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
