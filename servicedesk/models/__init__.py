"""The ORM models, one module per concern; importing this package registers
every table on ``Base.metadata`` (Alembic and the tests rely on it) and the
listeners that keep durations in business hours (durations.py) and the
hourly ticket counts (counts.py)."""

from servicedesk.models.announcements import Announcement, AnnouncementDelivery
from servicedesk.models.base import Base, utcnow
from servicedesk.models.counts import TicketCount
from servicedesk.models.delivery import (
    ApiToken,
    IntakeRecord,
    IntakeStatus,
    MailboxState,
    OutboxItem,
    OutboxStatus,
)
from servicedesk.models.directory import (
    DirectoryVersion,
    Municipality,
    Organization,
    Queue,
    QueueMember,
    Region,
    RoutingRule,
)
from servicedesk.models.durations import TicketHold
from servicedesk.models.feedback import Survey
from servicedesk.models.knowledge import (
    Article,
    ArticleAudience,
    ArticleFeedback,
    ArticleStatus,
    ArticleText,
    ArticleTopic,
    ArticleUse,
    ArticleVersion,
)
from servicedesk.models.messages import Attachment, CallRecord, Message
from servicedesk.models.people import Contact, ContactIdentity, Role, User
from servicedesk.models.retention import DeskPolicy, TicketRedaction
from servicedesk.models.templates import TemplateOverride
from servicedesk.models.tickets import AuditEvent, Ticket, TicketCounter, TicketLink

__all__ = [
    "Announcement",
    "AnnouncementDelivery",
    "ApiToken",
    "Article",
    "ArticleAudience",
    "ArticleFeedback",
    "ArticleStatus",
    "ArticleText",
    "ArticleTopic",
    "ArticleUse",
    "ArticleVersion",
    "Attachment",
    "AuditEvent",
    "Base",
    "CallRecord",
    "Contact",
    "ContactIdentity",
    "DeskPolicy",
    "DirectoryVersion",
    "IntakeRecord",
    "IntakeStatus",
    "MailboxState",
    "Message",
    "Municipality",
    "Organization",
    "OutboxItem",
    "OutboxStatus",
    "Queue",
    "QueueMember",
    "Region",
    "Role",
    "RoutingRule",
    "Survey",
    "TemplateOverride",
    "Ticket",
    "TicketCount",
    "TicketCounter",
    "TicketHold",
    "TicketLink",
    "TicketRedaction",
    "User",
    "utcnow",
]
