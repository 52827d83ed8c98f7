"""The full-text index on each database: how a parsed query matches, ranks
and highlights ticket subjects and message texts.  ``servicedesk.search``
decides what to look for; this module only speaks SQL.

How the index is kept up to date (made by migration 0004):

- PostgreSQL: GIN indexes over stored generated columns (0008):
  ``messages.search_vector`` = ``sd_search_document(subject, body_text)``
  and ``tickets.search_title`` = ``sd_search_title(subject)`` (IMMUTABLE
  SQL functions of 0004: the Finnish stemmed and the ``simple`` words
  together).  No trigger: the database computes the columns on every
  write, whichever path wrote it (intake ``apply``, replies, notes,
  merges, anonymisation, plain SQL), so they cannot go stale; stored, the
  vector is not recomputed for every row a newest-first walk passes.  The
  columns are not in the models (SQLite has none); the queries name them
  here and nowhere else.  Each word
  matches its Finnish stem (``plainto_tsquery('finnish')``) or anything it
  begins (``to_tsquery('simple', 'word':*)``); phrases use
  ``phraseto_tsquery``.  Swedish and English are not stemmed: the prefix
  match covers most of their inflection, and a per-language vector would
  need the ticket's language inside the message row.
- SQLite: FTS5 external-content tables ``message_search`` and
  ``ticket_search`` with triggers on insert, delete and update (unicode61,
  diacritics folded, prefix indexes); every word is a prefix query.

Every value reaches the database as a bound parameter.  The two strings
that are a query language of their own (the FTS5 MATCH expression and the
simple-configuration tsquery) are assembled here from words that contain
only letters, digits and ``@ . + - _``, each one quoted, so no user input
is ever read as FTS syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from servicedesk.models import Message, Ticket

MARK_START = "\ue000"  # private-use characters: they cannot clash with HTML
MARK_END = "\ue001"
SQLITE_TABLES = ("message_search", "ticket_search")
FTS5_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")
POSTGRES_INDEXES = ("ix_messages_search", "ix_tickets_search")
MESSAGE_VECTOR = "search_vector"  # generated columns (0008), not in the models
TITLE_VECTOR = "search_title"
SNIPPET_WORDS = 24
REBUILD = (
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
    "INSERT INTO ticket_search(ticket_search) VALUES ('rebuild')",
)
REINDEX = ("REINDEX INDEX ix_messages_search", "REINDEX INDEX ix_tickets_search")
Where = Sequence[ColumnElement[bool]]  # conditions on Ticket


@dataclass(frozen=True, slots=True)
class Term:
    """One word, or a quoted phrase (several words), possibly excluded."""

    words: tuple[str, ...]
    excluded: bool = False


def include_name(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic's ``include_name`` hook: the search index is made by raw SQL
    in migration 0004, not by the models, so autogenerate must neither
    drop it nor report it."""
    if name is None:
        return True
    if type_ == "table":
        return not any(name == t or name in {t + s for s in FTS5_SHADOWS} for t in SQLITE_TABLES)
    if type_ == "index":
        return name not in POSTGRES_INDEXES
    if type_ == "column":
        return name not in {MESSAGE_VECTOR, TITLE_VECTOR}
    return True


class SearchIndex(Protocol):
    """What ``servicedesk.search`` needs from a database's index."""

    def message_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
        before: int | None = None,
    ) -> list[tuple[int, int, float]]:
        """(ticket id, message id, score) for the newest ``limit`` matching
        messages of tickets passing ``where`` (older than message ``before``
        when given), newest first; higher scores are better."""
        ...

    def subject_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
    ) -> list[tuple[int, float]]:
        """(ticket id, score) for the newest ``limit`` matching tickets."""
        ...

    def message_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        """A short passage of each message, matches between the marks."""
        ...

    def subject_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        """Each ticket's subject, matches between the marks."""
        ...

    def rebuild(self, session: Session) -> None:
        """Rebuild the index from the rows (after a restore, for example)."""
        ...


def _positive(terms: Sequence[Term]) -> list[Term]:
    return [t for t in terms if not t.excluded]


# --- PostgreSQL -------------------------------------------------------------


