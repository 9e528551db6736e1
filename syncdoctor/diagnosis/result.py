"""The Diagnosis: what syncdoctor returns, to code, chatbots and the CLI alike."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.types import JsonValue

__all__ = [
    "Cause",
    "CauseAccount",
    "ChoiceCause",
    "CollectedFact",
    "CollectionFailure",
    "ConditionAccount",
    "Diagnosis",
    "Escalation",
    "Evidence",
    "PackChoice",
    "PackVersion",
    "Question",
    "RecordField",
    "RuleAccount",
    "RuledOut",
]

FactKind = Literal["bool", "enum", "text", "integer", "decimal", "datetime", "duration", "records"]
"""The type of a fact, as a question asks for it."""
FieldKind = Literal["bool", "enum", "text", "integer", "decimal", "datetime", "duration"]
"""The type of a field of a record."""


class _Result(BaseModel):
    # Built on first use: Diagnosis builds the models it holds inline, so a command that never
    # validates one of them alone never pays for its own validator.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Evidence(_Result):
    """One rule that fired: why, how sure, and the facts it used."""

    rule: str = Field(
        description="The rule's id; 'agent.not_fixed' when the agent reported that the cause's "
        "remediation did not fix the problem."
    )
    because: str = Field(description="The rule's explanation, rendered with the case's facts.")
    certainty: float = Field(description="The rule's certainty.")
    effect: Literal["supports", "rules_out"] = Field(
        description="'supports': evidence for the cause; 'rules_out': evidence against it."
    )
    facts: dict[str, JsonValue] = Field(
        description="The known facts the rule's conditions read (decimals as text, datetimes "
        "in ISO 8601)."
    )
    record: dict[str, JsonValue] | None = Field(
        default=None, description="The record that matched, for a rule over records."
    )


class Escalation(_Result):
    """Whom to contact, and what to send them, rendered for this case."""

    contact: str = Field(description="Whom to contact.")
    send: list[str] = Field(description="What to gather and send.")


class Cause(_Result):
    """A cause that holds, with the evidence for it and what to do."""

    id: str = Field(description="The cause's id in its playbook.")
    title: str = Field(description="The cause's title.")
    step: str = Field(description="The playbook step the cause belongs to.")
    step_title: str = Field(description="That step's title.")
    certainty: float = Field(description="Combined certainty of every supporting rule, in (0, 1].")
    evidence: list[Evidence] = Field(description="The rules that fired for this cause.")
    remediation: str | None = Field(
        description="Markdown remediation for this case; None if it could not render."
    )
    escalation: Escalation | None = Field(description="Whom to contact, if anyone.")
    follows: list[str] = Field(
        default_factory=list,
        description="Causes held in this diagnosis that this one is a consequence of: it is "
        "listed after them, and its steps are folded into their remediation.",
    )


class RuledOut(_Result):
    """A cause that the facts rule out, and why."""

    id: str = Field(description="The cause's id.")
    title: str = Field(description="The cause's title.")
    reasons: list[Evidence] = Field(description="The rules that ruled it out.")


class RecordField(_Result):
    """One field of the records a question asks for."""

    name: str = Field(description="The field's name in each record.")
    type: FieldKind = Field(description="The field's type.")
    values: list[str] | None = Field(default=None, description="Allowed values, for an enum.")


class Question(_Result):
    """A fact still worth asking for, typed so that a chatbot can ask the user."""

    fact: str = Field(description="The fact id to supply in the next call.")
    ask: str = Field(description="The question to ask.")
    help: str | None = Field(description="Where to find the answer.")
    type: FactKind = Field(description="The fact's type: what kind of answer to send.")
    values: list[str] | None = Field(description="Allowed values, for an enum.")
    unit: str | None = Field(default=None, description="The unit a number is in: '%' means 0 "
                             "to 100 (send 12 for twelve percent, not 0.12).")
    minimum: float | None = Field(default=None, description="The smallest number allowed.")
    maximum: float | None = Field(default=None, description="The largest number allowed.")
    fields: list[RecordField] | None = Field(
        default=None, description="The fields of each record, for a records fact."
    )
    step: str = Field(description="The earliest playbook step the answer serves.")
    causes: list[str] = Field(description="The live causes the answer bears on.")
    why: str = Field(description="Why the question is asked.")


class PackVersion(_Result):
    """A pack and its version."""

    id: str = Field(description="The pack id.")
    version: str = Field(description="The pack version (semantic versioning).")


class ChoiceCause(_Result):
    """A cause that would hold if this pack were chosen: what the message says in its terms."""

    id: str = Field(description="The cause id, in that pack.")
    title: str = Field(description="The cause's title.")
    certainty: float = Field(description="How sure that pack would be, on these facts alone.")


class PackChoice(_Result):
    """A pack the facts could belong to, offered when the pack must be chosen first."""

    id: str = Field(description="The pack id: send it back as pack=.")
    title: str = Field(description="The problem the pack's playbook diagnoses.")
    likely: bool = Field(
        default=False,
        description="The pack's error patterns recognise the message. Likely packs come first, "
        "the surest first; the others follow by id.",
    )
    reads: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="For a likely pack: what it works out from the facts given, as its own "
        "facts (the message's classification, values it extracted).",
    )
    causes: list[ChoiceCause] = Field(
        default_factory=list,
        description="For a likely pack: the causes that would hold there on these facts, "
        "ranked as a Diagnosis ranks them.",
    )


class CollectedFact(_Result):
    """A fact a collector fetched: its value, and where it came from and when."""

    value: JsonValue = Field(description="The value, typed like any fact (*** for a secret).")
    collector: str = Field(description="The collector's id (collectors/<pack>.yaml).")
    source: str = Field(
        description="The request it came from: method and URL (never a credential)."
    )
    at: str = Field(description="When the response came, ISO 8601 UTC.")


class CollectionFailure(_Result):
    """A collector that could not give facts the diagnosis needed: they stay unknown, to ask."""

    collector: str = Field(description="The collector's id.")
    facts: list[str] = Field(description="The facts it would have given, still unknown.")
    reason: str = Field(
        description="Why: a timeout, a status after retries, malformed JSON, a missing field, "
        "a fact its URL needs still unknown, no base URL or token configured."
    )


class Diagnosis(_Result):
    """The result of one diagnosis."""

    pack: str | None = Field(description="The pack used; None when a pack must be chosen first.")
    pack_title: str | None = Field(description="The pack's title.")
    pack_choices: list[PackChoice] = Field(
        description="When pack is None: the packs the facts could belong to; ask which one and "
        "call again with pack=<id>. Empty once a pack is chosen."
    )
    causes: list[Cause] = Field(description=(
        "Causes that hold, in the order to fix them: by certainty (highest first), then "
        "playbook step, then id; a consequence right after its root."))
    ruled_out: list[RuledOut] = Field(description="Causes the facts rule out, with why.")
    questions: list[Question] = Field(description="Questions still worth asking, best first.")
    inferred: dict[str, JsonValue] = Field(
        description="Facts the engine worked out: from error messages and from rules."
    )
    unknown: list[str] = Field(
        description="Facts the user cannot answer (\"I don't know\"), sorted: never asked again; "
        "no rule fires on their value. One that an error message states is worked out instead "
        "(listed in inferred, not here)."
    )
    rules_fired: list[str] = Field(
        description="Every rule that fired, cause and derived-fact rules alike, by id."
    )
    warnings: list[str] = Field(description="Things the caller should know, e.g. unused facts.")
    kb_version: str = Field(description="Content hash of the knowledge base used.")
    packs: list[PackVersion] = Field(description="The pack versions that produced this result.")
    now: str = Field(description="The clock the diagnosis used (ISO 8601, UTC).")
    collected: dict[str, CollectedFact] = Field(
        default_factory=dict,
        description="Facts fetched by collectors (diagnose(collect=True), --collect), with "
        "where each came from and when; empty when nothing was collected.",
    )
    not_collected: list[CollectionFailure] = Field(
        default_factory=list,
        description="Collectors that could not give facts the diagnosis needed, with the "
        "reason: those facts stay unknown and are asked instead.",
    )

    @property
    def cause_ids(self) -> list[str]:
        """The ids of the causes, in order."""
        return [cause.id for cause in self.causes]

    def folded_into(self, cause: Cause) -> Cause | None:
        """The held cause whose remediation already holds this cause's steps, if any.

        A consequence's steps are folded into its root's remediation, after "Then, for what
        follows from it": a report showing the root in full points to them there rather than
        printing them twice. The root of a chain of consequences is the first of the chain.
        """
        position = {held.id: number for number, held in enumerate(self.causes)}
        if cause.remediation is None or cause.id not in position:
            return None
        root: Cause | None = None
        # Each step goes to a cause listed earlier, as ranking places them: a Diagnosis read
        # back from JSON with a cycle, or a root listed after its consequence, folds nothing.
        while cause.follows:
            above = position.get(cause.follows[0])
            if above is None or above >= position[cause.id]:
                break
            if self.causes[above].remediation is None:
                break
            root = cause = self.causes[above]
        return root


class ConditionAccount(_Result):
    """One top-level condition of a rule, and what the case's facts make of it."""

    condition: str = Field(description="The condition in words.")
    state: Literal["true", "false", "undecided"] = Field(
        description="'true': the rule fired; 'false': the facts contradict it; 'undecided': "
        "neither shown (it waits on an unknown fact, a record or a worked-out fact)."
    )
    unknown_facts: list[str] = Field(description="The facts it reads that are still unknown.")


