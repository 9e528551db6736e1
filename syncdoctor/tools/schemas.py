"""Tool schemas for language models, generated from the fact catalogue and the result models.

``syncdoctor tools --format openai|anthropic|mcp|json-schema [--pack P]`` prints them. The OpenAI
form is valid in strict mode: ``additionalProperties: false`` on every object and every property
required, the optional ones nullable. The other forms keep optional arguments optional.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from syncdoctor.diagnosis.result import CauseAccount, Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.tools.catalogue import FactCatalogue, PackList
from syncdoctor.tools.factschema import Schema, facts_object, nullable
from syncdoctor.tools.requests import INCLUDE_ALL, MAX_QUESTIONS
from syncdoctor.tools.sessions import Session, SessionReport
from syncdoctor.types import JsonValue

__all__ = ["FORMATS", "TOOLS", "Param", "SchemaFormat", "ToolSpec", "tool_schemas"]

SchemaFormat = Literal["openai", "anthropic", "mcp", "json-schema"]
FORMATS: tuple[SchemaFormat, ...] = ("openai", "anthropic", "mcp", "json-schema")


@dataclass(frozen=True)
class Param:
    """One argument of a tool; ``schema`` is built for the packs the schemas describe."""

    name: str
    schema: Callable[[Sequence[Pack], bool], Schema]
    required: bool = False


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what it does (for a model), its arguments and its result."""

    name: str
    description: str
    params: tuple[Param, ...]
    output: type[BaseModel]


def _with(description: str, schema: Schema) -> Schema:
    return {**schema, "description": description}


def pack_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The pack id, one of those described."""
    ids: list[JsonValue] = [p.id for p in packs]
    return _with("The pack id. " + "; ".join(f"{p.id}: {p.playbook.title}" for p in packs),
                 {"type": "string", "enum": ids})


def optional_pack(packs: Sequence[Pack], strict: bool) -> Schema:
    """A pack id, or null to let the engine choose it."""
    schema = pack_param(packs, strict)
    return nullable(_with(str(schema["description"]) + ". null: chosen from the facts.", schema))


def facts_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The typed facts object."""
    return facts_object(packs, strict=strict)


def now_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The clock."""
    return nullable(_with("The case clock, ISO 8601 (ages of datetimes are counted from it); "
                          "null: the current time.", {"type": "string", "format": "date-time"}))


def fact_ids(packs: Sequence[Pack]) -> list[JsonValue]:
    """Every fact id of these packs, sorted."""
    return list(sorted({f for p in packs for f in p.facts}))


def unknown_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """Facts the user cannot answer."""
    schema: Schema = {"type": "array", "items": {"type": "string", "enum": fact_ids(packs)},
                      "description": "Facts the user said they do not know: not asked again."}
    return nullable(schema) if strict else schema


def max_questions_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The question budget."""
    return nullable({"type": "integer", "minimum": 0, "maximum": MAX_QUESTIONS,
                     "description": "Return at most this many questions, best first (1 keeps "
                     "the answer small); null: all."})


