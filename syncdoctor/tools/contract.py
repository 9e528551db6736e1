"""The tools a chatbot calls, as plain Python: no web framework, results are the pydantic models.

The HTTP service and the MCP server call these same functions (through :func:`call_tool`, which
validates JSON arguments with the models of :mod:`syncdoctor.tools.requests`), so that every door
returns the same bytes for the same call.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from syncdoctor.collectors.lazy import diagnose as run_diagnosis
from syncdoctor.diagnosis.case import clock
from syncdoctor.diagnosis.result import Cause, CauseAccount, Diagnosis
from syncdoctor.diagnosis.routing import choose_pack
from syncdoctor.diagnosis.why import account_for
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb
from syncdoctor.errors import FactError, FieldProblem, RequestError
from syncdoctor.kb.problems import nearest
from syncdoctor.tools.catalogue import FactCatalogue, PackList, catalogue_of, pack_list
from syncdoctor.tools.factcheck import with_every_wrong_fact
from syncdoctor.tools.problems import request_error
from syncdoctor.tools.requests import (
    INCLUDE_ALL,
    DescribeFactsRequest,
    DiagnoseRequest,
    ExplainRequest,
    Include,
    ListPacksRequest,
)
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = [
    "budget", "call_tool", "describe_facts", "diagnose", "diagnose_request", "explain",
    "list_packs",
]


def budget(
    diagnosis: Diagnosis,
    *,
    max_questions: int | None = None,
    include: Collection[Include] | None = None,
) -> Diagnosis:
    """The Diagnosis trimmed to what the caller asked for (the token budget of a chatbot)."""
    wanted = set(INCLUDE_ALL if include is None else include)
    update: dict[str, object] = {}
    if max_questions is not None and len(diagnosis.questions) > max_questions:
        update["questions"] = diagnosis.questions[:max_questions]
    if "ruled_out" not in wanted:
        update["ruled_out"] = []
    if "inferred" not in wanted:
        update["inferred"] = {}
    if "evidence" not in wanted:
        update["causes"] = [_without_evidence(c) for c in diagnosis.causes]
    return diagnosis.model_copy(update=update) if update else diagnosis


def _without_evidence(cause: Cause) -> Cause:
    return cause.model_copy(update={"evidence": []})


def diagnose(
    facts: Mapping[str, object] | None = None,
    *,
    pack: str | None = None,
    unknown: Collection[str] = (),
    now: datetime | str | None = None,
    max_questions: int | None = None,
    include: Collection[Include] | None = None,
    kb: KnowledgeBase | None = None,
    collect: bool | Collectors = False,
) -> Diagnosis:
    """Diagnose one case; ``unknown`` facts (the user cannot answer them) are not asked again.

    ``collect``: fetch what the pack's collectors can give (see ``syncdoctor.diagnose``).

    Raises:
        FactError: an unknown fact, a value of the wrong type, a bad ``unknown`` entry.
        PackError: an unknown pack id.
    """
    knowledge = kb if kb is not None else default_kb()
    try:
        result = run_diagnosis(facts if facts is not None else {}, pack=pack, kb=knowledge,
                               now=now, unknown=unknown, collect=collect)
    except FactError as error:
        with_every_wrong_fact(error, knowledge, facts, pack)
        raise
    return budget(result, max_questions=max_questions, include=include)


def _pack_for_cause(
    kb: KnowledgeBase, pack: str | None, cause: str, facts: Mapping[str, object]
) -> Pack:
    if pack is not None:
        return kb.pack(pack)
    having = [p for p in sorted(kb.packs) if cause in kb.packs[p].playbook.causes]
    if len(having) == 1:
        return kb.packs[having[0]]
    chosen = choose_pack(kb, facts) if having else None
    if chosen is not None and chosen.id in having:
        return chosen
    every = sorted({c for p in kb.packs.values() for c in p.playbook.causes})
    if not having:
        raise RequestError([FieldProblem(
            "cause", f"no pack has a cause {cause!r}", expected="a cause id (list_packs)",
            suggestion=nearest(cause, every),
        )])
    raise RequestError([FieldProblem(
        "pack", f"several packs have a cause {cause!r}: name one",
        expected=" or ".join(having),
    )])


def explain(
    cause: str,
    facts: Mapping[str, object] | None = None,
    *,
    pack: str | None = None,
    now: datetime | str | None = None,
    kb: KnowledgeBase | None = None,
) -> CauseAccount:
    """HOW ``cause`` was concluded for these facts, or WHY NOT (a cause the user expected).

    Raises:
        RequestError: no such cause, or a cause several packs have and no pack named.
        FactError: an unknown fact or a value of the wrong type.
        PackError: an unknown pack id.
    """
    knowledge = kb if kb is not None else default_kb()
    given = facts if facts is not None else {}
    try:
        chosen = _pack_for_cause(knowledge, pack, cause, given)
        return account_for(chosen, given, cause, kb=knowledge, now=clock(now))
    except FactError as error:
        with_every_wrong_fact(error, knowledge, given, pack)
        raise


def list_packs(*, kb: KnowledgeBase | None = None) -> PackList:
    """Every pack of the knowledge base, with its causes."""
    return pack_list(kb if kb is not None else default_kb())


def describe_facts(pack: str, *, kb: KnowledgeBase | None = None) -> FactCatalogue:
    """The fact catalogue of one pack: what each fact is, its type, its question.

    Raises:
        PackError: an unknown pack id.
    """
    return catalogue_of((kb if kb is not None else default_kb()).pack(pack))


ToolHandler = Callable[[BaseModel, KnowledgeBase, "Collectors | None"], BaseModel]


def collect_argument(collect: bool, collectors: Collectors | None) -> Collectors | bool:
    """What ``collect: true`` in a request means here: the door's runner, or a refusal.

    Raises:
        RequestError: ``collect`` is true and this door was not started to collect.
    """
    if not collect:
        return False
    if collectors is None:
        raise RequestError([FieldProblem(
            "collect", "this server does not collect facts",
            expected="false, or a server started with --collect")])
    return collectors


def diagnose_request(request: DiagnoseRequest, kb: KnowledgeBase,
                     collect: Collectors | bool) -> Diagnosis:
    """:func:`diagnose` with a validated request's arguments (every door that takes one)."""
    return diagnose(request.facts, pack=request.pack, unknown=request.unknown or (),
                    now=request.now, max_questions=request.max_questions,
                    include=request.include, kb=kb, collect=collect)


