"""The report for the ticket: one report, rendered from Jinja templates a team can override.

``diagnose --format markdown`` and a session export (``sessions export``) give the same report:
the case title; the facts with who gave them and when (agent, case file, worked out); what was
unknown; the questions asked, in order; the causes with their evidence; the remediation and the
escalation with what to send.

Templates live in ``syncdoctor/report/templates/`` (one per part: header, facts, asked, causes,
footer). A team overrides any of them by putting a
file of the same name in its own directory and passing it as ``templates=`` (the CLI's
``--report-templates DIR``): its files are looked up first, the bundled ones fill the gaps.
Templates run in the KB templates' bounded sandbox (``kb.template_limits``: Jinja2's immutable
sandbox, with steps, time and text built bounded); fact values reach them as data, never as
template text.
The report is built from a Diagnosis and never changes it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, Template, TemplateError

from syncdoctor._safe_text import shown_safely
from syncdoctor.diagnosis.result import Cause, Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase, default_kb
from syncdoctor.errors import REDACTED, FactError, SyncdoctorError, describe
from syncdoctor.kb.credentials import mask_credentials
from syncdoctor.kb.recordvalues import type_fact
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.template_failure import render_failure
from syncdoctor.kb.template_limits import LimitedSandbox, TemplateLimitError, render_budget
from syncdoctor.kb.template_markdown import code_span as inline_code
from syncdoctor.kb.template_markdown import markdown_text
from syncdoctor.kb.values import iso_moment, jsonable
from syncdoctor.report.numbers import certainty_places
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    # Only a session's report needs the interview package; ``diagnose`` never imports it.
    from syncdoctor.interview.session import Interview

__all__ = [
    "BUNDLED_TEMPLATES",
    "ReportError",
    "Ticket",
    "folded_note",
    "render_ticket",
    "session_report",
    "ticket_from_case",
    "ticket_from_interview",
]

BUNDLED_TEMPLATES = Path(__file__).with_name("templates")
PARTS = ("header.md.jinja", "facts.md.jinja", "asked.md.jinja", "causes.md.jinja",
         "footer.md.jinja")
"""The report's templates, rendered in this order and joined (the bounded sandbox renders
each one alone: it has no ``include``). Context of each: ``ticket`` and ``d`` (its Diagnosis)."""
ReportFormat = Literal["markdown", "json"]
STARTING = "given at the start"
"""Who gave a session's starting facts, in its report."""

SOURCE_LABELS = {"agent": "agent", "case": "case file", "bot": "chatbot",
                 "collector": "collector", "derived": "worked out"}


class ReportError(SyncdoctorError):
    """A report template that cannot be found or rendered (a team's override, usually)."""


@dataclass(frozen=True)
class TicketFact:
    """A fact in the report: its value, who gave it, and when (None: not recorded)."""

    fact: str
    value: JsonValue
    source: str
    at: str | None = None


@dataclass(frozen=True)
class TicketQuestion:
    """A question asked, in order, with the answer given (None for "don't know")."""

    fact: str
    ask: str
    answer: JsonValue
    unknown: bool
    source: str
    at: str


@dataclass(frozen=True)
class TicketOutcome:
    """One "Did this fix it?" answer, in order: the cause, whether it did, who, when."""

    cause: str
    title: str
    fixed: bool
    source: str
    at: str


@dataclass(frozen=True)
class Ticket:
    """Everything the report shows; ``diagnosis`` is the Diagnosis, unchanged."""

    title: str | None
    diagnosis: Diagnosis
    facts: list[TicketFact] = field(default_factory=list)
    unknown: list[TicketFact] = field(default_factory=list)
    asked: list[TicketQuestion] = field(default_factory=list)
    session: str | None = None
    fixed: TicketOutcome | None = None
    """A session's end: the remediation that fixed it (None while open, and for a case)."""
    outcomes: list[TicketOutcome] = field(default_factory=list)
    """Every "Did this fix it?" answered in the session, in order (a reopened one too)."""


def _worked_out(diagnosis: Diagnosis, *, collected: bool = True) -> list[TicketFact]:
    """What the engine worked out, then what collectors fetched (with where from and when)."""
    return [
        *(TicketFact(f, v, "worked out") for f, v in sorted(diagnosis.inferred.items())),
        *(TicketFact(f, c.value, f"collected from {c.source}", c.at)
          for f, c in sorted(diagnosis.collected.items()) if collected),
    ]