def include_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The optional parts of a Diagnosis."""
    values: list[JsonValue] = list(INCLUDE_ALL)
    return nullable({"type": "array", "items": {"type": "string", "enum": values},
                     "description": "Optional parts to return: ruled_out causes, the evidence "
                     "of each cause, inferred facts; left out parts come back empty. [] keeps "
                     "the answer smallest; null: all."})


def cause_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """A cause id of these packs."""
    ids: list[JsonValue] = list(sorted({c for p in packs for c in p.playbook.causes}))
    return {"type": "string", "enum": ids,
            "description": "The cause the user expected, or wants explained (see list_packs)."}


def outcome_cause(packs: Sequence[Pack], strict: bool) -> Schema:
    """The cause whose remediation was applied, or null for the first."""
    return nullable(_with("The cause whose remediation the user applied: one of "
                          "diagnosis.causes[].id; null: the first.", cause_param(packs, strict)))


def fixed_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """Whether it fixed the problem."""
    return {"type": "boolean", "description": "true: the remediation fixed the problem (the "
            "session is closed); false: it did not (the cause is ruled out and the questions "
            "move on to the next hypothesis)."}


def session_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """A session id."""
    return {"type": "string", "description": "The session id start_interview returned."}


def optional_session(packs: Sequence[Pack], strict: bool) -> Schema:
    """A session id, or null."""
    return nullable({"type": "string", "description": "An interview session id: explain on "
                     "its facts (then facts may be empty); null: use facts."})


def report_format(packs: Sequence[Pack], strict: bool) -> Schema:
    """How the report is written."""
    schema: Schema = {"type": "string", "enum": ["markdown", "json"],
                      "description": "markdown: to paste into a ticket; json: the same content "
                      "as data. Default markdown."}
    return nullable(schema) if strict else schema


def message_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The user's first message."""
    return nullable({"type": "string", "description": "The user's description of the problem, "
                     "or a pasted error message: it helps choose the pack."})


def fact_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """The fact a question asked."""
    return {"type": "string", "enum": fact_ids(packs),
            "description": "The fact answered: next_question.fact."}


def value_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """An answer of any fact type (records as a list of objects)."""
    record_items: list[JsonValue] = []
    for fact in sorted({f for p in packs for f, s in p.facts.items() if s.type == "records"}):
        rows = facts_object([p for p in packs if fact in p.facts][:1], strict=strict)
        properties = rows["properties"]
        assert isinstance(properties, dict)
        item = properties[fact]
        assert isinstance(item, dict)
        record_items.append(item["items"])
    branches: list[JsonValue] = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
    if record_items:
        branches.append({"type": "array", "items": {"anyOf": record_items}
                         if len(record_items) > 1 else record_items[0]})
    return nullable({"anyOf": branches, "description": "The answer, typed as "
                     "next_question.type says (datetimes: ISO 8601 or phrases like '3 hours "
                     "ago'); null with unknown: true to skip."})


def skip_param(packs: Sequence[Pack], strict: bool) -> Schema:
    """Whether the user does not know."""
    schema: Schema = {"type": "boolean", "description": "true: the user does not know (the "
                      "question is skipped and not asked again); then value is null."}
    return nullable(schema) if strict else schema


