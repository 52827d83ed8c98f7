"""Who may see which tickets.  One rule, used by the console, the API,
attachment downloads and search alike:

- admin and desk agent: every ticket, both desks;
- national staff helpdesk (tier 2): every staff ticket;
- institution super-user (tier 1): staff tickets routed to their organisation;
- institution expert: tickets routed to their organisation.

Anything else is "not found", never "forbidden", so a guessed number
reveals nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, true

from servicedesk.models import Role, Ticket, User


def visible(user: User | None) -> ColumnElement[bool]:
    """A WHERE clause limiting tickets to what ``user`` may see (None: an
    integration token with no user, which sees everything)."""
    if user is None:
        return true()
    if not user.is_active:
        return false()
    role = Role(user.role)
    if role in {Role.ADMIN, Role.AGENT}:
        return true()
    if role is Role.HELPDESK:
        return Ticket.audience == "staff"
    if user.organization_id is None:
        return false()
    if role is Role.SUPERUSER:
        return and_(Ticket.audience == "staff", Ticket.organization_id == user.organization_id)
    return Ticket.organization_id == user.organization_id


def can_see(user: User | None, ticket: Ticket) -> bool:
    if user is None:
        return True
    if not user.is_active:
        return False
    role = Role(user.role)
    if role in {Role.ADMIN, Role.AGENT}:
        return True
    if role is Role.HELPDESK:
        return ticket.audience == "staff"
    if user.organization_id is None or ticket.organization_id != user.organization_id:
        return False
    return role is not Role.SUPERUSER or ticket.audience == "staff"


def can_administer(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == Role.ADMIN


def can_forward_anywhere(user: User) -> bool:
    return Role(user.role) in {Role.ADMIN, Role.AGENT, Role.HELPDESK}