class RuleAccount(_Result):
    """One rule that concludes about the cause: whether it fired, and which condition stopped it."""

    rule: str = Field(description="The rule's id.")
    effect: Literal["supports", "rules_out"] = Field(
        description="'supports': it would confirm the cause; 'rules_out': it would exclude it."
    )
    certainty: float = Field(description="The rule's certainty.")
    state: Literal["fired", "refuted", "open"] = Field(
        description="'fired': all its conditions hold; 'refuted': a condition is false, it "
        "cannot fire for these facts; 'open': it could still fire once more is known."
    )
    conditions: list[ConditionAccount] = Field(description="Its top-level conditions.")


class CauseAccount(_Result):
    """HOW a cause was concluded, or WHY NOT: the answer to "why not the cause I expected?"."""

    pack: str = Field(description="The pack the cause belongs to.")
    cause: str = Field(description="The cause's id.")
    title: str = Field(description="The cause's title.")
    step: str = Field(description="The playbook step the cause belongs to.")
    status: Literal["holds", "ruled_out", "possible", "unsupported"] = Field(
        description="'holds': it is among the causes; 'ruled_out': a rule excludes it; "
        "'possible': not shown yet, some rule could still confirm it; 'unsupported': every "
        "rule that could confirm it has a false condition."
    )
    certainty: float | None = Field(description="Its combined certainty, when it holds.")
    summary: str = Field(description="The answer in one or two sentences.")
    evidence: list[Evidence] = Field(description="HOW: the rules that fired for it.")
    against: list[Evidence] = Field(description="The rules that ruled it out.")
    rules: list[RuleAccount] = Field(
        description="Every rule that concludes about the cause, supporting ones first."
    )
    questions: list[Question] = Field(
        description="Questions whose answers bear on this cause, best first."
    )
