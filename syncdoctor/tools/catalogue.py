"""What the engine knows, as results: the packs, and each pack's fact catalogue."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.diagnosis.result import FactKind, RecordField
from syncdoctor.engine.knowledge import KnowledgeBase, Pack

__all__ = ["CauseSummary", "FactCatalogue", "FactDescription", "PackList", "PackSummary",
           "catalogue_of", "pack_list"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CauseSummary(_Result):
    """A cause a pack can conclude."""

    id: str = Field(description="The cause id (for explain).")
    title: str = Field(description="The cause's title.")
    step: str = Field(description="The playbook step it belongs to.")


class PackSummary(_Result):
    """One pack: the playbook it diagnoses."""

    id: str = Field(description="The pack id: send it as pack=.")
    title: str = Field(description="The problem the playbook diagnoses.")
    version: str = Field(description="The pack version.")
    rules: int = Field(description="How many rules it has.")
    causes: list[CauseSummary] = Field(description="The causes it can conclude, in playbook order.")


class PackList(_Result):
    """Every pack of the knowledge base."""

    kb_version: str = Field(description="Content hash of the knowledge base.")
    packs: list[PackSummary] = Field(description="The packs, by id.")


class FactDescription(_Result):
    """One fact a caller may supply."""

    id: str = Field(description="The fact id.")
    type: FactKind = Field(description="The fact's type.")
    ask: str | None = Field(description="The question that asks for it.")
    help: str | None = Field(description="Where to find the answer.")
    values: list[str] | None = Field(description="Allowed values, for an enum.")
    value_help: dict[str, str] = Field(description="What each enum value means.")
    unit: str | None = Field(description="The unit of a number.")
    minimum: float | None = Field(description="Smallest allowed number.")
    maximum: float | None = Field(description="Largest allowed number.")
    fields: list[RecordField] | None = Field(description="The fields of each record.")
    derived: bool = Field(description="Whether rules usually work it out (it may still be given).")


class FactCatalogue(_Result):
    """The facts of one pack."""

    pack: str = Field(description="The pack id.")
    title: str = Field(description="The pack's title.")
    facts: list[FactDescription] = Field(description="Its facts, by id.")


def pack_list(kb: KnowledgeBase) -> PackList:
    """Every pack, with its causes in playbook order."""
    packs = []
    for pack_id in sorted(kb.packs):
        pack = kb.packs[pack_id]
        causes = sorted(pack.playbook.causes.items(),
                        key=lambda item: pack.index.cause_rank[item[0]])
        packs.append(PackSummary(
            id=pack_id, title=pack.playbook.title, version=pack.version, rules=len(pack.rules),
            causes=[CauseSummary(id=c, title=s.title, step=s.step) for c, s in causes],
        ))
    return PackList(kb_version=kb.version, packs=packs)


def catalogue_of(pack: Pack) -> FactCatalogue:
    """The pack's facts, typed, with their questions and help."""
    facts = []
    for fact_id in sorted(pack.facts):
        spec = pack.facts[fact_id]
        fields = pack.index.record_fields.get(fact_id)
        facts.append(FactDescription(
            id=fact_id, type=spec.type, ask=spec.ask, help=spec.help,
            values=list(spec.values) if spec.values else None,
            value_help=dict(spec.value_help), unit=spec.unit, minimum=spec.minimum,
            maximum=spec.maximum, derived=spec.derived,
            fields=None if fields is None else [
                RecordField.model_validate({"name": f.name, "type": f.type,
                                            "values": list(f.values) if f.values else None})
                for f in fields
            ],
        ))
    return FactCatalogue(pack=pack.id, title=pack.playbook.title, facts=facts)
