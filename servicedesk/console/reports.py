"""Report pages: a dashboard and one page per report, each an SVG chart
(``charts``) with the same figures as a table and a CSV download, filtered
by a date range and a desk with a GET form.

Who sees them: administrators and desk agents (both desks) and the
national staff helpdesk, whose reports are always of the staff desk (the
tickets they see).  Institution experts and super-users get 404: the
figures span every organisation.  The CSV keeps the report's own column
names (stable for scripts); the page shows them in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from flask_babel import lazy_gettext as tr_lazy
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import Session

from servicedesk import report_durations
from servicedesk import reports as figures
from servicedesk.charts import ChartWords, Table, bar_chart, line_chart, table_html, to_csv
from servicedesk.console import console, labels
from servicedesk.console.beside import beside, results
from servicedesk.console.identity import me
from servicedesk.errors import ValidationError
from servicedesk.models import Role, User
from servicedesk.report_time import ReportFilter
from servicedesk.web import db, runtime

READERS = frozenset({Role.ADMIN, Role.AGENT, Role.HELPDESK})
MAX_DAYS = 5 * 366
Build = Callable[[Session, ReportFilter, datetime], Table]


@dataclass(frozen=True, slots=True)
class Report:
    """One report page: what it shows and how it is drawn."""

    slug: str
    title: Any  # a lazy string
    build: Build
    chart: str = "bar"  # "bar" or "line"
    columns: tuple[int, ...] | None = None  # the columns charted (None: all figures)
    categories: dict[str, Any] | None = None  # words for the first column's values


def _period(period: str) -> Build:
    return lambda s, f, now: figures.contacts_by_period(s, f, period)


def _by(dimension: str) -> Build:
    return lambda s, f, now: figures.contacts_by(s, f, dimension)


def _times(by: str) -> Build:
    return lambda s, f, now: report_durations.response_times(s, f, by)


def _satisfaction(by: str) -> Build:
    return lambda s, f, now: figures.satisfaction(s, f, by)


WEEKDAYS = {
    "Mon": tr_lazy("Mon"),
    "Tue": tr_lazy("Tue"),
    "Wed": tr_lazy("Wed"),
    "Thu": tr_lazy("Thu"),
    "Fri": tr_lazy("Fri"),
    "Sat": tr_lazy("Sat"),
    "Sun": tr_lazy("Sun"),
}
CHANNEL_COLUMNS = (1, 2, 3, 4, 5)
TOTAL = (6,)
REPORTS = {
    r.slug: r
    for r in (
        Report("contacts-month", tr_lazy("Contacts by month"), _period("month"), "line"),
        Report("contacts-week", tr_lazy("Contacts by week"), _period("week"), "line"),
        Report(
            "contacts-weekday",
            tr_lazy("Contacts by weekday"),
            _period("weekday"),
            columns=CHANNEL_COLUMNS,
            categories=WEEKDAYS,
        ),
        Report(
            "contacts-hour", tr_lazy("Contacts by hour"), _period("hour"), columns=CHANNEL_COLUMNS
        ),
        Report(
            "contacts-channel",
            tr_lazy("Contacts by channel"),
            _by("channel"),
            columns=TOTAL,
            categories=labels.CHANNELS,
        ),
        Report("contacts-region", tr_lazy("Contacts by region"), _by("region"), columns=TOTAL),
        Report(
            "contacts-topic",
            tr_lazy("Contacts by topic"),
            _by("topic"),
            columns=TOTAL,
            categories=labels.TOPICS,
        ),
        Report(
            "contacts-audience",
            tr_lazy("Contacts by desk"),
            _by("audience"),
            columns=TOTAL,
            categories=labels.DESKS,
        ),
        Report(
            "contacts-language",
            tr_lazy("Contacts by language"),
            _by("language"),
            columns=TOTAL,
            categories=labels.LANGUAGES,
        ),
        Report("contacts-queue", tr_lazy("Contacts by queue"), _by("queue"), columns=TOTAL),
        Report(
            "times-desk",
            tr_lazy("Response and resolution times by desk"),
            _times("desk"),
            columns=(2, 3, 5, 6),
            categories=labels.DESKS,
        ),
        Report(
            "times-queue",
            tr_lazy("Response and resolution times by queue"),
            _times("queue"),
            columns=(2, 5),
        ),
        Report(
            "times-organization",
            tr_lazy("Response and resolution times by organisation"),
            _times("organization"),
            columns=(2, 5),
        ),
        Report(
            "overdue",
            tr_lazy("Response deadlines by queue"),
            lambda s, f, now: figures.overdue(s, f, now),
        ),
        Report(
            "institutions",
            tr_lazy("How long institutions take to answer"),
            lambda s, f, now: report_durations.institution_answer_times(s, f),
            columns=(5, 6),
        ),
        Report(
            "satisfaction-queue",
            tr_lazy("Satisfaction by queue"),
            _satisfaction("queue"),
            columns=(2, 3, 4),
        ),
        Report(
            "satisfaction-region",
            tr_lazy("Satisfaction by region"),
            _satisfaction("region"),
            columns=(2, 3, 4),
        ),
        Report(
            "satisfaction-month",
            tr_lazy("Satisfaction by month"),
            _satisfaction("month"),
            columns=(2, 3, 4),
        ),
        Report(
            "kb-usage", tr_lazy("Knowledge-base usage"), lambda s, f, now: figures.kb_usage(s, f)
        ),
    )
}
DASHBOARD = ("contacts-month", "contacts-weekday", "times-desk", "overdue")
HEADERS = {
    "month": tr_lazy("month"),
    "week": tr_lazy("week"),
    "weekday": tr_lazy("weekday"),
    "hour": tr_lazy("hour"),
    "region": tr_lazy("region"),
    "topic": tr_lazy("topic"),
    "audience": tr_lazy("desk"),
    "desk": tr_lazy("desk"),
    "language": tr_lazy("language"),
    "channel": tr_lazy("channel"),
    "queue": tr_lazy("queue"),
    "organization": tr_lazy("organisation"),
    "email": tr_lazy("email"),
    "sms": tr_lazy("text message"),
    "phone": tr_lazy("phone"),
    "web": tr_lazy("web form"),
    "api": tr_lazy("integration API"),
    "total": tr_lazy("total"),
    "overdue now": tr_lazy("overdue now"),
    "answered in time": tr_lazy("answered in time"),
    "answered late": tr_lazy("answered late"),
    "answers": tr_lazy("answers"),
    "not helpful": tr_lazy("not helpful"),
    "partly": tr_lazy("partly"),
    "helpful": tr_lazy("helpful"),
    "average": tr_lazy("average (1–3)"),
    "article": tr_lazy("article"),
    "uses in replies": tr_lazy("uses in replies"),
    "answered": tr_lazy("answered"),
    "first response median": tr_lazy("first response, median h"),
    "first response p90": tr_lazy("first response, 90th percentile h"),
    "resolved": tr_lazy("resolved"),
    "resolution median": tr_lazy("resolution, median h"),
    "resolution p90": tr_lazy("resolution, 90th percentile h"),
    "institution": tr_lazy("institution"),
    "tickets": tr_lazy("tickets"),
    "moved on unanswered": tr_lazy("moved on unanswered"),
    "waiting": tr_lazy("waiting"),
    "median": tr_lazy("median h"),
    "p90": tr_lazy("90th percentile h"),
}


def may_read(user: User | None) -> bool:
    return user is not None and user.is_active and Role(user.role) in READERS


@console.context_processor
def reports_context() -> dict[str, Any]:
    def may_see_reports() -> bool:
        return may_read(current_user.user if current_user.is_authenticated else None)

    return {"may_see_reports": may_see_reports}


@dataclass(frozen=True, slots=True)
class Filters:
    """The GET form as read: the range in local days and the desk."""

    first: date
    last: date
    desk: str | None
    fixed_desk: bool  # the helpdesk's reports are always of the staff desk
    problems: list[str]

    def report_filter(self) -> ReportFilter:
        return ReportFilter.for_days(self.first, self.last, self.desk, runtime().settings.timezone)

    def query(self) -> dict[str, Any]:
        values: dict[str, Any] = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.desk and not self.fixed_desk:
            values["desk"] = self.desk
        return values


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def read_filters(user: User) -> Filters:
    """The range and desk of the query string; a value that cannot be
    used is reported and the default used instead, never an error page."""
    today = runtime().now().date()
    default_first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    problems = []
    first, last = _day(request.args.get("from")), _day(request.args.get("to"))
    if request.args.get("from") and first is None:
        problems.append(tr("The start date is not a date; the default is used."))
    if request.args.get("to") and last is None:
        problems.append(tr("The end date is not a date; the default is used."))
    first, last = first or default_first, last or today
    if last < first:
        problems.append(tr("The range ends before it starts; the default is used."))
        first, last = default_first, today
    if (last - first).days > MAX_DAYS:
        problems.append(tr("A report covers at most five years; the start was moved."))
        first = last - timedelta(days=MAX_DAYS)
    fixed = Role(user.role) is Role.HELPDESK
    desk = request.args.get("desk") or None
    if desk not in (None, "applicant", "staff"):
        problems.append(tr("Unknown desk; both desks are shown."))
        desk = None
    return Filters(first, last, "staff" if fixed else desk, fixed, problems)


def _reader() -> User:
    user = me()
    if not may_read(user):
        abort(404)
    return user


def translated(report: Report, table: Table) -> Table:
    """The table in the user's language, for the page (not the CSV)."""
    headers = tuple(str(HEADERS.get(h, h)) for h in table.headers)
    words = report.categories or {}
    rows = [
        (str(words.get(str(row[0]), tr("unknown") if row[0] == "unknown" else row[0])), *row[1:])
        for row in table.rows
    ]
    note = (
        tr("Hours are business hours; public holidays are left out.")
        if "hours" in (table.note)
        else ""
    )
    if "newest" in table.note:
        note += " " + tr("The range has more tickets than one report reads: the newest were used.")
    return Table(str(report.title), headers, rows, note.strip())


