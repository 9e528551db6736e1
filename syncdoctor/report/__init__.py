"""Human-readable renderings of a Diagnosis: plain text for terminals, the ticket report."""

from syncdoctor.report.text import to_markdown, to_text
from syncdoctor.report.ticket import (
    ReportError,
    Ticket,
    folded_note,
    render_ticket,
    session_report,
    ticket_from_case,
    ticket_from_interview,
)

__all__ = [
    "ReportError",
    "Ticket",
    "folded_note",
    "render_ticket",
    "session_report",
    "ticket_from_case",
    "ticket_from_interview",
    "to_markdown",
    "to_text",
]
