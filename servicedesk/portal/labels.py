"""Plain-language words for the public pages: topic names, ticket statuses,
channels, the sentences that explain a refused file, the kinds of
announcement and the names of the languages an answer is in.  All are lazy
gettext strings, so they come out in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from servicedesk.portal.attachments import MAX_FILES

# The order is the order of the select: the questions applicants ask most
# first, "something else" last.
TOPIC_LABELS: dict[str, LazyString] = {
    "application": _l("How and when to apply"),
    "results": _l("Admission results and accepting a place"),
    "funding": _l("Money: study costs and financial aid"),
    "content": _l("What the studies contain"),
    "duration": _l("How long the studies take and the timetable"),
    "study_modes": _l("Ways to study: distance, part-time, evenings"),
    "suitability": _l("Who can apply, age and health"),
    "recognition": _l("Using studies or work I have done before"),
    "competence_qualification": _l("Competence-based qualifications"),
    "apprenticeship": _l("Apprenticeship training"),
    "labour_market_training": _l("Labour market training"),
    "language_math": _l("Language and maths tests or support"),
    "it_skills": _l("Computer skills"),
    "technical": _l("A technical problem with the service"),
    "other": _l("Something else"),
}

STATUS_LABELS: dict[str, LazyString] = {
    "new": _l("Received. We have your question and will answer it."),
    "open": _l("In progress. Someone is working on your question."),
    "pending": _l("Answered. We are waiting for your reply."),
    "resolved": _l("Answered. You can still write to us below."),
    "closed": _l("Closed. If you write again, we will open a new question."),
}

CHANNEL_LABELS: dict[str, LazyString] = {
    "email": _l("by email"),
    "sms": _l("by text message"),
    "phone": _l("by phone"),
    "web": _l("on this website"),
    "api": _l("through a partner service"),
}

ATTACHMENT_ERRORS: dict[str, LazyString] = {
    "too_many": _l("You can attach at most %(count)s files.", count=MAX_FILES),
    "too_large": _l("The file %(name)s is larger than 10 MB. Choose a smaller file."),
    "total_too_large": _l("The files are larger than 20 MB together. Send fewer or smaller files."),
    "empty": _l("The file %(name)s is empty. Choose another file."),
    "wrong_type": _l(
        "We cannot take the file %(name)s. Send a PDF, JPEG, PNG, HEIC, Word (docx), "
        "Excel (xlsx), OpenDocument text (odt) or plain text file."
    ),
}


def topic_choices() -> list[tuple[str, str]]:
    """The topic select: an empty first choice, then every topic id."""
    return [("", str(_l("Choose a topic (optional)")))] + [
        (topic, str(label)) for topic, label in TOPIC_LABELS.items()
    ]


# What kind of announcement it is, said before its title.
ANNOUNCEMENT_KINDS: dict[str, LazyString] = {
    "congestion": _l("Busy period"),
    "technical": _l("Technical problem"),
    "deadline": _l("Deadline"),
    "other": _l("Announcement"),
}

# "(in Finnish)" beside an answer that is not in the page's language.
IN_LANGUAGE: dict[str, LazyString] = {
    "fi": _l("in Finnish"),
    "sv": _l("in Swedish"),
    "en": _l("in English"),
}