def short(category: str, limit: int = 18) -> str:
    """A category as the chart's axis has room for (the table keeps it whole)."""
    return category if len(category) <= limit else category[: limit - 1] + "…"


def chart_words() -> ChartWords:
    """The sentences of a chart's description in the reader's language."""
    return ChartWords(
        bar=tr("Bar chart of %(title)s: %(count)s categories"),
        line=tr("Line chart of %(title)s: %(count)s categories"),
        series=tr("%(count)s series (%(names)s)"),
        highest=tr("highest %(value)s (%(series)s, %(category)s)"),
        same_figures=tr("The same figures are in the table."),
    )


def drawn(report: Report, table: Table) -> dict[str, Any]:
    """A report's chart, table and the figures' size, ready for a page."""
    columns = report.columns or tuple(range(1, len(table.headers)))
    charted = Table(
        table.title,
        (table.headers[0], *(table.headers[i] for i in columns)),
        [(short(str(row[0])), *(row[i] for i in columns)) for row in table.rows],
    )
    draw = line_chart if report.chart == "line" else bar_chart
    svg = draw(charted, chart_id=f"chart-{report.slug}", words=chart_words())
    return {
        "report": report,
        "svg": Markup(svg),  # noqa: S704 - escaped
        "table": Markup(table_html(table, f"table-{report.slug}")),  # noqa: S704 - escaped
        "empty": not table.rows,
    }


