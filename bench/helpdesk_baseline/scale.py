"""django-helpdesk's ticket list at scale, for the console comparison.

``load`` fills the baseline's database with ``count`` tickets (2 % open,
the rest closed, spread over three years) and 3.4 follow-ups each on
average, with INSERT … SELECT from ``generate_series`` (the fastest way
in, for its schema as for ours).  ``measure`` signs in as the staff user
through Django's login form and times the list a desk agent opens: the
``/tickets/`` page (open tickets, newest first) and the rows it fetches
(the DataTables JSON: first page, and page 1,000 at 50 a page).
"""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import psycopg
from common import database_url
from load import percentiles_ms

from tests.reliability.http_client import HttpClient, hidden_fields

DATATABLES = re.compile(r'"url":\s*"([^"]*datatables_ticket_list/[^"]*)"')
PAGE_SIZE = 50


def load(postgres: str, database: str, count: int, queue_id: int) -> float:
    """Seconds taken to add ``count`` tickets and their follow-ups."""
    started = time.perf_counter()
    with psycopg.connect(database_url(postgres, database, driver="postgresql")) as connection:
        connection.execute(
            """
            INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status,
                on_hold, description, resolution, priority, queue_id, secret_key)
            SELECT 'Kysymys ' || n, now() - (n * interval '94 seconds'),
                   now() - (n * interval '94 seconds'), 'hakija' || n || '@example.org',
                   CASE WHEN n %% 50 = 0 THEN 1 ELSE 4 END, false,
                   'Hei! Milloin yhteishaku alkaa ja miten haen? Asun Oulussa.', '', 3,
                   %s, md5(n::text)
            FROM generate_series(1, %s) AS n
            """,
            (queue_id, count),
        )
        connection.execute(
            """
            INSERT INTO helpdesk_followup (date, title, comment, public, ticket_id)
            SELECT t.created + (k * interval '3 hours'), 'Vastaus',
                   'Hei! Kiitos kysymyksestä. Hakuaika päättyy klo 15.', true, t.id
            FROM helpdesk_ticket t, generate_series(1, 3 + (t.id % 2)) AS k
            WHERE t.id > (SELECT coalesce(max(ticket_id), 0) FROM helpdesk_followup)
            """
        )
        connection.execute("ANALYZE")
    return time.perf_counter() - started


def sign_in(client: HttpClient) -> None:
    page = client.get("/login/")
    fields = {
        **hidden_fields(page.text),
        "username": "admin",
        "password": "benchmark-password",
        "next": "/tickets/",
    }
    answer = client.post_form("/login/", fields, {"Referer": client_url(client) + "/login/"})
    if answer.status != 302:
        raise RuntimeError(f"django-helpdesk sign-in failed: {answer.status}")


def client_url(client: HttpClient) -> str:
    return f"http://{client.host}:{client.port}"


def _timed(client: HttpClient, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    answer = client.get(path)
    seconds = time.perf_counter() - started
    if answer.status != 200:
        raise RuntimeError(f"GET {path}: {answer.status}")
    return seconds, answer.text


def measure(base_url: str, repeats: int) -> dict[str, Any]:
    client = HttpClient(base_url, timeout=600)
    sign_in(client)
    listing = "/tickets/?" + "&".join(f"status={s}" for s in range(1, 6))
    _seconds, page = _timed(client, listing)
    found = DATATABLES.search(page)
    if found is None:
        raise RuntimeError("no DataTables URL on django-helpdesk's ticket list")
    rows = unescape(found.group(1))
    columns = "&".join(f"columns[{i}][data]={i}" for i in range(9))
    first = (
        f"{rows}?draw=1&start=0&length={PAGE_SIZE}&order[0][column]=5&order[0][dir]=desc&{columns}"
    )
    deep = first.replace("start=0", f"start={PAGE_SIZE * 999}").replace("draw=1", "draw=2")
    results: dict[str, Any] = {}
    for name, path in (
        ("list_page", listing),
        ("list_rows_first", first),
        ("list_rows_page_1000", deep),
    ):
        timings = [_timed(client, path)[0] for _ in range(repeats)]
        results[name] = {
            "requests": repeats,
            **{f"{k}_ms": v for k, v in percentiles_ms(timings).items()},
        }
    client.close()
    return results