def message_document() -> ColumnElement[Any]:
    """``messages.search_vector``: sd_search_document(subject, body_text),
    stored (0008), under the GIN index."""
    return literal_column(f"{Message.__tablename__}.{MESSAGE_VECTOR}", type_=TSVECTOR)


def title_document() -> ColumnElement[Any]:
    """``tickets.search_title``: sd_search_title(subject), stored (0008)."""
    return literal_column(f"{Ticket.__tablename__}.{TITLE_VECTOR}", type_=TSVECTOR)


def message_matches(terms: Sequence[Term]) -> ColumnElement[bool]:
    return message_document().op("@@", return_type=Boolean)(tsquery(terms))


def subject_matches(terms: Sequence[Term]) -> ColumnElement[bool]:
    return title_document().op("@@", return_type=Boolean)(tsquery(terms))


def _tsquery_of(term: Term) -> ColumnElement[Any]:
    if len(term.words) > 1:
        phrase = " ".join(term.words)
        return func.phraseto_tsquery("finnish", phrase).op("||", return_type=TSQUERY)(
            func.phraseto_tsquery("simple", phrase)
        )
    word = term.words[0]
    # ``word`` has no quote, backslash or colon (see search.WORD): quoting
    # it makes the whole word one operand of the tsquery language.
    return func.plainto_tsquery("finnish", word).op("||", return_type=TSQUERY)(
        func.to_tsquery("simple", f"'{word}':*")
    )


def tsquery(terms: Sequence[Term]) -> ColumnElement[Any]:
    query: ColumnElement[Any] | None = None
    for term in terms:
        part = _tsquery_of(term)
        if term.excluded:
            part = func.tsquery_not(part, type_=TSQUERY)
        query = part if query is None else query.op("&&", return_type=TSQUERY)(part)
    assert query is not None, "a search needs at least one word"
    return query


#: Below this many matching messages (PostgreSQL's estimate) the newest
#: are found by reading all the GIN index's matches and sorting them;
#: above it, by walking the messages newest first until enough match.
#: Reading a match costs some three times what passing a message on the
#: walk does, and the walk for 500 matches of E among N messages passes
#: 500 * N / E: the two meet near E = 24,000 at 3.4 million messages.
#: Measured at a million tickets: "Helsinki" (7,300 matches) 213 ms
#: walking, 22 ms reading its matches; "hakemus" (common) 5 ms walking.
FEW_MATCHES = 20_000
#: The same for subjects, 200 of them wanted among a million tickets:
#: "Oulu" (estimated 8,500) 72 ms walking, 10 ms reading; "Yhteishaku"
#: (estimated 26,700) 11 ms walking, 42 ms reading.
FEW_SUBJECT_MATCHES = 15_000