_DIAGNOSE = (
    "Diagnose a data-sync problem from what is known. Returns the causes that hold (in the "
    "order to fix them, with certainty, evidence and remediation in Markdown), causes ruled out, "
    "and the next questions to ask the user, best first. Call again with the answers added to "
    "facts. When pack is null in the result, ask which of pack_choices applies and call again "
    "with pack set. Nothing is kept between calls."
)
_EXPLAIN = (
    "Explain one cause for these facts: HOW it was concluded, or WHY NOT (the user expected "
    "it): which rules could conclude it, which of their conditions the facts contradict, and "
    "which unknown facts could still confirm it."
)

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("diagnose", _DIAGNOSE, (
        Param("pack", optional_pack), Param("facts", facts_param, required=True),
        Param("unknown", unknown_param), Param("now", now_param),
        Param("max_questions", max_questions_param), Param("include", include_param),
    ), Diagnosis),
    ToolSpec("explain", _EXPLAIN, (
        Param("cause", cause_param, required=True), Param("session", optional_session),
        Param("pack", optional_pack), Param("facts", facts_param, required=True),
        Param("now", now_param),
    ), CauseAccount),
    ToolSpec("start_interview", "Start a guided interview kept on the server: from a pack, or "
             "from the user's first message. Returns the session: ask its next_question, then "
             "call answer.", (
                 Param("pack", optional_pack), Param("message", message_param),
                 Param("facts", facts_param), Param("now", now_param),
                 Param("max_questions", max_questions_param), Param("include", include_param),
             ), Session),
    ToolSpec("choose_pack", "Choose the pack of a session that has none yet (its "
             "diagnosis.pack_choices, likely ones first: ask the user which integration it is "
             "about). Returns the session with its first question in that pack.", (
                 Param("session", session_param, required=True),
                 Param("pack", pack_param, required=True),
                 Param("max_questions", max_questions_param), Param("include", include_param),
             ), Session),
    ToolSpec("answer", "Answer the session's question (or skip it with unknown: true). Returns "
             "the session with the next question and the Diagnosis so far.", (
                 Param("session", session_param, required=True),
                 Param("fact", fact_param, required=True), Param("value", value_param),
                 Param("unknown", skip_param), Param("max_questions", max_questions_param),
                 Param("include", include_param),
             ), Session),
    ToolSpec("undo", "Take back the session's last answer or skip.", (
        Param("session", session_param, required=True),
        Param("max_questions", max_questions_param), Param("include", include_param),
    ), Session),
    ToolSpec("outcome", "Say whether the remediation of a cause (by default the first of "
             "diagnosis.causes) fixed the problem, once the user has applied it: fixed true "
             "closes the session (its report says what fixed it; a later answer, undo or "
             "fixed false reopens it); fixed false rules the cause out, and the session asks "
             "the next questions that now matter.", (
                 Param("session", session_param, required=True),
                 Param("fixed", fixed_param, required=True), Param("cause", outcome_cause),
                 Param("max_questions", max_questions_param), Param("include", include_param),
             ), Session),
    ToolSpec("report", "The ticket report of a session, to paste into the support ticket: "
             "the facts and who gave them, the questions asked and their answers, the causes "
             "with their remediation, and what fixed it. format markdown (the default) or "
             "json.", (
                 Param("session", session_param, required=True),
                 Param("format", report_format),
             ), SessionReport),
    ToolSpec("list_packs", "List the packs (playbooks) syncdoctor knows, with their causes.",
             (), PackList),
    ToolSpec("describe_facts", "Describe the facts of one pack: type, allowed values, the "
             "question that asks for each.", (Param("pack", pack_param, required=True),),
             FactCatalogue),
)
"""The tools every door offers, in the order they are listed."""


def input_schema(tool: ToolSpec, packs: Sequence[Pack], *, strict: bool) -> Schema:
    """The tool's arguments as one JSON Schema object."""
    properties: dict[str, JsonValue] = {p.name: p.schema(packs, strict) for p in tool.params}
    required: list[JsonValue] = [p.name for p in tool.params if strict or p.required]
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def output_schema(tool: ToolSpec) -> Schema:
    """The tool's result as JSON Schema, from its pydantic model."""
    schema: Schema = tool.output.model_json_schema()
    return schema


def tool_schemas(
    kb: KnowledgeBase,
    form: SchemaFormat,
    *,
    pack: str | None = None,
    tools: Sequence[ToolSpec] = TOOLS,
) -> list[Schema]:
    """Every tool in one format; ``pack`` narrows the facts (and causes) to one pack.

    Raises:
        PackError: an unknown pack id.
    """
    packs = [kb.pack(pack)] if pack is not None else [kb.packs[p] for p in sorted(kb.packs)]
    out: list[Schema] = []
    for tool in tools:
        if form == "openai":
            out.append({"type": "function", "function": {
                "name": tool.name, "description": tool.description,
                "parameters": input_schema(tool, packs, strict=True), "strict": True}})
        elif form == "anthropic":
            out.append({"name": tool.name, "description": tool.description,
                        "input_schema": input_schema(tool, packs, strict=False)})
        elif form == "mcp":
            out.append({"name": tool.name, "description": tool.description,
                        "inputSchema": input_schema(tool, packs, strict=False),
                        "outputSchema": output_schema(tool)})
        else:
            out.append({"name": tool.name, "description": tool.description,
                        "input": input_schema(tool, packs, strict=False),
                        "output": output_schema(tool)})
    return out
