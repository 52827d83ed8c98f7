"""Console users: creation with validated roles and argon2 password hashes."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicedesk.errors import ConflictError, ValidationError
from servicedesk.models import Organization, Role, User

# OWASP's argon2id setting (19 MiB, 2 passes, 1 lane) rather than the
# library's 64 MiB: when fifty agents sign in at once, a web worker doing
# eight checks at a time grew by half a gigabyte (bench/PERFORMANCE.md).
# Hashes made with other parameters still verify, and are rehashed on the
# next sign-in (needs_rehash).  At most two checks run at once per process.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_checks = threading.BoundedSemaphore(2)
MIN_PASSWORD = 10
ROLES_NEEDING_ORGANIZATION = {Role.EXPERT, Role.SUPERUSER}


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"the password must have at least {MIN_PASSWORD} characters", field="password"
        )
    with _checks:
        return hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        with _checks:
            return hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(user: User) -> bool:
    return bool(user.password_hash) and hasher.check_needs_rehash(user.password_hash or "")


def find_by_email(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()


def add_user(
    session: Session,
    email: str,
    *,
    name: str,
    role: str,
    organization_id: str | None = None,
    password: str | None = None,
    languages: list[str] | None = None,
) -> User:
    email = email.strip().lower()
    if email.count("@") != 1 or len(email) > 254:
        raise ValidationError(f"not an email address: {email}", field="email")
    try:
        role_enum = Role(role)
    except ValueError:
        raise ValidationError(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}", field="role"
        ) from None
    if not name.strip():
        raise ValidationError("a name is required", field="name")
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise ValidationError(f"unknown organization {organization_id!r}", field="organization")
    if role_enum in ROLES_NEEDING_ORGANIZATION and organization_id is None:
        raise ValidationError(f"role {role} needs --organization", field="organization")
    if find_by_email(session, email) is not None:
        raise ConflictError(f"a user {email} exists already", field="email")
    user = User(
        email=email,
        name=name.strip(),
        role=role_enum.value,
        organization_id=organization_id,
        password_hash=hash_password(password) if password else None,
        languages=languages or ["fi"],
    )
    session.add(user)
    session.flush()
    return user