def _run(report: Report, filters: Filters) -> Table:
    return report.build(db(), filters.report_filter(), runtime().now())


def _run_side_by_side(shown: Sequence[Report], filters: Filters) -> list[Table]:
    """The dashboard's reports, independent aggregates over the range: the
    first on the request's session, the others beside it (``beside``), so
    the page waits for the slowest rather than for all of them in turn."""
    report_filter, now = filters.report_filter(), runtime().now()

    def build(report: Report) -> Callable[[Session], Table]:
        return lambda session: report.build(session, report_filter, now)

    others = [beside(build(report)) for report in shown[1:]]
    first = build(shown[0])(db())
    return [first, *results(others)]


@console.get("/console/reports")
def reports_home() -> Any:
    user = _reader()
    filters = read_filters(user)
    dashboard = [REPORTS[s] for s in DASHBOARD]
    tables = _run_side_by_side(dashboard, filters)
    shown = [drawn(r, translated(r, t)) for r, t in zip(dashboard, tables, strict=True)]
    return render_template(
        "console_kb/reports_home.html",
        filters=filters,
        blocks=shown,
        reports=list(REPORTS.values()),
    )


def _report(slug: str) -> Report:
    report = REPORTS.get(slug)
    if report is None:
        abort(404)
    return report


@console.get("/console/reports/<slug>")
def report_page(slug: str) -> Any:
    user = _reader()
    report = _report(slug)
    filters = read_filters(user)
    try:
        table = _run(report, filters)
    except ValidationError as exc:
        filters.problems.append(exc.message)
        table = Table(str(report.title), ("",), [])
    return render_template(
        "console_kb/report.html",
        filters=filters,
        shown=drawn(report, translated(report, table)),
        reports=list(REPORTS.values()),
    )


@console.get("/console/reports/<slug>.csv")
def report_csv(slug: str) -> Any:
    user = _reader()
    report = _report(slug)
    filters = read_filters(user)
    table = _run(report, filters)
    name = f"{slug}_{filters.first.isoformat()}_{filters.last.isoformat()}.csv"
    return Response(
        to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