def _diagnose(request: BaseModel, kb: KnowledgeBase, collectors: Collectors | None) -> BaseModel:
    assert isinstance(request, DiagnoseRequest)
    return diagnose_request(request, kb, collect_argument(request.collect, collectors))


def _explain(request: BaseModel, kb: KnowledgeBase, _: Collectors | None) -> BaseModel:
    assert isinstance(request, ExplainRequest)
    if request.session is not None:
        raise RequestError([FieldProblem(
            "session", "explain(session=...) needs the interview tools",
            expected="facts instead of a session")])
    return explain(request.cause, request.facts, pack=request.pack, now=request.now, kb=kb)


def _list_packs(request: BaseModel, kb: KnowledgeBase, _: Collectors | None) -> BaseModel:
    return list_packs(kb=kb)


def _describe_facts(request: BaseModel, kb: KnowledgeBase, _: Collectors | None
                    ) -> BaseModel:
    assert isinstance(request, DescribeFactsRequest)
    return describe_facts(request.pack, kb=kb)


STATELESS: dict[str, tuple[type[BaseModel], ToolHandler]] = {
    "diagnose": (DiagnoseRequest, _diagnose),
    "explain": (ExplainRequest, _explain),
    "list_packs": (ListPacksRequest, _list_packs),
    "describe_facts": (DescribeFactsRequest, _describe_facts),
}
"""Tool name -> (its arguments' model, its handler), for the tools that keep no session."""


def parse_arguments(model: type[BaseModel], arguments: Mapping[str, JsonValue]) -> BaseModel:
    """The arguments validated by the tool's model.

    Raises:
        RequestError: naming every wrong field (never quoting a value).
    """
    try:
        return model.model_validate(dict(arguments))
    except ValidationError as error:
        raise request_error(error) from None


def call_tool(
    name: str, arguments: Mapping[str, JsonValue], *, kb: KnowledgeBase | None = None,
    collectors: Collectors | None = None,
) -> BaseModel:
    """Call a stateless tool by name with JSON arguments, as a chatbot would.

    ``collectors``: the runner a ``collect: true`` diagnose uses; without one it is refused.

    Raises:
        RequestError: an unknown tool or wrong arguments.
        SyncdoctorError: whatever the tool raises (FactError, PackError, ...).
    """
    entry = STATELESS.get(name)
    if entry is None:
        raise RequestError([FieldProblem("name", f"no tool {name!r}", expected="a tool name",
                                         suggestion=nearest(name, STATELESS))])
    model, handler = entry
    if not isinstance(arguments, Mapping):
        raise FactError("arguments", "expected an object", expected="object")
    return handler(parse_arguments(model, arguments), kb if kb is not None else default_kb(),
                   collectors)
