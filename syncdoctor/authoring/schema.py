"""JSON Schemas of the knowledge-base files, generated from their pydantic models.

The models in :mod:`syncdoctor.engine.schema` (and the test-file model in
:mod:`syncdoctor.authoring.testfile`) are the single source of truth: nothing here is written by
hand. Editors use the generated schemas for completion, hover help and checking as you type;
the committed copies live in ``schema/`` and are regenerated with
``syncdoctor kb schema --out schema``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from syncdoctor.kb.collector_spec import CollectorsFile
from syncdoctor.kb.loader import bundled_kb_dir
from syncdoctor.kb.spec import FactsFile, PlaybookFile, RulesFile

__all__ = [
    "DRAFT",
    "KINDS",
    "SchemaDescriptionError",
    "build_schema",
    "build_schemas",
    "missing_descriptions",
    "schema_filename",
    "schema_text",
    "shipped_schema_dir",
    "write_schemas",
]

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of the generated schemas."""

ID_PREFIX: Final = "urn:syncdoctor:schema:"
"""Each schema's ``$id`` is this prefix followed by its kind."""

KINDS: Final[tuple[str, ...]] = ("facts", "rules", "playbook", "tests", "collectors")
"""The kinds of knowledge-base file, in the order schemas are listed."""

_TITLES: Final[dict[str, str]] = {
    "facts": "syncdoctor facts file (facts/<pack>.yaml)",
    "rules": "syncdoctor rules file (rules/<pack>.yaml)",
    "playbook": "syncdoctor playbook file (playbooks/<pack>.yaml)",
    "tests": "syncdoctor rule tests file (rules/<pack>.test.yaml)",
    "collectors": "syncdoctor collectors file (collectors/<pack>.yaml)",
}


class SchemaDescriptionError(ValueError):
    """A generated schema has properties without a ``description`` (a model field lacks one)."""

    def __init__(self, kind: str, pointers: list[str]) -> None:
        self.kind = kind
        self.pointers = pointers
        listed = "\n".join(f"  {pointer}" for pointer in pointers)
        super().__init__(
            f"the {kind} schema has {len(pointers)} propert"
            f"{'y' if len(pointers) == 1 else 'ies'} without a description; give the model "
            f"field a Field(description=...):\n{listed}"
        )


class _KbJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, with mappings keyed by a constrained string made exact.

    Pydantic writes ``dict[Identifier, X]`` as ``patternProperties``, which lets a key that does
    not match the pattern through with any value at all. The loader rejects such a key, so the
    schema says what the loader does: every key must match (``propertyNames``) and every value is
    an ``X`` (``additionalProperties``).
    """

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        """The JSON Schema of a mapping, with its key pattern moved into ``propertyNames``."""
        json_schema = super().dict_schema(schema)
        patterns = json_schema.get("patternProperties")
        if (
            isinstance(patterns, dict)
            and len(patterns) == 1
            and "additionalProperties" not in json_schema
        ):
            ((pattern, values),) = patterns.items()
            del json_schema["patternProperties"]
            names = dict(json_schema.get("propertyNames") or {})
            names["pattern"] = pattern
            json_schema["propertyNames"] = names
            json_schema["additionalProperties"] = values
        return json_schema


def _model(kind: str) -> type[BaseModel]:
    """The pydantic model of one kind of file."""
    if kind == "facts":
        return FactsFile
    if kind == "rules":
        return RulesFile
    if kind == "playbook":
        return PlaybookFile
    if kind == "tests":
        from syncdoctor.authoring.testfile import TestFile

        return TestFile
    if kind == "collectors":
        return CollectorsFile
    raise ValueError(f"unknown schema kind {kind!r}: use one of {', '.join(KINDS)}")


def schema_filename(kind: str) -> str:
    """The file name of one kind's schema, e.g. ``facts.schema.json``."""
    if kind not in KINDS:
        raise ValueError(f"unknown schema kind {kind!r}: use one of {', '.join(KINDS)}")
    return f"{kind}.schema.json"


# A JSON Schema node is any JSON value: this is the JSON boundary.
def _walk(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:  # noqa: ANN401
    """Every (JSON pointer, value) below a JSON value, the value itself first."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from _walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def missing_descriptions(schema: dict[str, Any]) -> list[str]:
    """JSON pointers of every property, in any object schema, that has no ``description``.

    Args:
        schema: a JSON Schema, ``$defs`` included.

    Returns:
        The pointers (``/$defs/FactSpec/properties/ask``), sorted; empty when all is well.
    """
    missing: list[str] = []
    for pointer, node in _walk(schema, ""):
        if not isinstance(node, dict):
            continue
        properties = node.get("properties")
        # A "properties" key holding a mapping of schemas is a keyword, unless it is itself a
        # property name (then its parent is a "properties" mapping, which is handled there).
        if not isinstance(properties, dict) or pointer.endswith("/properties"):
            continue
        for name, prop in properties.items():
            description = prop.get("description") if isinstance(prop, dict) else None
            if not isinstance(description, str) or not description.strip():
                escaped = str(name).replace("~", "~0").replace("/", "~1")
                missing.append(f"{pointer}/properties/{escaped}")
    return sorted(missing)


def build_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of knowledge-base file, generated from its model.

    Args:
        kind: one of :data:`KINDS`.

    Raises:
        ValueError: an unknown kind.
        SchemaDescriptionError: a property of the schema has no description.
    """
    model = _model(kind)
    generated = model.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_KbJsonSchema
    )
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"{ID_PREFIX}{kind}",
        **generated,
        "title": _TITLES[kind],
    }
    missing = missing_descriptions(schema)
    if missing:
        raise SchemaDescriptionError(kind, missing)
    return schema


def shipped_schema_dir() -> Path:
    """The committed schemas, as syncdoctor ships them: ``schema/`` beside the bundled KB.

    In a checkout that is the repository's ``schema/``; the wheel carries the same folder as
    ``syncdoctor/_kb/schema`` (pyproject.toml), so the bundled files' ``../schema/`` lines
    resolve either way.
    """
    return bundled_kb_dir() / "schema"


def build_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of every kind of knowledge-base file, keyed by kind.

    Raises:
        SchemaDescriptionError: a property of a schema has no description.
    """
    return {kind: build_schema(kind) for kind in KINDS}


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the committed file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path, kinds: Iterable[str] | None = None) -> list[Path]:
    """Write ``<kind>.schema.json`` files into a folder, creating it if needed.

    Args:
        directory: where to write.
        kinds: which schemas (default: all of :data:`KINDS`).

    Returns:
        The files written, in the order of ``kinds``.
    """
    selected = tuple(kinds) if kinds is not None else KINDS
    schemas = {kind: build_schema(kind) for kind in selected}
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, schema in schemas.items():
        path = directory / schema_filename(kind)
        path.write_text(schema_text(schema), encoding="utf-8", newline="\n")
        written.append(path)
    return written