def ticket_from_case(
    diagnosis: Diagnosis,
    facts: Mapping[str, object],
    *,
    title: str | None = None,
    unknown: Iterable[str] = (),
    kb: KnowledgeBase | None = None,
) -> Ticket:
    """The report of a case file: its facts "from the case file", the rest worked out.

    ``kb``: the knowledge base the diagnosis ran on (None: the bundled one). Its catalogue
    types each fact as the engine read it (``150.00`` shows as the evidence shows it) and says
    which are secret: those show as ``***``. Given another knowledge base than the diagnosis's
    (its version differs), every value shows as ``***``.
    """
    knowledge = kb if kb is not None else default_kb()
    # Another knowledge base than the one the diagnosis ran on cannot say which facts are
    # secret: every value is then shown as ***, rather than one in clear.
    catalogues = (_catalogues(knowledge, diagnosis.pack)
                  if knowledge.version == diagnosis.kb_version else None)
    given = [
        TicketFact(str(f), _shown(str(f), v, catalogues), "case file")
        for f, v in sorted(facts.items(), key=lambda item: str(item[0])) if v is not None
    ]
    missing = [TicketFact(f, None, "case file") for f in sorted(set(unknown))
               if f in diagnosis.unknown]
    shown_title = mask_credentials(title) if title is not None else None  # a case file's title
    return Ticket(title=shown_title, diagnosis=diagnosis, facts=given + _worked_out(diagnosis),
                  unknown=missing)


def ticket_from_interview(iv: Interview) -> Ticket:
    """The report of a session: starting facts, answers with who and when, worked out."""
    header = iv.header
    started = iso_moment(header.created_at)
    # A session's starting facts came from a case file, a chatbot's first call or a web form:
    # the session does not record which, so they are said to be given at the start.
    latest: dict[str, TicketFact] = {
        f: TicketFact(f, v, STARTING, started) for f, v in sorted(header.facts.items())
    }
    unknown: dict[str, TicketFact] = {
        f: TicketFact(f, None, STARTING, started) for f in header.unknown
    }
    asked: list[TicketQuestion] = []
    pack = iv.kb.packs.get(iv.pack) if iv.pack is not None else None
    fetched = iv.diagnosis.collected
    for answer in iv.answers:
        who, when = SOURCE_LABELS[answer.source], iso_moment(answer.at)
        if answer.source == "collector" and answer.fact in fetched:
            who = f"collected from {fetched[answer.fact].source}"
        spec = pack.facts.get(answer.fact) if pack is not None else None
        ask = (spec.ask if spec is not None else None) or f"What is {answer.fact}?"
        asked.append(TicketQuestion(answer.fact, ask, answer.value, answer.unknown, who, when))
        if answer.unknown:
            latest.pop(answer.fact, None)
            unknown[answer.fact] = TicketFact(answer.fact, None, who, when)
        else:
            unknown.pop(answer.fact, None)
            latest[answer.fact] = TicketFact(answer.fact, answer.value, who, when)
    diagnosis = iv.diagnosis
    titles = {c: spec.title for c, spec in pack.playbook.causes.items()} if pack else {}
    outcomes = [TicketOutcome(str(e.value), titles.get(str(e.value), str(e.value)),
                              e.kind == "fixed", SOURCE_LABELS[e.source], iso_moment(e.at))
                for e in iv.events if e.kind in ("fixed", "not_fixed")]
    # Closed while its latest event is a "fixed": then that is the last outcome.
    fixed = outcomes[-1] if iv.fixed_cause is not None and outcomes else None
    return Ticket(
        title=header.title,
        diagnosis=diagnosis,
        facts=[latest[f] for f in sorted(latest)] + _worked_out(diagnosis, collected=False),
        unknown=[unknown[f] for f in sorted(unknown) if f in diagnosis.unknown],
        asked=asked,
        session=header.id,
        fixed=fixed,
        outcomes=outcomes,
    )


