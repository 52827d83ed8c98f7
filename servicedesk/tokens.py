"""API tokens: shown once when created, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.models import ApiToken

PREFIX = "sdk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(
    session: Session, name: str, now: datetime, user_id: int | None = None
) -> tuple[ApiToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name, token_hash=hash_token(token), prefix=token[:10], user_id=user_id, created_at=now
    )
    session.add(row)
    session.flush()
    return row, token


def verify(session: Session, token: str, now: datetime) -> ApiToken | None:
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    if row is not None and (
        row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60
    ):
        row.last_used_at = now
    return row
