"""The one table of ``make bench``: every figure the issue asks for, read
from the results the benchmark scripts wrote (``bench/results/*.json``),
beside its goal and whether it was met.

A row is ``Row(measure, figure, goal, met)``; ``met`` is ``yes`` or ``no``
against a goal, ``-`` where the issue sets none, ``failed`` when the step
that measures it failed in this run and ``not measured`` when no result
exists.  Memory is not a script of its own: it is the peak RSS of the web
and rq workers over the ingestion, burst and console runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from common import read_result

Results = dict[str, dict[str, Any] | None]
MB_PER_MIB = 1.048576


@dataclass(frozen=True, slots=True)
class Row:
    measure: str
    figure: str
    goal: str = "-"
    met: str = "-"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "yes" if ok else "no"


def latency(figures: dict[str, Any] | None, *, p99: bool = False) -> str:
    if not figures or figures.get("p50_ms") is None:
        return "no requests"
    text = f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms"
    if p99:
        text += f", p99 {figures['p99_ms']:.0f} ms"
    return text


def routing_rows(r: Results) -> list[Row]:
    data = r["routing"]
    assert data is not None
    return [
        Row(
            "routing decisions per second (one core, CPU time)",
            f"{data['decisions_per_second']:,} ({data['microseconds_per_decision']} µs each)",
        ),
        Row("directory load (YAML, validate, build)", f"{data['directory_load_seconds']} s"),
    ]


def ingest_rows(r: Results) -> list[Row]:
    desk, helpdesk = r["ingest_desk"], r["ingest_helpdesk"]
    rows: list[Row] = []
    if desk is not None:
        for key, label in (("api", "POST /api/v1/enquiries"), ("form", "web form")):
            f = desk[key]
            rows.append(
                Row(
                    f"ingestion, {label} ({desk['concurrency']} concurrent)",
                    f"{f['per_second']} tickets/s, {latency(f, p99=True)}"
                    f" ({f['succeeded']}/{f['requests']} ok)",
                )
            )
    if helpdesk is not None:
        f = helpdesk["form"]
        rows.append(
            Row(
                f"django-helpdesk {helpdesk['version']} public form, same load",
                f"{f['per_second']} tickets/s, {latency(f, p99=True)}"
                f" ({f['succeeded']}/{f['requests']} ok)",
            )
        )
    if desk is not None and helpdesk is not None and helpdesk["form"]["per_second"]:
        ratio = desk["form"]["per_second"] / helpdesk["form"]["per_second"]
        rows.append(
            Row(
                "web form ingestion, desk / django-helpdesk",
                f"{ratio:.2f}×",
                "≥ 10×",
                verdict(ratio >= 10),
            )
        )
    return rows


def email_rows(r: Results) -> list[Row]:
    data = r["email_compare"]
    assert data is not None
    desk, helpdesk = data["desk"], data["helpdesk"]
    rows = [
        Row(
            f"email, {data['mails']} mails from Dovecot → tickets",
            f"desk {desk['tickets_per_second']} tickets/s "
            f"({desk['tickets']} in {desk['seconds']} s); "
            f"django-helpdesk get_email {helpdesk['tickets_per_second']} tickets/s "
            f"({helpdesk['tickets']} in {helpdesk['seconds']} s)",
        )
    ]
    if helpdesk["tickets_per_second"]:
        ratio = desk["tickets_per_second"] / helpdesk["tickets_per_second"]
        rows.append(
            Row(
                "email ingestion, desk / django-helpdesk",
                f"{ratio:.2f}×",
                "≥ 10×",
                verdict(ratio >= 10),
            )
        )
    return rows


def burst_rows(r: Results) -> list[Row]:
    data = r["burst"]
    assert data is not None
    requests = data["requests"]
    slowest = max(
        (v for k, v in requests.items() if k.startswith("enquiry") and v.get("p95_ms") is not None),
        key=lambda v: v["p95_ms"],
        default=None,
    )
    errors = sum(data["errors"].values()) if data["errors"] else 0
    return [
        Row(
            f"burst: {data['offered']} enquiries offered in {data['offered_seconds']} s, "
            f"{data['agents']} agents working",
            f"{data['accepted']} accepted in {data['seconds']} s, "
            f"{data['not_sent_desk_saturated']} not sent (desk saturated), {errors} errors; "
            f"slowest enquiry kind {latency(slowest)}",
            f"all {data['offered']} accepted, no errors",
            verdict(data["accepted"] == data["offered"] and errors == 0),
        ),
        Row(
            "burst: agents' desk list and ticket page meanwhile",
            f"list {latency(requests.get('agent desk list'))}; "
            f"ticket {latency(requests.get('agent ticket page'))}",
        ),
    ]


CONSOLE_GOALS: tuple[tuple[str, str, float], ...] = (
    ("desk_first_page", "applicant desk list, first page", 50),
    ("queue_first_page", "largest queue, first page", 50),
    ("queue_page_", "largest queue, page {pages}", 50),
    ("ticket_view", "ticket view", 50),
    ("search", "full-text search", 150),
    ("search_rare_word", "full-text search, words in no message", 150),
    ("dashboard", "report dashboard", 500),
)


def console_rows(r: Results) -> list[Row]:
    data = r["console"]
    assert data is not None
    tickets = data["sizes"]["tickets"]
    messages = data["sizes"]["messages"]
    rows = [Row("console database", f"{tickets:,} tickets, {messages:,} messages")]
    for key, label, goal in CONSOLE_GOALS:
        if key == "queue_page_":
            found = next(
                ((k, v) for k, v in data.items() if k.startswith(key) and k[len(key) :].isdigit()),
                None,
            )
        else:
            found = (key, data[key]) if isinstance(data.get(key), dict) else None
        if found is None and key != "queue_page_":
            rows.append(Row(f"console: {label}", "not measured", f"p95 ≤ {goal:.0f} ms"))
            continue
        if found is None:
            hops = data.get("queue_next_links_followed", {})
            rows.append(
                Row(
                    f"console: {label.format(pages='N')}",
                    f"not reached (queue has {hops.get('pages', '?')} pages)",
                    f"p95 ≤ {goal:.0f} ms",
                    "not measured",
                )
            )
            continue
        name, figures = found
        pages = name[len("queue_page_") :] if key == "queue_page_" else ""
        rows.append(
            Row(
                f"console: {label.format(pages=pages)}",
                latency(figures),
                f"p95 ≤ {goal:.0f} ms",
                verdict(figures["p95_ms"] <= goal),
            )
        )
    if "search_by_number" in data:
        rows.append(Row("console: search by ticket number", latency(data["search_by_number"])))
    return rows


def helpdesk_console_rows(r: Results) -> list[Row]:
    data = r["console_helpdesk"]
    assert data is not None
    largest = data["largest"]
    if largest is None:
        return [Row("django-helpdesk ticket list at scale", f"no size measured: {data['stopped']}")]
    deep = (
        latency(largest["list_rows_page_1000"])
        if largest["tickets"] >= 50_000
        else "beyond the last page"
    )
    return [
        Row(
            f"django-helpdesk ticket list at {largest['tickets']:,} tickets (largest in budget)",
            f"page {latency(largest['list_page'])}; rows first page "
            f"{latency(largest['list_rows_first'])}; rows page 1,000 {deep}",
        )
    ]


def memory_figures(r: Results) -> dict[str, Any]:
    """Peak RSS (MiB) of one web worker and one rq worker over the runs."""
    web: dict[str, float] = {}
    rq: dict[str, float] = {}
    for name in ("ingest_desk", "burst", "console"):
        data = r.get(name)
        if not data or "rss" not in data:
            continue
        for key, figures in data["rss"].items():
            if key == "web:process":
                web[name] = figures["peak_mib"]
            elif key.startswith("rq") and key.endswith(":process"):
                rq[name] = max(rq.get(name, 0.0), figures["peak_mib"])
    return {"web_worker_peak_mib": web, "rq_worker_peak_mib": rq}


def memory_rows(r: Results) -> list[Row]:
    data = r["memory"]
    assert data is not None
    rows = []
    for key, label in (("web_worker_peak_mib", "web worker"), ("rq_worker_peak_mib", "rq worker")):
        per_run: dict[str, float] = data[key]
        if not per_run:
            rows.append(Row(f"peak RSS, {label}", "no run watched it", "≤ 200 MB", "not measured"))
            continue
        run, peak = max(per_run.items(), key=lambda item: item[1])
        rows.append(
            Row(
                f"peak RSS, {label}",
                f"{peak * MB_PER_MIB:.0f} MB ({peak} MiB, during {run})",
                "≤ 200 MB",
                verdict(peak * MB_PER_MIB <= 200),
            )
        )
    return rows


def fuzz_rows(r: Results) -> list[Row]:
    data = r["fuzz"]
    assert data is not None
    return [
        Row(
            "MIME parser fuzzing (atheris)",
            f"{data['runs']:,} inputs in {data['seconds']} s, {data['crashes']} crash(es)",
            "no crash",
            verdict(data["crashes"] == 0),
        )
    ]


def generate_rows(r: Results) -> list[Row]:
    data = r["generate"]
    assert data is not None
    return [
        Row(
            "data generator (COPY into PostgreSQL)",
            f"{data['tickets']:,} tickets, {data['messages']:,} messages in "
            f"{data['seconds_total']} s",
        )
    ]


# step name -> (result files it writes, rows built from them)
ROWS: dict[str, tuple[tuple[str, ...], Callable[[Results], list[Row]]]] = {
    "routing": (("routing",), routing_rows),
    "ingest": (("ingest_desk", "ingest_helpdesk"), ingest_rows),
    "email": (("email_compare",), email_rows),
    "burst": (("burst",), burst_rows),
    "generate": (("generate",), generate_rows),
    "console": (("console",), console_rows),
    "helpdesk_console": (("console_helpdesk",), helpdesk_console_rows),
    "memory": (("memory",), memory_rows),
    "fuzz": (("fuzz",), fuzz_rows),
}


def load_results(names: list[str]) -> Results:
    return {name: read_result(name) for name in names}


def render(rows: list[Row]) -> str:
    header = Row("measure", "figure", "goal", "met")
    widths = [
        max(len(getattr(row, field)) for row in [header, *rows])
        for field in ("measure", "figure", "goal", "met")
    ]
    widths[1] = min(widths[1], 90)

    def line(row: Row) -> str:
        cells = (row.measure, row.figure, row.goal, row.met)
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