def render_ticket(
    ticket: Ticket, format: ReportFormat = "markdown", *, templates: Path | None = None
) -> str:
    """The report as Markdown (from the templates) or JSON (the same content, as data).

    Raises:
        ReportError: a template that is missing, malformed, or fails to render.
    """
    if format == "json":
        return json.dumps(_ticket_data(ticket), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if format != "markdown":
        raise ReportError(f"unknown report format {describe(format, 20)}; use markdown or json")
    parts: list[str] = []
    try:
        compiled = _compiled_parts(templates)
    except TemplateError as error:
        filename = getattr(error, "filename", None)  # syntax errors say which file
        where = f" in {filename}" if filename else ""
        raise ReportError(f"report template{where}: {error}") from None
    for template in compiled:
        try:
            with render_budget():  # the KB templates' bounds: steps, time, text built
                parts.append(template.render(ticket=ticket, d=ticket.diagnosis))
        except TemplateLimitError as error:
            raise ReportError(f"report template {template.name}: {error}") from None
        except Exception as error:  # a report template is the operator's data: never a trace
            why = render_failure(error, ())
            raise ReportError(f"report template {template.name}: {why}") from None
    # A customer's ESC, BEL or bidi override shows as a character: the report is read in
    # terminals and pasted into tickets (its JSON escapes them as \u001b already).
    return shown_safely("".join(parts).rstrip("\n") + "\n")


def session_report(
    iv: Interview, format: ReportFormat = "markdown", *, templates: Path | None = None
) -> str:
    """The report of a session (what ``syncdoctor sessions export ID`` prints)."""
    return render_ticket(ticket_from_interview(iv), format, templates=templates)


def _compiled_parts(templates: Path | None) -> tuple[Template, ...]:
    """The report's parts, compiled once per template directory and version of its files.

    Compiling in the bounded sandbox is about 40 ms, rendering under 1 ms: a web result page
    or a report route would otherwise pay the compile every time. A team's edited template
    is seen at once, since the key holds each override's modification time.
    """
    if templates is None:
        return _compile_parts(None, ())
    versions = tuple(
        (part, (templates / part).stat().st_mtime_ns if (templates / part).is_file() else 0)
        for part in PARTS
    )
    return _compile_parts(str(templates.resolve()), versions)


@functools.lru_cache(maxsize=16)
def _compile_parts(
    directory: str | None, versions: tuple[tuple[str, int], ...]
) -> tuple[Template, ...]:
    del versions  # only part of the cache key
    environment = _environment(Path(directory) if directory is not None else None)
    return tuple(environment.get_template(part) for part in PARTS)


def _environment(templates: Path | None) -> LimitedSandbox:
    loaders = [FileSystemLoader(str(BUNDLED_TEMPLATES))]
    if templates is not None:
        if not templates.is_dir():
            raise ReportError(f"{templates}: the report template directory does not exist")
        loaders.insert(0, FileSystemLoader(str(templates)))
    environment = LimitedSandbox(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        cache_size=0,  # the bounded compiler deep-copies the AST, environment and cache with it
    )
    environment.filters["code"] = inline_code
    environment.filters["md"] = markdown_text
    environment.filters["value"] = show_value
    environment.filters["brief"] = lambda value: inline_code(brief_value(value))
    environment.filters["certainty"] = certainty_places
    environment.globals["folded_note"] = folded_note
    return environment


def folded_note(diagnosis: Diagnosis, root: Cause, *, numbered: bool = True) -> str:
    """Where a consequence's steps are shown: at the end of its root's (Diagnosis.folded_into).

    ``numbered``: the report numbers its causes (the text report, the terminal), so the root
    is named by its number too; the Markdown report and the page name it by its title alone.
    """
    if not numbered:
        return f'The steps of "{root.title}" above end with this one\'s.'
    number = diagnosis.cause_ids.index(root.id) + 1
    return f"The steps of cause {number} above ({root.title}) end with this one's."


def show_value(value: object) -> str:
    """A fact value for a table cell: yes/no, code spans, records counted; ``|`` escaped."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return f"{len(value)} record{'s' if len(value) != 1 else ''}"
    return inline_code(value).replace("|", "\\|")  # GFM tables split cells on any |


BRIEF = 60
"""Characters of a text value shown beside a rule's reason (the facts table has it whole)."""


def brief_value(value: object) -> str:
    """A fact value beside a rule's reason: yes/no, records counted, long text cut short."""
    if value is True or value is False:
        return "yes" if value else "no"
    if value is None:
        return "unknown"
    if isinstance(value, list):
        return f"{len(value)} record{'s' if len(value) != 1 else ''}"
    text = " ".join(str(value).split())
    return text if len(text) <= BRIEF else text[: BRIEF - 1] + "…"


def _catalogues(kb: KnowledgeBase, pack: str | None) -> list[Mapping[str, FactSpec]]:
    """The pack's catalogue; every pack's while none is chosen.

    A fact secret in any of them is then kept secret.
    """
    if pack is not None and pack in kb.packs:
        return [kb.packs[pack].facts]
    return [kb.packs[p].facts for p in sorted(kb.packs)]


def _shown(fact: str, value: object, catalogues: list[Mapping[str, FactSpec]] | None
           ) -> JsonValue:
    """A case fact as the report shows it: ``***`` when secret, else as the engine typed it."""
    if catalogues is None:
        return REDACTED
    specs = [c[fact] for c in catalogues if fact in c]
    if any(spec.secret for spec in specs):
        return REDACTED
    if len(specs) == 1:
        try:
            typed = type_fact(fact, specs[0], value)
        except FactError:
            return _plain(value)
        return jsonable(typed)
    return _plain(value)


def _plain(value: object) -> JsonValue:
    if isinstance(value, datetime):
        return iso_moment(value)
    if isinstance(value, str):  # untyped text (no pack, or not the pack's value) is masked too
        return mask_credentials(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _ticket_data(ticket: Ticket) -> dict[str, JsonValue]:
    data: dict[str, JsonValue] = {
        "title": ticket.title,
        "session": ticket.session,
        "facts": [asdict(f) for f in ticket.facts],
        "unknown": [asdict(f) for f in ticket.unknown],
        "asked": [asdict(q) for q in ticket.asked],
        "fixed": None if ticket.fixed is None else asdict(ticket.fixed),
        "outcomes": [asdict(o) for o in ticket.outcomes],
        "diagnosis": json.loads(ticket.diagnosis.model_dump_json()),
    }
    return data

