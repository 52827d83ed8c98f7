"""Looking up what a form or the API names: a municipality by code, Finnish
or Swedish name or alias; an institution by id, name or alias."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicedesk import directory_store


def municipality_code(session: Session, value: str) -> str | None:
    found = directory_store.current(session).find_municipality(value)
    return found.code if found else None


def organization_id(session: Session, value: str) -> str | None:
    found = directory_store.current(session).find_organization(value)
    return found.id if found else None
