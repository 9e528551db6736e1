"""Human-readable renderings of a Diagnosis: plain text for terminals, Markdown for tickets."""

from syncdoctor.report.text import to_markdown, to_text

__all__ = ["to_markdown", "to_text"]
