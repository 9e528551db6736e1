"""Human-readable renderings of a Diagnosis: plain text for terminals (Markdown: ticket.py)."""

from __future__ import annotations

import textwrap

from syncdoctor.diagnosis.result import Diagnosis, Evidence
from syncdoctor.report.numbers import certainty_places
from syncdoctor.report.plain import markdown_as_text
from syncdoctor.report.ticket import Ticket, brief_value, folded_note, render_ticket

_INDENT = "     "


def _block(text: str, indent: str = _INDENT) -> str:
    # Only blank lines are trimmed: a first line's own indent (a code block's) is kept.
    return textwrap.indent(text.strip("\n").rstrip(), indent)


def _read(evidence: Evidence) -> str:
    """The rule's id and the facts its condition read, with their values: ``(rule; a = yes)``.

    Rules need not echo those facts in their 'because'; the report shows them beside it.
    """
    facts = "".join(f"; {fact} = {_quoted(brief_value(value))}"
                    for fact, value in evidence.facts.items())
    return f"({evidence.rule}{facts})"


def _yes_no(value: object) -> object:
    """A bool as yes or no, as beside the reasons and in the reports; anything else whole."""
    return ("yes" if value else "no") if isinstance(value, bool) else value


def _quoted(text: str) -> str:
    """A value with spaces in quotes, so that it reads as one value in the parentheses.

    Single quotes for a value that holds double ones (an error message quoting a code).
    """
    if " " not in text:
        return text
    return f"'{text}'" if '"' in text and "'" not in text else f'"{text}"'


def to_text(diagnosis: Diagnosis) -> str:
    """Readable text: the causes, why, what to do, then the questions still open."""
    out: list[str] = []
    if diagnosis.pack is None:
        out.append("The facts fit several playbooks; say which one with --pack:")
        for choice in diagnosis.pack_choices:
            out.append(f"  - {choice.id}: {choice.title}")
            if choice.likely:
                read = "; ".join(f"{c.title} ({certainty_places(c.certainty)})"
                                 for c in choice.causes)
                out.append(f"      recognises the message: {read or 'no cause from it alone'}")
    else:
        out.append(f"Playbook: {diagnosis.pack_title} [{diagnosis.pack}]")
    out.append("")
    if diagnosis.causes:
        out.append(f"Causes found ({len(diagnosis.causes)}), in the order to fix them:")
        for number, cause in enumerate(diagnosis.causes, 1):
            out.append("")
            certainty = certainty_places(cause.certainty)
            out.append(f"{number:>2}. {cause.title}  [{cause.id}, certainty {certainty}]")
            out.append(f"{_INDENT}Step: {cause.step_title}")
            out.append(f"{_INDENT}Why:")
            for evidence in cause.evidence:
                out.append(f"{_INDENT}  - {evidence.because} {_read(evidence)}")
            root = diagnosis.folded_into(cause)
            if root is not None:
                out.append(f"{_INDENT}What to do: {folded_note(diagnosis, root)}")
            else:
                out.append(f"{_INDENT}What to do:")
                steps = cause.remediation
                out.append(_block("(the remediation could not render)" if steps is None
                                  else markdown_as_text(steps), _INDENT + "  "))
            if cause.escalation is not None:
                out.append(f"{_INDENT}Escalate to: {cause.escalation.contact}")
                for item in cause.escalation.send:
                    out.append(f"{_INDENT}  - send: {item}")
    elif diagnosis.pack is not None:
        out.append("No cause is established by the facts given yet.")
    if diagnosis.ruled_out:
        out.append("")
        out.append("Ruled out:")
        for ruled in diagnosis.ruled_out:
            reasons = "; ".join(f"{r.because} {_read(r)}" for r in ruled.reasons)
            out.append(f"  - {ruled.title} [{ruled.id}]: {reasons}")
    if diagnosis.inferred:
        out.append("")
        out.append("Worked out from the facts:")
        for fact, value in diagnosis.inferred.items():
            out.append(f"  - {fact} = {_yes_no(value)}")
    if diagnosis.collected:
        out.append("")
        out.append("Collected:")
        for fact, got in diagnosis.collected.items():
            out.append(f"  - {fact} = {_yes_no(got.value)}  "
                       f"(collected from {got.source} at {got.at})")
    if diagnosis.not_collected:
        out.append("")
        out.append("Not collected (asked instead):")
        for failure in diagnosis.not_collected:
            out.append(f"  - {failure.collector} ({', '.join(failure.facts)}): {failure.reason}")
    if diagnosis.questions:
        out.append("")
        out.append("Questions still worth asking, best first:")
        for number, question in enumerate(diagnosis.questions, 1):
            kind: str = question.type
            if question.values:
                kind += ": " + " | ".join(question.values)
            out.append(f"{number:>2}. {question.ask}  [{question.fact}, {kind}]")
            out.append(f"{_INDENT}{question.why}")
    if diagnosis.warnings:
        out.append("")
        out.append("Warnings:")
        for warning in diagnosis.warnings:
            out.append(f"  - {warning}")
    out.append("")
    versions = ", ".join(f"{p.id} {p.version}" for p in diagnosis.packs)
    out.append(f"(knowledge base {diagnosis.kb_version}; {versions}; clock {diagnosis.now})")
    return "\n".join(out) + "\n"


def to_markdown(diagnosis: Diagnosis) -> str:
    """Markdown for a ticket: the ticket report of a Diagnosis alone, bundled templates."""
    return render_ticket(Ticket(title=None, diagnosis=diagnosis))
