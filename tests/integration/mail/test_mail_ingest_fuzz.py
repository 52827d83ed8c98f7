"""Whatever bytes arrive, ``mail_intake.ingest`` settles them: a ticket (new
or joined), or a kept intake record that says why not (failed with its
error, a duplicate, a loop); never an exception, never a crash left for the
next poll."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicedesk.mail_intake import IngestResult, Outcome, ingest
from servicedesk.models import IntakeRecord, IntakeStatus, Ticket
from servicedesk.runtime import Runtime
from tests.channels.email.test_email_parser_fuzz import mutated_mail

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(rt: Runtime, raw: bytes) -> None:
    try:
        result: IngestResult = ingest(rt, raw, name="fuzz")
    except Exception as exc:  # the database is up: nothing may escape
        raise AssertionError(f"ingest raised {exc!r}") from exc
    assert result.outcome is not Outcome.PENDING, f"processing crashed: {result.detail}"
    with rt.db.session() as session:
        record = session.get(IntakeRecord, result.record_id)
        # (not compared with ``raw``: a mail with an identity code is kept masked)
        assert record is not None
        if result.outcome in {Outcome.CREATED, Outcome.ADDED}:
            assert record.status == IntakeStatus.PROCESSED
            ticket = session.get(Ticket, record.ticket_id)
            assert ticket is not None and ticket.number == result.ticket_number
        elif result.outcome is Outcome.ALREADY:
            assert record.status != IntakeStatus.RECEIVED
        else:
            assert record.status in {
                IntakeStatus.FAILED,
                IntakeStatus.DUPLICATE,
                IntakeStatus.IGNORED,
            }
            assert record.error, "kept with the reason"


@FUZZ
@given(raw=st.binary(max_size=3000))
def test_arbitrary_bytes_are_a_ticket_or_a_recorded_failure(rt: Runtime, raw: bytes) -> None:
    _check(rt, raw)


@FUZZ
@given(raw=mutated_mail())
def test_mutated_corpus_mails_are_a_ticket_or_a_recorded_failure(rt: Runtime, raw: bytes) -> None:
    _check(rt, raw)
