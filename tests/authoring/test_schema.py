"""JSON Schemas: generated from the models, committed fresh, documented, and they agree with the
loader on the bundled files and on broken ones."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field, ValidationError

from syncdoctor.authoring.schema import (
    DRAFT,
    KINDS,
    SchemaDescriptionError,
    build_schema,
    build_schemas,
    missing_descriptions,
    schema_filename,
    schema_text,
    write_schemas,
)
from syncdoctor.kb.spec import FactsFile, PlaybookFile, RulesFile
from syncdoctor.kb.yamlfile import load_yaml_file

from support import REPO

SCHEMA_DIR = REPO / "schema"
REGENERATE = "run `syncdoctor kb schema --out schema` and commit the result"


def _kind_of(path: Path) -> str:
    if path.name.endswith((".test.yaml", ".test.yml")):
        return "tests"
    return {"facts": "facts", "rules": "rules", "playbooks": "playbook"}[path.parent.name]


BUNDLED = sorted(
    path
    for section in ("facts", "rules", "playbooks")
    for pattern in ("*.yaml", "*.yml")
    for path in (REPO / section).glob(pattern)
)


def _jsonable(value: Any) -> Any:
    """YAML data as JSON would hold it: dates and datetimes become ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _data(path: Path) -> Any:
    return _jsonable(load_yaml_file(path, path.name).data)


def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = build_schema(kind)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


# ---------------------------------------------------------------------------------------------
# generation


def test_schemas_are_draft_2020_12_with_id_and_title() -> None:
    schemas = build_schemas()
    assert tuple(schemas) == KINDS
    for kind, schema in schemas.items():
        assert schema["$schema"] == DRAFT
        assert schema["$id"].endswith(kind)
        assert schema["title"]
        assert schema["additionalProperties"] is False
        jsonschema.Draft202012Validator.check_schema(schema)
        assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator


def test_generation_is_deterministic() -> None:
    assert [schema_text(s) for s in build_schemas().values()] == [
        schema_text(s) for s in build_schemas().values()
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_is_fresh(kind: str) -> None:
    path = SCHEMA_DIR / schema_filename(kind)
    assert path.is_file(), f"schema/{path.name} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == schema_text(build_schema(kind)), (
        f"schema/{path.name} is stale (the models changed): {REGENERATE}"
    )


def test_no_stray_committed_schema() -> None:
    committed = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    assert committed == {schema_filename(kind) for kind in KINDS}


def test_write_schemas_writes_the_committed_text(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "out")
    assert [p.name for p in written] == [schema_filename(kind) for kind in KINDS]
    for path in written:
        assert path.read_bytes() == (SCHEMA_DIR / path.name).read_bytes()
    assert [p.name for p in write_schemas(tmp_path / "one", ["rules"])] == ["rules.schema.json"]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema kind"):
        build_schema("playbooks")


# ---------------------------------------------------------------------------------------------
# descriptions


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(kind: str) -> None:
    assert missing_descriptions(build_schema(kind)) == []


def test_a_property_without_description_is_caught() -> None:
    class Inner(BaseModel):
        documented: int = Field(description="Has one.")
        bare: str

    class Outer(BaseModel):
        inner: Inner = Field(description="Nested.")
        naked: list[Inner]

    missing = missing_descriptions(Outer.model_json_schema())
    assert missing == ["/$defs/Inner/properties/bare", "/properties/naked"]
    error = SchemaDescriptionError("demo", missing)
    assert "/$defs/Inner/properties/bare" in str(error) and "2 properties" in str(error)


# ---------------------------------------------------------------------------------------------
# the bundled files, and broken ones


