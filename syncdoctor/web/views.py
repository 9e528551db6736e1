"""What each page shows, worked out from a session (on the engine thread), as plain data.

The templates only lay these out: every value reaches them as data and is escaped there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncdoctor.diagnosis.result import Cause, CauseAccount, PackChoice, Question, RuledOut
from syncdoctor.diagnosis.why import account_for
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.interview import Interview, SessionStore
from syncdoctor.interview.events import SessionSummary
from syncdoctor.report import folded_note, session_report
from syncdoctor.report.numbers import certainty_percent
from syncdoctor.tools.catalogue import FactDescription, catalogue_of
from syncdoctor.types import JsonValue
from syncdoctor.web.forms import Form, table_rows

__all__ = ["PackButton", "SessionPage", "StartPage", "session_page", "start_page"]

RECENT_SESSIONS = 15


@dataclass(frozen=True)
class PackButton:
    """A pack to start from."""

    id: str
    title: str
    reading: str = ""
    """For a pack that recognises the pasted message: what it reads there (its likeliest cause)."""


@dataclass(frozen=True)
class StartPage:
    """The start page: the packs, and the sessions to resume."""

    packs: list[PackButton]
    sessions: list[SessionSummary]
    pack_titles: dict[str, str]


@dataclass(frozen=True)
class Possible:
    """A cause not shown yet that an open question could still confirm."""

    id: str
    title: str


@dataclass(frozen=True)
class Option:
    """One radio button: the value posted, its label, what it means."""

    value: str
    label: str
    help: str | None


@dataclass(frozen=True)
class AnswerLine:
    """One answer or skip in effect, as the page lists it."""

    fact: str
    ask: str
    shown: str | None
    """The value in words; None for "I don't know"."""


@dataclass
class SessionPage:
    """Everything the interview and result pages show for one session."""

    id: str
    pack: str | None
    pack_title: str | None
    question: Question | None
    fact: FactDescription | None
    finished: bool
    causes: list[Cause]
    possible: list[Possible]
    ruled_out: list[RuledOut]
    pack_choices: list[PackButton]
    answers: list[AnswerLine]
    given: list[AnswerLine]
    """The facts the session started with (the pasted error message)."""
    warnings: list[str]
    can_go_back: bool
    report: str = ""
    """The ticket report (Markdown), for the result page only: it takes a while to render."""
    question_causes: list[Possible] = field(default_factory=list)
    """The causes the question bears on (its Why?)."""
    question_step: str = ""
    """The title of the playbook step the question belongs to (its Why?)."""
    options: list[Option] = field(default_factory=list)
    """The radio buttons of an enum or bool question."""
    rows: list[dict[str, str]] = field(default_factory=list)
    """The records table's rows (typed ones kept after an error, then blank ones)."""
    typed: str = ""
    """What the control held when the page is shown again (an error, a check)."""
    understood: str | None = None
    account: CauseAccount | None = None
    """HOW or WHY NOT for one cause, when asked for without JavaScript."""
    fixed: str | None = None
    """The id of the cause whose remediation fixed it: the session is closed."""
    folded: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Cause id -> (its root's id, the note): a consequence whose steps end its root's."""


def start_page(kb: KnowledgeBase, store: SessionStore) -> StartPage:
    """The packs and the recent sessions."""
    packs = [PackButton(id=pack_id, title=kb.packs[pack_id].playbook.title)
             for pack_id in sorted(kb.packs)]
    return StartPage(packs=packs, sessions=list(store.list(limit=RECENT_SESSIONS)),
                     pack_titles={p.id: p.title for p in packs})


def session_page(
    interview: Interview, *, form: Form | None = None, extra_rows: int = 0,
    understood: str | None = None, explain: str | None = None, result: bool = False,
) -> SessionPage:
    """The session as its page shows it; ``form`` keeps what was typed after an error.

    The report is rendered for the result page: when ``result`` is asked for, or no question
    is left.
    """
    diagnosis = interview.diagnosis
    kb = interview.kb
    question = interview.next_question()
    pack = kb.packs[interview.pack] if interview.pack is not None else None
    described = {f.id: f for f in catalogue_of(pack).facts} if pack is not None else {}
    holding = set(diagnosis.cause_ids)
    ruled = {r.id for r in diagnosis.ruled_out}
    possible: list[Possible] = []
    if pack is not None:
        open_causes = {c for q in diagnosis.questions for c in q.causes}
        for cause_id in sorted(open_causes - holding - ruled,
                               key=pack.index.cause_rank.__getitem__):
            possible.append(Possible(cause_id, pack.playbook.causes[cause_id].title))
    choices = diagnosis.pack_choices or []
    page = SessionPage(
        id=interview.id, pack=interview.pack, pack_title=diagnosis.pack_title,
        question=question, fact=described.get(question.fact) if question else None,
        finished=interview.finished, causes=list(diagnosis.causes), possible=possible,
        ruled_out=list(diagnosis.ruled_out),
        pack_choices=[PackButton(c.id, c.title, choice_reading(c)) for c in choices] or [
            PackButton(p, kb.packs[p].playbook.title) for p in sorted(kb.packs)],
        answers=[AnswerLine(a.fact, _ask(described.get(a.fact), a.fact),
                            None if a.unknown else _shown(a.value))
                 for a in interview.answers],
        given=[AnswerLine(f, _ask(described.get(f), f), _shown(v))
               for f, v in interview.header.facts.items()],
        warnings=list(diagnosis.warnings), can_go_back=bool(interview.answers),
        understood=understood, fixed=interview.fixed_cause,
        folded={c.id: (root.id, folded_note(diagnosis, root, numbered=False))
                for c in diagnosis.causes if (root := diagnosis.folded_into(c)) is not None},
    )
    if pack is not None and (result or question is None):
        page.report = session_report(interview)
    if question is not None and pack is not None:
        titles = pack.playbook.causes
        page.question_causes = [Possible(c, titles[c].title) for c in question.causes]
        page.question_step = pack.playbook.steps[pack.index.step_order[question.step]].title
        page.options = _options(question, page.fact)
    if question is not None and question.type == "records":
        page.rows = table_rows(question.fields or [], form, extra_rows)
    elif form is not None:
        page.typed = form.get("value") or ""
    if explain is not None and pack is not None and explain in pack.playbook.causes:
        page.account = explain_cause(interview, explain)
    return page


def explain_cause(interview: Interview, cause: str) -> CauseAccount:
    """HOW (it holds) or WHY NOT (it does not), on the session's facts.

    Raises:
        RequestError: the pack has no such cause.
        InterviewError: no pack is chosen yet.
    """
    from syncdoctor.interview import InterviewError

    if interview.pack is None:
        raise InterviewError("no pack is chosen yet", hint="choose the integration first")
    return account_for(
        interview.kb.packs[interview.pack], interview.facts, cause, kb=interview.kb,
        now=interview.now, unknown=interview.diagnosis.unknown,
        not_fixed=interview.not_fixed_causes)


def _options(question: Question, fact: FactDescription | None) -> list[Option]:
    if question.type == "bool":
        return [Option("true", "Yes", None), Option("false", "No", None)]
    meaning = fact.value_help if fact is not None else {}
    return [Option(v, v, meaning.get(v)) for v in question.values or []]


def _ask(fact: FactDescription | None, fact_id: str) -> str:
    return fact.ask if fact is not None and fact.ask else fact_id


def _shown(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return f"{len(value)} record{'s' if len(value) != 1 else ''}"
    if value is None:
        return ""
    return str(value)


def percent(certainty: float) -> str:
    """A certainty as the page shows it."""
    return certainty_percent(certainty)


def choice_reading(choice: PackChoice) -> str:
    """One line on what a likely pack reads in the message; empty for the others."""
    if not choice.likely:
        return ""
    if not choice.causes:
        return "recognises the message; no cause from it alone"
    best = choice.causes[0]
    return f"reads it as: {best.title} ({certainty_percent(best.certainty)})"
