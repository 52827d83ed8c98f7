"""Report figures for the desks' planning: contact volumes by period and by
region, topic, audience, language or queue; overdue tickets; satisfaction;
knowledge-base usage.  Response and resolution times (business hours) are
in ``report_durations``.

Every function takes a ``ReportFilter`` (a date range over the tickets'
``created_at``, optionally one desk) and returns a ``charts.Table`` ready
for a chart, a table and a CSV file.  Each is one aggregate query (a GROUP
BY, never a row per ticket).  Contacts by period sum the hourly counts
(``models.counts``), at most 24 rows a day per desk and channel; the
others read the range of ``ix_tickets_reports`` (audience, created_at),
on PostgreSQL an index-only scan.  Local time (month, week, weekday, hour
in Finland) is computed in SQL (``report_time``).  The figures are the
same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, text
from sqlalchemy.orm import QueryableAttribute, Session

from routing.vocabulary import Audience
from servicedesk.charts import Table
from servicedesk.errors import ValidationError
from servicedesk.lifecycle import ACTIVE
from servicedesk.models import (
    Article,
    ArticleFeedback,
    ArticleText,
    ArticleUse,
    Queue,
    Region,
    Survey,
    Ticket,
    TicketCount,
)
from servicedesk.report_time import (
    ReportFilter,
    all_keys,
    local_time,
    period_key,
    week_label,
)

CHANNELS = ("email", "sms", "phone", "web", "api")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DIMENSIONS = {
    "region": Ticket.region_code,
    "topic": Ticket.topic,
    "audience": Ticket.audience,
    "language": Ticket.language,
    "channel": Ticket.channel,
    "queue": Ticket.queue_id,
}
UNKNOWN = "unknown"

__all__ = [
    "ReportFilter",
    "contacts_by",
    "contacts_by_period",
    "kb_usage",
    "overdue",
    "satisfaction",
]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


DESKS = tuple(a.value for a in Audience)


def in_range(
    report: ReportFilter,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    audience: QueryableAttribute[str] = Ticket.audience,
    *,
    name_both: bool = True,
) -> list[ColumnElement[bool]]:
    """The range conditions on ``column`` and the desk's on ``audience``.
    With ``name_both``, both desks are named when there is no filter, so an
    index leading with the audience serves a range of tickets; a range of
    something else (survey answers) joined to its tickets is better
    without."""
    conditions = [column >= report.start, column < report.end]
    if report.desk is not None:
        conditions.append(audience == report.desk)
    elif name_both:
        conditions.append(audience.in_(DESKS))
    return conditions


def for_aggregates(session: Session) -> None:
    """Settings for the rest of the transaction on PostgreSQL: sorts of a
    year's values (percentiles) in memory rather than on disk, and no JIT
    compilation, which costs these one-off queries more than it saves."""
    if _dialect(session) == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))


def _label(period: str, key: object) -> str:
    if period == "week":
        return week_label(str(key))
    if period == "weekday":
        return WEEKDAYS[int(str(key)) - 1]
    if period == "hour":
        return f"{int(str(key)):02d}"
    return str(key)


def _pivot(
    title: str,
    first: str,
    counts: Sequence[tuple[object, str, int]],
    keys: Sequence[object],
    labels: dict[object, str] | None = None,
) -> Table:
    """Rows per key, a column per channel and the total."""
    cells: dict[object, dict[str, int]] = {key: {} for key in keys}
    for key, channel, count in counts:
        cells.setdefault(key, {})[channel] = cells.get(key, {}).get(channel, 0) + count
    rows = []
    for key, per_channel in cells.items():
        values = [per_channel.get(c, 0) for c in CHANNELS]
        label = (labels or {}).get(key, UNKNOWN if key is None else str(key))
        rows.append((label, *values, sum(per_channel.values())))
    return Table(title, (first, *CHANNELS, "total"), rows)


def _whole_hours(report: ReportFilter) -> bool:
    return all(t.minute == t.second == t.microsecond == 0 for t in (report.start, report.end))


def contacts_by_period(session: Session, report: ReportFilter, period: str) -> Table:
    """New tickets per channel by month, ISO week, weekday or hour (local
    time): the hourly counts summed, or the tickets counted when the range
    does not begin and end on the hour."""
    dialect = _dialect(session)
    instant: Any
    channel: Any
    weight: Any
    if _whole_hours(report):
        instant, channel, weight = TicketCount.hour, TicketCount.channel, TicketCount.tickets
        conditions = in_range(report, TicketCount.hour, TicketCount.audience)
    else:
        instant, channel, weight = Ticket.created_at, Ticket.channel, literal(1)
        conditions = in_range(report, Ticket.created_at)
    local = local_time(instant, dialect, report.timezone)
    # Grouping a subquery's column: PostgreSQL would not match the same
    # expression in SELECT and GROUP BY once its parameters are bound.
    keyed = (
        select(
            period_key(local, dialect, period).label("key"),
            channel.label("channel"),
            weight.label("tickets"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = session.execute(
        select(keyed.c.key, keyed.c.channel, func.sum(keyed.c.tickets)).group_by(
            keyed.c.key, keyed.c.channel
        )
    ).all()
    keys = all_keys(report, period)
    numeric = period in ("weekday", "hour")
    counts = [(int(k) if numeric else k, c, int(n)) for k, c, n in rows]
    labels = {key: _label(period, key) for key in keys}
    return _pivot(f"Contacts by {period}", period, counts, keys, labels)


def _dimension_labels(
    session: Session, dimension: str, keys: Sequence[object]
) -> dict[object, str]:
    if dimension == "region":
        names = session.execute(select(Region.code, Region.name_fi)).all()
        return {code: f"{code} {name}" for code, name in names}
    if dimension == "queue":
        return {q.id: q.label("fi") for q in session.execute(select(Queue)).scalars()}
    return {key: str(key) for key in keys if key is not None}


def contacts_by(session: Session, report: ReportFilter, dimension: str) -> Table:
    """New tickets per channel by region, topic, audience, language,
    channel or queue; the largest first."""
    column = DIMENSIONS.get(dimension)
    if column is None:
        raise ValidationError(f"report by one of {', '.join(DIMENSIONS)}", field="dimension")
    counts = session.execute(
        select(column, Ticket.channel, func.count())
        .where(*in_range(report, Ticket.created_at))
        .group_by(column, Ticket.channel)
    ).all()
    keys = sorted({k for k, _, _ in counts}, key=lambda k: (k is None, str(k)))
    table = _pivot(
        f"Contacts by {dimension}",
        dimension,
        [(k, c, n) for k, c, n in counts],
        keys,
        _dimension_labels(session, dimension, keys),
    )
    table.rows.sort(key=lambda row: -int(str(row[-1])))
    return table


def _sum_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def overdue(session: Session, report: ReportFilter, now: datetime) -> Table:
    """Per queue: tickets past their response deadline and still without
    an answer now, and how many were answered in time or late."""
    for_aggregates(session)
    active = Ticket.status.in_([s.value for s in ACTIVE])
    rows = session.execute(
        select(
            Ticket.queue_id,
            _sum_when(active & Ticket.first_response_at.is_(None) & (Ticket.due_at < now)),
            _sum_when(Ticket.first_response_at <= Ticket.due_at),
            _sum_when(Ticket.first_response_at > Ticket.due_at),
        )
        .where(*in_range(report, Ticket.created_at), Ticket.due_at.is_not(None))
        .group_by(Ticket.queue_id)
    ).all()
    labels = _dimension_labels(session, "queue", [])
    table = Table(
        "Response deadlines by queue",
        ("queue", "overdue now", "answered in time", "answered late"),
        [
            (labels.get(q, UNKNOWN if q is None else str(q)), int(a), int(b), int(c))
            for q, a, b, c in rows
        ],
    )
    table.rows.sort(key=lambda row: (-int(str(row[1])), str(row[0])))
    return table


SATISFACTION_BY = ("queue", "region", "month")


def satisfaction(session: Session, report: ReportFilter, by: str) -> Table:
    """Survey answers given in the range, by the ticket's queue or region
    or by month: how many, each smiley's count, and the average (1–3)."""
    if by not in SATISFACTION_BY:
        raise ValidationError(f"by one of {', '.join(SATISFACTION_BY)}", field="by")
    dialect = _dialect(session)
    if by == "month":
        key: Any = period_key(
            local_time(Survey.answered_at, dialect, report.timezone), dialect, "month"
        )
    else:
        key = Ticket.queue_id if by == "queue" else Ticket.region_code
    keyed = (
        select(key.label("key"), Survey.score.label("score"))
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(*in_range(report, Survey.answered_at, name_both=False))
        .subquery()
    )
    rows = session.execute(
        select(
            keyed.c.key,
            func.count(keyed.c.score),
            _sum_when(keyed.c.score == 1),
            _sum_when(keyed.c.score == 2),
            _sum_when(keyed.c.score == 3),
            func.avg(keyed.c.score),
        ).group_by(keyed.c.key)
    ).all()
    by_key = {
        k: (int(n), int(a), int(b), int(c), round(float(avg), 2)) for k, n, a, b, c, avg in rows
    }
    keys: list[object] = (
        all_keys(report, "month") if by == "month" else sorted(by_key, key=lambda k: str(k))
    )
    labels = _dimension_labels(session, by, keys) if by != "month" else {}
    return Table(
        f"Satisfaction by {by}",
        (by, "answers", "not helpful", "partly", "helpful", "average"),
        [
            (labels.get(k, UNKNOWN if k is None else str(k)), *by_key.get(k, (0, 0, 0, 0, None)))
            for k in keys
        ],
        note="1 = not helpful, 2 = partly, 3 = helpful",
    )