class PostgresIndex:
    """One search's queries (a new one per search: it remembers, for the
    search's words, how their matches are best read)."""

    def __init__(self) -> None:
        self._few: dict[tuple[tuple[Term, ...], bool], bool] = {}

    def _few_matches(self, session: Session, terms: Sequence[Term], *, subjects: bool) -> bool:
        """Whether the matches of ``terms`` are few enough to read at once
        (FEW_MATCHES), asked of the planner once per search."""
        key = (tuple(terms), subjects)
        if key not in self._few:
            if not self._few:
                # At its default random_page_cost (4, for spinning disks)
                # PostgreSQL walks the messages newest first for a word in
                # few of them or none (a name, a misspelling): all 3.4
                # million messages at a million tickets, 2 s, where the GIN
                # index's matches take 6 ms.  At 1.1 (data on SSD or in
                # memory, PostgreSQL's usual advice) it reads the index for
                # those.  Even so it walks for a word in a few thousand (a
                # town's name): hence the choice made here from its estimate.
                session.execute(text("SET LOCAL random_page_cost = 1.1"))
            limit = FEW_SUBJECT_MATCHES if subjects else FEW_MATCHES
            self._few[key] = self.estimated_matches(session, terms, subjects=subjects) < limit
        return self._few[key]

    def newest_messages(
        self,
        terms: Sequence[Term],
        where: Where,
        limit: int,
        before: int | None = None,
        *,
        few: bool = False,
    ) -> Select[Any]:
        """The ids of the newest matching messages; with ``few``, read from
        all the matches at once (a materialised CTE over the GIN index)
        rather than by walking the messages newest first."""
        matching = message_matches(terms)
        # Every message has its ticket: the tickets are joined only to
        # apply conditions on them (for an agent, who sees every ticket,
        # there are none; the join took a sixth of a search's time).
        conditions = [w for w in where if not isinstance(w, True_)]
        if few:
            found = select(Message.id, Message.ticket_id).where(matching)
            if before is not None:
                found = found.where(Message.id < before)
            matches = found.cte("matches").prefix_with("MATERIALIZED")
            newest = select(matches.c.id)
            if conditions:
                newest = newest.join(Ticket, Ticket.id == matches.c.ticket_id).where(*conditions)
            return newest.order_by(matches.c.id.desc()).limit(limit)
        query = select(Message.id).where(matching)
        if conditions:
            query = query.join(Ticket, Ticket.id == Message.ticket_id).where(*conditions)
        query = query.order_by(Message.id.desc()).limit(limit)
        return query if before is None else query.where(Message.id < before)

    def newest_tickets(
        self, terms: Sequence[Term], where: Where, limit: int, *, few: bool = False
    ) -> Select[Any]:
        """The ids of the newest tickets whose subject matches; with
        ``few``, read from all the matches at once (as for messages)."""
        found = select(Ticket.id).where(subject_matches(terms), *where)
        if few:
            matches = found.cte("matches").prefix_with("MATERIALIZED")
            return select(matches.c.id).order_by(matches.c.id.desc()).limit(limit)
        return found.order_by(Ticket.id.desc()).limit(limit)

    @staticmethod
    def estimated_matches(
        session: Session, terms: Sequence[Term], *, subjects: bool = False
    ) -> float:
        """PostgreSQL's estimate of the messages (or ticket subjects)
        matching ``terms``: a plan, nothing run."""
        if subjects:
            statement = select(Ticket.id).where(subject_matches(terms))
        else:
            statement = select(Message.id).where(message_matches(terms))
        compiled = statement.compile(dialect=session.get_bind().dialect)
        plan = (
            session.connection()
            .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
            .scalar_one()
        )
        return float(plan[0]["Plan"]["Plan Rows"])

    def message_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
        before: int | None = None,
    ) -> list[tuple[int, int, float]]:
        few = self._few_matches(session, terms, subjects=False)
        query = tsquery(terms)
        newest = self.newest_messages(terms, where, limit, before, few=few).scalar_subquery()
        # Ranked only after the newest matches are cut off, so a very common
        # word costs ``limit`` rank computations, not one per message.
        rank = func.ts_rank(message_document(), query, type_=Float)
        rows = session.execute(
            select(Message.ticket_id, Message.id, rank)
            .where(Message.id.in_(newest))
            .order_by(Message.id.desc())
        ).all()
        return [(int(t), int(m), float(r)) for t, m, r in rows]

    def subject_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
    ) -> list[tuple[int, float]]:
        few = self._few_matches(session, terms, subjects=True)
        query = tsquery(terms)
        newest = self.newest_tickets(terms, where, limit, few=few).scalar_subquery()
        rank = func.ts_rank(title_document(), query, type_=Float)
        rows = session.execute(
            select(Ticket.id, rank).where(Ticket.id.in_(newest)).order_by(Ticket.id.desc())
        ).all()
        return [(int(t), float(r)) for t, r in rows]

    def _headlines(
        self,
        session: Session,
        terms: Sequence[Term],
        column: Any,
        key: Any,
        ids: Sequence[int],
        whole: bool,
    ) -> dict[int, str]:
        if not ids or not _positive(terms):
            return {}
        query = tsquery(_positive(terms))
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, "
        if whole:  # a subject is shown whole (fragments would drop "<...>")
            options += "HighlightAll=true"
        else:
            options += (
                f'MaxWords={SNIPPET_WORDS}, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
            )

        # The stemmed headline marks inflected forms; where it marks nothing
        # (a match by prefix only), the headline of the words as written.
        stemmed = func.ts_headline("finnish", column, query, options)
        plain = func.ts_headline("simple", column, query, options)
        rows = session.execute(select(key, stemmed, plain).where(key.in_(list(ids)))).all()
        return {int(k): s if MARK_START in s else p for k, s, p in rows}

    def message_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        return self._headlines(session, terms, Message.body_text, Message.id, ids, False)

    def subject_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        return self._headlines(session, terms, Ticket.subject, Ticket.id, ids, True)

    def rebuild(self, session: Session) -> None:
        for statement in REINDEX:
            session.execute(text(statement))


