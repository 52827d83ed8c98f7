"""The application's exceptions.  Core code raises these; only the HTTP
edges and the CLI turn them into responses and exit codes.

    ServiceDeskError
    ├── ConfigError            settings are missing or wrong (lists every problem)
    ├── ValidationError        input that breaks a rule; carries ``field``
    ├── NotFoundError          no such object, or not visible to the caller
    ├── PermissionDeniedError  the caller may not do this
    ├── ConflictError          the object is in a state that forbids the change
    │   └── TransitionError    a ticket status change the lifecycle forbids
    └── DeliveryRefusedError   a reply that must not be sent (opted-out number...)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


def first_line(text: str, limit: int | None = None) -> str:
    """The first line of an error's text, at most ``limit`` characters: what
    a log line, a report or a command's message shows of it.  A database
    error goes on to quote the statement and its parameters, which may hold
    what someone wrote."""
    line = (text.strip().splitlines() or [""])[0]
    return line if limit is None else line[:limit]


def keep_failure(failures: list[tuple[int, Exception]], item_id: int, exc: Exception) -> None:
    """Keep the failure of one of a job's ids for ``raise_first``, so the
    job goes on to the next.  rq's signal that the job ran past its time
    limit is raised again at once instead: the job ends there, and its
    ids not yet taken wait for a successor or the sweeper rather than
    running on with no limit.  (No rq, no limit: the embedded default
    does not load it.)"""
    timeouts = sys.modules.get("rq.timeouts")
    if timeouts is not None and isinstance(exc, timeouts.BaseTimeoutException):
        raise exc
    failures.append((item_id, exc))


def raise_first(
    failures: Sequence[tuple[int, Exception]], logger: logging.Logger, what: str
) -> None:
    """The end of a job that took several ids each on its own: every
    failure but the first is logged (``what`` with the id), the first is
    raised, so the job is marked failed."""
    for item_id, failure in failures[1:]:
        logger.error(what, item_id, exc_info=failure)
    if failures:
        raise failures[0][1]


class ServiceDeskError(Exception):
    """Base of every error the application raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigError(ServiceDeskError):
    code = "config_error"

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class ValidationError(ServiceDeskError):
    code = "invalid"


class NotFoundError(ServiceDeskError):
    code = "not_found"


class PermissionDeniedError(ServiceDeskError):
    code = "forbidden"


class ConflictError(ServiceDeskError):
    code = "conflict"


class KeyReusedError(ServiceDeskError):
    """An idempotency key sent again with a different request."""

    code = "idempotency_key_reused"


class TransitionError(ConflictError):
    code = "invalid_transition"


class DeliveryRefusedError(ServiceDeskError):
    code = "delivery_refused"