def kb_usage(session: Session, report: ReportFilter, limit: int = 20) -> Table:
    """The most used articles in the range: uses in replies (of the desk's
    tickets, with a desk filter) and "did this help?" votes (all readers)."""
    uses_query = select(ArticleUse.article_id, func.count()).where(
        ArticleUse.created_at >= report.start, ArticleUse.created_at < report.end
    )
    if report.desk is not None:
        uses_query = uses_query.join(Ticket, Ticket.id == ArticleUse.ticket_id).where(
            Ticket.audience == report.desk
        )
    uses: dict[int, int] = {
        article_id: count
        for article_id, count in session.execute(uses_query.group_by(ArticleUse.article_id))
    }
    votes: dict[int, dict[int, int]] = {}
    for article_id, score, count in session.execute(
        select(ArticleFeedback.article_id, ArticleFeedback.score, func.count())
        .where(ArticleFeedback.created_at >= report.start, ArticleFeedback.created_at < report.end)
        .group_by(ArticleFeedback.article_id, ArticleFeedback.score)
    ):
        votes.setdefault(article_id, {})[score] = count
    ids = sorted(set(uses) | set(votes), key=lambda i: (-uses.get(i, 0), i))[:limit]
    titles: dict[int, str] = {}
    for article_id, language, title in session.execute(
        select(ArticleText.article_id, ArticleText.language, ArticleText.title)
        .join(Article, Article.id == ArticleText.article_id)
        .where(ArticleText.article_id.in_(ids))
    ):
        if article_id not in titles or language == "fi":
            titles[article_id] = title
    return Table(
        "Knowledge-base usage",
        ("article", "uses in replies", "helpful", "partly", "not helpful"),
        [
            (
                titles.get(i, f"#{i}"),
                uses.get(i, 0),
                votes.get(i, {}).get(3, 0),
                votes.get(i, {}).get(2, 0),
                votes.get(i, {}).get(1, 0),
            )
            for i in ids
        ],
    )