# --- SQLite -----------------------------------------------------------------


def _fts_phrase(words: Sequence[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def match_expression(terms: Sequence[Term]) -> str:
    """The FTS5 MATCH string: every word a quoted prefix query, phrases
    quoted as written, exclusions last (FTS5's NOT needs a left side)."""
    positive = []
    for term in _positive(terms):
        quoted = _fts_phrase(term.words)
        positive.append(quoted if len(term.words) > 1 else quoted + "*")
    assert positive, "a search needs at least one word to include"
    expression = "(" + " AND ".join(positive) + ")"
    for term in terms:
        if term.excluded:
            quoted = _fts_phrase(term.words)
            expression += " NOT " + (quoted if len(term.words) > 1 else quoted + "*")
    return expression


def _fts5(name: str) -> Any:
    """An FTS5 table as SQLAlchemy sees it: its rowid and the hidden column
    named like the table (the left side of MATCH, the argument of bm25)."""
    return table(name, column("rowid"), column(name))


MESSAGE_FTS = _fts5("message_search")
TICKET_FTS = _fts5("ticket_search")


class SqliteIndex:
    def message_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
        before: int | None = None,
    ) -> list[tuple[int, int, float]]:
        fts = MESSAGE_FTS
        score = -func.bm25(fts.c.message_search, 4.0, 1.0)  # bm25: smaller is better
        older = () if before is None else (Message.id < before,)
        rows = session.execute(
            select(Message.ticket_id, Message.id, score)
            .select_from(fts)
            .join(Message, Message.id == fts.c.rowid)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(fts.c.message_search.op("MATCH")(match_expression(terms)), *where, *older)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        return [(int(t), int(m), float(s)) for t, m, s in rows]

    def subject_hits(
        self,
        session: Session,
        terms: Sequence[Term],
        where: Sequence[ColumnElement[bool]],
        limit: int,
    ) -> list[tuple[int, float]]:
        fts = TICKET_FTS
        rows = session.execute(
            select(Ticket.id, -func.bm25(fts.c.ticket_search))
            .select_from(fts)
            .join(Ticket, Ticket.id == fts.c.rowid)
            .where(fts.c.ticket_search.op("MATCH")(match_expression(terms)), *where)
            .order_by(Ticket.id.desc())
            .limit(limit)
        ).all()
        return [(int(t), float(s)) for t, s in rows]

    def _snippets(
        self, session: Session, terms: Sequence[Term], fts: Any, ids: Sequence[int], whole: bool
    ) -> dict[int, str]:
        if not ids or not _positive(terms):
            return {}
        hidden = fts.c[fts.name]
        if whole:
            marked = func.highlight(hidden, 0, MARK_START, MARK_END)
        else:
            marked = func.snippet(hidden, -1, MARK_START, MARK_END, " … ", SNIPPET_WORDS)
        rows = session.execute(
            select(fts.c.rowid, marked).where(
                hidden.op("MATCH")(match_expression(_positive(terms))), fts.c.rowid.in_(list(ids))
            )
        ).all()
        return {int(k): str(v or "") for k, v in rows}

    def message_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        return self._snippets(session, terms, MESSAGE_FTS, ids, whole=False)

    def subject_snippets(
        self, session: Session, terms: Sequence[Term], ids: Sequence[int]
    ) -> dict[int, str]:
        return self._snippets(session, terms, TICKET_FTS, ids, whole=True)

    def rebuild(self, session: Session) -> None:
        for statement in REBUILD:
            session.execute(text(statement))


def index_for(session: Session) -> SearchIndex:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresIndex()
    if dialect == "sqlite":
        return SqliteIndex()
    raise NotImplementedError(f"no search index for {dialect}")
