"""Administering console users: create, change role and scope, deactivate
and reactivate, reset a password.  Every change writes an audit event
(ticket None) naming the administrator; what a user was and became goes
into the event's data, never a password.

Two rules keep the console administrable: an administrator cannot
deactivate or demote themselves, and the last active administrator stays
one.  Deactivating, demoting and resetting a password bump the user's
``session_version``, which ends every session they have.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.vocabulary import LANGUAGES, TOPICS
from servicedesk import audit, users
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.models import Organization, Role, User

GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters


@dataclass(frozen=True, slots=True)
class Profile:
    """What an administrator sets on a user."""

    name: str
    role: str
    organization_id: str | None
    languages: tuple[str, ...]
    topics: tuple[str, ...]


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _checked(session: Session, profile: Profile) -> Profile:
    if not profile.name.strip():
        raise ValidationError("a name is required", field="name")
    try:
        role = Role(profile.role)
    except ValueError:
        raise ValidationError(f"unknown role {profile.role!r}", field="role") from None
    organization = profile.organization_id or None
    if organization is not None and session.get(Organization, organization) is None:
        raise ValidationError(f"unknown organization {organization!r}", field="organization")
    if role in users.ROLES_NEEDING_ORGANIZATION and organization is None:
        raise ValidationError(f"role {role} needs an organization", field="organization")
    for value, allowed, name in (
        (profile.languages, LANGUAGES, "languages"),
        (profile.topics, TOPICS, "topics"),
    ):
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValidationError(f"unknown {name}: {', '.join(unknown)}", field=name)
    return Profile(
        name=profile.name.strip(),
        role=role.value,
        organization_id=organization,
        languages=tuple(lang for lang in LANGUAGES if lang in profile.languages),
        topics=tuple(t for t in TOPICS if t in profile.topics),
    )


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "role": user.role,
        "organization": user.organization_id,
        "languages": list(user.languages or []),
        "topics": list(user.topics or []),
    }


def _active_admins(session: Session) -> int:
    return int(
        session.execute(
            select(func.count(User.id)).where(User.is_active, User.role == Role.ADMIN.value)
        ).scalar_one()
    )


def _end_sessions(user: User) -> None:
    user.session_version = (user.session_version or 0) + 1


def create(
    session: Session,
    actor: User,
    email: str,
    profile: Profile,
    password: str | None,
    now: datetime,
) -> tuple[User, str | None]:
    """A new user; with no password given, one is generated and returned
    (to be shown once)."""
    profile = _checked(session, profile)
    generated = None if password else generate_password()
    user = users.add_user(
        session,
        email,
        name=profile.name,
        role=profile.role,
        organization_id=profile.organization_id,
        password=password or generated,
        languages=list(profile.languages),
    )
    user.topics = list(profile.topics)
    user.ui_language = profile.languages[0] if profile.languages else "fi"
    audit.record(
        session,
        None,
        audit.Actor.of(actor),
        "user_created",
        data={"user_id": user.id, "email": user.email, **_snapshot(user)},
        at=now,
    )
    session.flush()
    return user, generated


def update(session: Session, actor: User, user: User, profile: Profile, now: datetime) -> bool:
    """Change name, role, organisation, languages and topics; False when
    nothing changed."""
    profile = _checked(session, profile)
    before = _snapshot(user)
    demoted = user.role == Role.ADMIN.value and profile.role != Role.ADMIN.value
    if demoted and user.id == actor.id:
        raise ConflictError("you cannot take away your own administrator role", field="role")
    if demoted and user.is_active and _active_admins(session) <= 1:
        raise ConflictError("the last active administrator must stay one", field="role")
    user.name = profile.name
    user.role = profile.role
    user.organization_id = profile.organization_id
    user.languages = list(profile.languages)
    user.topics = list(profile.topics)
    after = _snapshot(user)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return False
    if "role" in changed or "organization" in changed:
        _end_sessions(user)  # what they may see changed: sign in again
    kind = "user_role_changed" if "role" in changed else "user_changed"
    audit.record(
        session,
        None,
        audit.Actor.of(actor),
        kind,
        data={"user_id": user.id, "email": user.email, "changes": changed},
        at=now,
    )
    session.flush()
    return True


def set_active(session: Session, actor: User, user: User, active: bool, now: datetime) -> bool:
    """Deactivate (ending their sessions) or reactivate; False when it
    already was so."""
    if bool(user.is_active) == active:
        return False
    if not active:
        if user.id == actor.id:
            raise ConflictError("you cannot deactivate yourself", field="active")
        if user.role == Role.ADMIN.value and _active_admins(session) <= 1:
            raise ConflictError("the last active administrator must stay", field="active")
        _end_sessions(user)
    user.is_active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    audit.record(
        session,
        None,
        audit.Actor.of(actor),
        "user_reactivated" if active else "user_deactivated",
        data={"user_id": user.id, "email": user.email},
        at=now,
    )
    session.flush()
    return True


def reset_password(
    session: Session, actor: User, user: User, password: str | None, now: datetime
) -> str | None:
    """Set a new password (or generate one, returned to be shown once),
    lift a lock and end the user's sessions."""
    generated = None if password else generate_password()
    user.password_hash = users.hash_password(password or generated or "")
    user.failed_logins = 0
    user.locked_until = None
    _end_sessions(user)
    audit.record(
        session,
        None,
        audit.Actor.of(actor),
        "password_reset",
        data={"user_id": user.id, "email": user.email, "generated": generated is not None},
        at=now,
    )
    session.flush()
    return generated


def list_users(session: Session) -> Sequence[User]:
    """Every user, the active first, by name."""
    return (
        session.execute(select(User).order_by(User.is_active.desc(), User.name, User.id))
        .scalars()
        .all()
    )
