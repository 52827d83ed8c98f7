"""Who may see which tickets.  One rule, used by the console, the API,
attachment downloads and search alike:

- admin and desk agent: every ticket, both desks;
- national staff helpdesk (tier 2): every staff ticket;
- institution super-user (tier 1): staff tickets routed to their organisation;
- institution expert: tickets routed to their organisation.

Anything else is "not found", never "forbidden", so a guessed number
reveals nothing.  Who may answer a contact by replying to our mail
(``may_answer_by_email``) is the same rule for everyone but the
administrator, who answers in the console.
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
    return may_see(user, ticket.audience, ticket.organization_id)


def may_see(user: User | None, audience: str, organization_id: str | None) -> bool:
    """``can_see`` for a ticket of ``audience`` held by ``organization_id``
    (a queue's, say), without a ticket at hand."""
    if user is None:
        return True
    if not user.is_active:
        return False
    return sees(user.role, user.organization_id, audience, organization_id)


def sees(
    role_name: str,
    organization_id: str | None,
    audience: str,
    ticket_organization_id: str | None,
) -> bool:
    """``can_see`` on plain values, for callers holding no rows (the intake filters)."""
    role = Role(role_name)
    if role in {Role.ADMIN, Role.AGENT}:
        return True
    if role is Role.HELPDESK:
        return audience == "staff"
    if organization_id is None or ticket_organization_id != organization_id:
        return False
    return role is not Role.SUPERUSER or audience == "staff"


#: Who may answer a contact by replying to our mail: the people who work
#: tickets (an administrator administers; they answer in the console).
EMAIL_ANSWER_ROLES = frozenset({Role.AGENT, Role.HELPDESK, Role.SUPERUSER, Role.EXPERT})


def may_answer_by_email(
    role_name: str,
    organization_id: str | None,
    audience: str,
    ticket_organization_id: str | None,
) -> bool:
    """Whether a user's reply by email may go to the ticket's contact as
    their answer: an expert or super-user of the ticket's organisation, or
    an agent of the desk the ticket is at (desk agents every ticket, the
    national staff helpdesk every staff ticket), as ``sees`` says."""
    if role_name not in {r.value for r in EMAIL_ANSWER_ROLES}:
        return False
    return sees(role_name, organization_id, audience, ticket_organization_id)


def can_administer(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == Role.ADMIN


def can_forward_anywhere(user: User) -> bool:
    return Role(user.role) in {Role.ADMIN, Role.AGENT, Role.HELPDESK}