def test_every_bundled_kind_is_covered() -> None:
    assert {_kind_of(p) for p in BUNDLED} >= {"facts", "rules", "playbook"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_file_validates_against_its_schema(path: Path) -> None:
    kind = _kind_of(path)
    errors = sorted(_validator(kind).iter_errors(_data(path)), key=lambda e: list(e.path))
    shown = "\n".join(f"  at {'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors)
    assert not errors, f"{path.relative_to(REPO)} does not match {kind}.schema.json:\n{shown}"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_file_points_editors_at_its_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expected = f"../schema/{schema_filename(_kind_of(path))}"
    assert first == f"# yaml-language-server: $schema={expected}"
    assert (path.parent / expected).resolve() == (SCHEMA_DIR / Path(expected).name).resolve()


def test_yaml_datetimes_need_converting() -> None:
    # A test case's clock is a YAML timestamp: JSON Schema only knows strings.
    tests_files = [p for p in BUNDLED if _kind_of(p) == "tests"]
    if not tests_files:
        pytest.skip("no rules/*.test.yaml bundled")
    raw = load_yaml_file(tests_files[0], tests_files[0].name).data
    assert isinstance(raw["cases"][0]["now"], dt.datetime)
    assert not _validator("tests").is_valid(raw)
    assert _validator("tests").is_valid(_jsonable(raw))


def _facts_doc() -> dict[str, Any]:
    data = _data(REPO / "facts" / "impac.yaml")
    assert isinstance(data, dict)
    return data


def _rules_doc() -> dict[str, Any]:
    data = _data(REPO / "rules" / "impac.yaml")
    assert isinstance(data, dict)
    return data


def _playbook_doc() -> dict[str, Any]:
    data = _data(REPO / "playbooks" / "impac.yaml")
    assert isinstance(data, dict)
    return data


def _first_fact(doc: dict[str, Any]) -> dict[str, Any]:
    spec = next(iter(doc["facts"].values()))
    assert isinstance(spec, dict)
    return spec


BROKEN: list[tuple[str, str, Any]] = [
    ("facts", "unknown top-level key", lambda d: d.update(extra=1)),
    ("facts", "misspelt fact key", lambda d: _first_fact(d).update(quesiton="?")),
    ("facts", "unknown fact type", lambda d: _first_fact(d).update(type="string")),
    ("facts", "cost out of range", lambda d: _first_fact(d).update(cost=11)),
    ("facts", "cost of the wrong type", lambda d: _first_fact(d).update(cost="high")),
    ("facts", "fact id not an identifier", lambda d: d["facts"].update({"Sync Status": {
        "type": "bool"}})),
    ("facts", "missing pack", lambda d: d.pop("pack")),
    ("rules", "certainty above 1", lambda d: d["rules"][0].update(certainty=1.5)),
    ("rules", "unknown effect", lambda d: d["rules"][0].update(effect="refutes")),
    ("rules", "rule without when", lambda d: d["rules"][0].pop("when")),
    ("rules", "unknown operator", lambda d: d["rules"][0].update(when={"fact": "a", "eqq": 1})),
    ("rules", "bad id", lambda d: d["rules"][0].update(id="Not An Id")),
    ("rules", "rules not a list", lambda d: d.update(rules={"a": 1})),
    ("playbook", "bad version", lambda d: d.update(version="1.0")),
    ("playbook", "missing steps", lambda d: d.pop("steps")),
    ("playbook", "cause without remediation",
     lambda d: next(iter(d["causes"].values())).pop("remediation")),
    ("playbook", "unknown escalation key", lambda d: next(
        c for c in d["causes"].values() if "escalation" in c)["escalation"].update(phone="1")),
]

_DOCS = {"facts": _facts_doc, "rules": _rules_doc, "playbook": _playbook_doc}
_MODELS: dict[str, type[BaseModel]] = {
    "facts": FactsFile, "rules": RulesFile, "playbook": PlaybookFile,
}


@pytest.mark.parametrize(("kind", "what", "breaks"), BROKEN, ids=[b[1] for b in BROKEN])
def test_broken_document_fails_validation(kind: str, what: str, breaks: Any) -> None:
    doc = copy.deepcopy(_DOCS[kind]())
    validator = _validator(kind)
    assert validator.is_valid(doc)
    breaks(doc)
    assert not validator.is_valid(doc), f"the {kind} schema accepts a document with a {what}"
    # The loader's models refuse it too: the schema never disagrees with them on these.
    with pytest.raises(ValidationError):
        _MODELS[kind].model_validate(doc)


def test_broken_test_file_fails_validation() -> None:
    validator = _validator("tests")
    good = {"pack": "demo", "cases": [
        {"name": "n", "now": "2024-05-01T12:00:00+00:00", "facts": {}, "expect": {}},
    ]}
    assert validator.is_valid(good)
    for broken in (
        {"pack": "demo"},
        {**good, "cases": [{**good["cases"][0], "expect": {"causes": "x"}}]},
        {**good, "cases": [{**good["cases"][0], "expect": {"fireds": ["r"]}}]},
        {**good, "cases": [{"name": "n", "facts": {}, "expect": {}}]},
        {**good, "defaults": {"facts": {}}, "cases": [{"name": "n", "expect": {}}]},
        {**good, "defaults": {"clock": "2024-05-01T12:00:00+00:00"}},
    ):
        assert not validator.is_valid(broken), broken


def test_a_default_clock_lets_cases_leave_theirs_out() -> None:
    validator = _validator("tests")
    doc = {"pack": "demo", "defaults": {"now": "2024-05-01T12:00:00+00:00", "facts": {"a": 1}},
           "cases": [{"name": "n", "expect": {}}]}
    assert validator.is_valid(doc)


# ---------------------------------------------------------------------------------------------
# the command


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncdoctor", "kb", "schema", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def test_schema_command_prints_and_writes(tmp_path: Path) -> None:
    one = _run("--kind", "rules")
    assert one.returncode == 0, one.stderr
    assert one.stdout == schema_text(build_schema("rules"))

    every = _run()
    assert every.returncode == 0, every.stderr
    assert json.loads(every.stdout) == build_schemas()

    wrote = _run("--out", str(tmp_path / "schema"))
    assert wrote.returncode == 0, wrote.stderr
    paths = [Path(line) for line in wrote.stdout.splitlines()]
    assert [p.name for p in paths] == [schema_filename(kind) for kind in KINDS]
    assert all(p.read_bytes() == (SCHEMA_DIR / p.name).read_bytes() for p in paths)

    bad = _run("--kind", "nope")
    assert bad.returncode == 2
    assert "nope" in bad.stderr and "--kind" in bad.stderr


# ---------------------------------------------------------------------------------------------
# the schemas syncdoctor ships: in the wheel, and where kb new-pack points


def test_a_fresh_scaffold_points_at_schemas_that_exist_and_accept_it(tmp_path: Path) -> None:
    from syncdoctor.authoring.scaffold import scaffold

    written = scaffold("acme", tmp_path / "kb")
    assert [p.parent.name for p in written[:6]] == [
        "facts", "rules", "rules", "playbooks", "acme", "acme"]  # two examples: case files
    # The schemas travel with the KB: a checkout on another machine still finds them.
    assert sorted(p.name for p in written[6:]) == sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
    assert scaffold("other", tmp_path / "kb")[6:] == []  # kept, not written twice
    for path in written[:4]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(f"{prefix}../schema/"), first
        target = path.parent / first.removeprefix(prefix)
        assert target.resolve().is_relative_to(tmp_path / "kb")
        assert target.is_file(), f"{path.name}: {target} does not exist"
        kind = _kind_of(path)
        assert target.name == schema_filename(kind)
        # The file it names is the committed schema, and the new file fits it.
        assert target.read_text(encoding="utf-8") == (SCHEMA_DIR / target.name).read_text(
            encoding="utf-8")
        schema = json.loads(target.read_text(encoding="utf-8"))
        errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(
            _data(path))]
        assert errors == [], f"{path.name}: {errors}"


def test_the_wheel_ships_the_committed_schemas_beside_the_kb(tmp_path: Path) -> None:
    # One source of truth: schema/ in the repository, copied into the wheel as built.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check", str(REPO), "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("syncdoctor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {n.removeprefix("syncdoctor/_kb/schema/"): archive.read(n)
                   for n in names if n.startswith("syncdoctor/_kb/schema/")}
        committed = {p.name: p.read_bytes() for p in SCHEMA_DIR.glob("*.schema.json")}
        assert shipped == committed
        # Every bundled file's $schema line resolves inside the installed package too.
        for name in sorted(n for n in names if n.startswith("syncdoctor/_kb/")
                           and n.endswith((".yaml", ".yml"))):
            first = archive.read(name).decode().splitlines()[0]
            target = first.partition("$schema=")[2]
            assert target.startswith("../schema/"), f"{name}: {first}"
            folder = name.rsplit("/", 2)[0]
            assert f"{folder}/schema/{target.removeprefix('../schema/')}" in names, name
