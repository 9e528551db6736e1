"""Tool schemas: OpenAI strict mode holds everywhere, and the schemas admit the real examples."""

from __future__ import annotations

import json
from datetime import date, datetime

import jsonschema
import pytest
from typer.testing import CliRunner

from syncdoctor.casefile import read_case
from syncdoctor.cli import app as cli_app
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.tools import call_tool, diagnose
from syncdoctor.tools.schemas import FORMATS, TOOLS, tool_schemas

from support import REPO

PACKS = [None, *sorted(default_kb().packs)]
# What OpenAI's strict mode (Structured Outputs) accepts; anything else is refused.
STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "anyOf", "items",
    "description", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "$defs", "$ref",
}
STRICT_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6",
                  "uuid"}


def strict_problems(schema: object, path: str = "$", depth: int = 0) -> list[str]:
    """Every place where the schema breaks OpenAI's strict-mode rules."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return [f"{path}: not a schema object"]
    problems += [f"{path}: keyword {k!r}" for k in schema if k not in STRICT_KEYWORDS]
    if "format" in schema and schema["format"] not in STRICT_FORMATS:
        problems.append(f"{path}: format {schema['format']!r}")
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "object" in kinds:
        if depth > 10:
            problems.append(f"{path}: nested deeper than 10 levels")
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties is not false")
        properties = schema.get("properties", {})
        if sorted(schema.get("required", [])) != sorted(properties):
            problems.append(f"{path}: not every property is required")
        for name, sub in properties.items():
            problems += strict_problems(sub, f"{path}.{name}", depth + 1)
    if "items" in schema:
        problems += strict_problems(schema["items"], f"{path}[]", depth + 1)
    for index, branch in enumerate(schema.get("anyOf", [])):
        problems += strict_problems(branch, f"{path}|{index}", depth)
    if "enum" in schema and "null" in kinds and None not in schema["enum"]:
        problems.append(f"{path}: nullable enum without null")
    return problems


def enum_values(schema: object) -> int:
    if isinstance(schema, dict):
        own = len(schema.get("enum", [])) if isinstance(schema.get("enum"), list) else 0
        return own + sum(enum_values(v) for k, v in schema.items() if k != "enum")
    if isinstance(schema, list):
        return sum(enum_values(v) for v in schema)
    return 0


@pytest.mark.parametrize("pack", PACKS, ids=str)
def test_openai_schemas_are_valid_in_strict_mode(pack: str | None) -> None:
    for tool in tool_schemas(default_kb(), "openai", pack=pack):
        function = tool["function"]
        assert tool["type"] == "function" and function["strict"] is True
        parameters = function["parameters"]
        assert parameters["type"] == "object" and "anyOf" not in parameters
        assert strict_problems(parameters) == [], function["name"]
        assert enum_values(parameters) <= 1000
        jsonschema.Draft202012Validator.check_schema(parameters)


def test_a_broken_schema_is_caught_by_the_strict_check() -> None:
    # The checker itself must be able to fail.
    assert strict_problems({"type": "object", "properties": {"a": {"type": "string"}},
                            "required": [], "additionalProperties": False})
    assert strict_problems({"type": "object", "properties": {}, "required": []})
    assert strict_problems({"type": "string", "default": "x"})


def _filled(value: object, schema: dict) -> object:
    """Records with every field present (null when absent), as strict mode makes a model send."""
    if isinstance(value, list) and "items" in schema:
        fields = schema["items"]["properties"]
        return [{name: row.get(name) for name in fields} for row in value]
    return value


def _iso(value: object) -> str:
    assert isinstance(value, datetime | date)
    return value.isoformat()


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*/*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_example_fits_the_diagnose_schema_of_its_pack(path) -> None:
    case = read_case(path)
    facts = json.loads(json.dumps(case.facts, default=_iso))
    pack = case.pack or path.parent.name
    schemas = {t["function"]["name"]: t["function"]["parameters"]
               for t in tool_schemas(default_kb(), "openai", pack=pack)}
    strict = schemas["diagnose"]
    typed = strict["properties"]["facts"]["properties"]
    every_fact = {f: _filled(facts.get(f), typed[f]) for f in typed}
    call = {"pack": pack, "facts": every_fact, "unknown": None, "now": None,
            "max_questions": None, "include": None}
    jsonschema.Draft202012Validator(strict, format_checker=jsonschema.FormatChecker()).validate(
        call)
    # What a strict-mode model sends (every fact, nulls included) means what the case means.
    as_sent = call_tool("diagnose", {**call, "now": json.loads(json.dumps(case.now, default=_iso))})
    assert as_sent == diagnose(case.facts, pack=pack, now=case.now, unknown=case.unknown)
    loose = {t["name"]: t["input_schema"] for t in tool_schemas(default_kb(), "anthropic")}
    jsonschema.Draft202012Validator(loose["diagnose"]).validate({"pack": pack, "facts": facts})


def test_a_wrong_value_is_refused_by_the_typed_facts() -> None:
    schema = next(t["input_schema"] for t in tool_schemas(default_kb(), "anthropic", pack="impac")
                  if t["name"] == "diagnose")
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"facts": {"sync.status": "failed"}})
    assert not validator.is_valid({"facts": {"sync.status": "broken"}})
    assert not validator.is_valid({"facts": {"sync.stauts": "failed"}})
    assert not validator.is_valid({"facts": {"app.linked": "yes please"}})


def test_facts_carry_the_question_and_help_for_the_model() -> None:
    kb = default_kb()
    tool = tool_schemas(kb, "anthropic", pack="impac")[0]
    linked = tool["input_schema"]["properties"]["facts"]["properties"]["app.linked"]
    spec = kb.packs["impac"].facts["app.linked"]
    assert spec.ask in linked["description"] and spec.help in linked["description"]
    assert linked["type"] == ["boolean", "null"]


@pytest.mark.parametrize("form", FORMATS)
def test_every_format_lists_every_tool_and_prints_from_the_cli(form: str) -> None:
    printed = CliRunner().invoke(cli_app, ["tools", "--format", form, "--pack", "sage300"])
    assert printed.exit_code == 0, printed.output
    listed = json.loads(printed.stdout)
    names = [t["function"]["name"] if form == "openai" else t["name"] for t in listed]
    assert names == [t.name for t in TOOLS]
    if form in ("mcp", "json-schema"):
        output = listed[0]["outputSchema" if form == "mcp" else "output"]
        assert output["title"] == "Diagnosis"


def test_an_unknown_pack_is_a_clean_cli_error() -> None:
    printed = CliRunner().invoke(cli_app, ["tools", "--pack", "impak"])
    assert printed.exit_code == 2 and "did you mean 'impac'" in printed.output
