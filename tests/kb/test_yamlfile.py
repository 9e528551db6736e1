from __future__ import annotations

import datetime
import itertools
import os
import pathlib
import random
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import yaml

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb import yamlevents
from syncdoctor.kb.yamlfile import (
    MAX_ALIAS_VALUES,
    MAX_BYTES,
    MAX_DEPTH,
    Located,
    load_yaml_file,
    load_yaml_text,
)

# A guard against hangs, not a speed target (bench/ measures speed): the refusals take
# milliseconds alone, but a CI machine shared with other jobs can be many times slower.
HANG_GUARD_SECONDS = 15.0


def doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@contextmanager
def fails_fast(code: str) -> Iterator[list[Problem]]:
    """Expect a KnowledgeBaseError with ``code``, a real line, and no hang."""
    found: list[Problem] = []
    start = time.perf_counter()
    with pytest.raises(KnowledgeBaseError) as info:
        yield found
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD_SECONDS, f"took {elapsed:.2f}s"
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.code == code, problem.render()
    assert problem.line > 0
    assert problem.column > 0
    assert problem.source_line is not None
    found.append(problem)


def fail(text: str, code: str) -> Problem:
    with fails_fast(code) as found:
        load_yaml_text(text, "kb.yaml")
    return found[0]


def where(problem: Problem) -> tuple[int, int]:
    return (problem.line, problem.column)


# --------------------------------------------------------------------------------------------
# data and marks

RULES = doc(
    """
    pack: impac
    rules:
      - id: app.down
        when:
          all:
            - fact: sync.status
              equals: failed
            - {fact: http.status, in: [500, 503]}
      - id: second
        "quoted key": 'x'
    """
)


def test_marks_point_at_keys_and_items() -> None:
    located = load_yaml_text(RULES, "rules/impac.yaml")
    assert located.file == "rules/impac.yaml"
    marks = located.marks
    assert marks[()] == (1, 1)
    assert marks[("pack",)] == (1, 1)
    assert marks[("rules",)] == (2, 1)
    assert marks[("rules", 0)] == (3, 5)
    assert marks[("rules", 0, "id")] == (3, 5)
    assert marks[("rules", 0, "when")] == (4, 5)
    assert marks[("rules", 0, "when", "all")] == (5, 7)
    assert marks[("rules", 0, "when", "all", 0)] == (6, 11)
    assert marks[("rules", 0, "when", "all", 0, "equals")] == (7, 11)
    assert marks[("rules", 0, "when", "all", 1)] == (8, 11)
    assert marks[("rules", 0, "when", "all", 1, "fact")] == (8, 12)
    assert marks[("rules", 0, "when", "all", 1, "in")] == (8, 31)
    assert marks[("rules", 0, "when", "all", 1, "in", 0)] == (8, 36)
    assert marks[("rules", 0, "when", "all", 1, "in", 1)] == (8, 41)
    assert marks[("rules", 1)] == (9, 5)
    assert marks[("rules", 1, "quoted key")] == (10, 5)
    assert located.lines[3] == "    when:"


def test_locate_falls_back_to_nearest_ancestor() -> None:
    located = load_yaml_text(RULES, "r.yaml")
    assert located.locate(["rules", 0, "when"]) == (4, 5)
    assert located.locate(("rules", 0, "when", "any", 3)) == (4, 5)
    assert located.locate(("nope",)) == (1, 1)
    assert load_yaml_text("", "e.yaml").locate(("a", 1)) == (1, 1)


def test_problem_is_filled_from_the_path() -> None:
    located = load_yaml_text(RULES, "r.yaml")
    problem = located.problem("KB104", "unknown fact", ["rules", 0, "when"], suggestion="x")
    assert problem.file == "r.yaml"
    assert (problem.line, problem.column) == (4, 5)
    assert problem.source_line == "    when:"
    assert problem.path == ("rules", 0, "when")
    assert problem.suggestion == "x"
    assert problem.severity == "error"
    assert "r.yaml:4:5: KB104 unknown fact (at rules[0].when)" in problem.render()
    warning = located.problem("KB200", "odd", ("pack",), severity="warning")
    assert warning.severity == "warning"


def test_marks_with_crlf_bom_and_wide_characters() -> None:
    located = load_yaml_text("\ufeffa: 1\r\nb:\r\n  - é\r\n  - 😀: x\r\n", "w.yaml")
    assert located.data == {"a": 1, "b": ["é", {"😀": "x"}]}
    assert located.marks[("a",)] == (1, 1)
    assert located.marks[("b", 1)] == (4, 5)
    assert located.marks[("b", 1, "😀")] == (4, 5)
    assert located.lines[0] == "a: 1"


def test_alias_shares_data_and_locates_at_the_alias() -> None:
    located = load_yaml_text("base: &b {x: 1, y: [2]}\ncopy: *b\n", "a.yaml")
    assert located.data == {"base": {"x": 1, "y": [2]}, "copy": {"x": 1, "y": [2]}}
    assert located.data["copy"] is located.data["base"]
    assert located.marks[("copy",)] == (2, 1)
    assert ("copy", "x") not in located.marks
    assert located.locate(("copy", "y", 0)) == (2, 1)


REPRESENTATIVE = doc(
    """
    # a comment
    name: sync doctor
    version: 3
    ratio: 0.25
    big: 1_000
    octal: 0o17
    hexa: 0x1F
    sexagesimal: 1:30
    exp: 6.02e+23
    negative: -7
    enabled: yes
    disabled: Off
    truthy: true
    nothing: ~
    empty:
    nullword: null
    day: 2024-02-29
    moment: 2024-03-01T10:20:30Z
    spaced: 2024-03-01 10:20:30.5 +02:00
    quoted_number: "12"
    single: 'it''s'
    folded: >
      one
      two
    literal: |
      keep
        indent
    tags: [a, b, 3, 4.5, true, null]
    nested:
      - id: first
        limits: {low: 1, high: 2.5}
        items:
          - [1, 2]
          - []
          - {}
      - id: second
        when: 2023-12-31
    123: integer key
    explicit: !!str 42
    typed: !!int "7"
    """
)


YAML_1_1_ONLY = {
    "big": "1_000", "sexagesimal": "1:30", "enabled": "yes", "disabled": "Off", "octal": 15
}
"""What YAML 1.1 (safe_load) reads as numbers or booleans and the YAML 1.2 core schema as text."""


def test_same_data_as_safe_load_but_by_yaml_1_2_core_rules() -> None:
    located = load_yaml_text(REPRESENTATIVE, "rep.yaml")
    expected = {**yaml.safe_load(REPRESENTATIVE), **YAML_1_1_ONLY}
    assert located.data == expected
    assert list(located.data) == list(expected)
    assert isinstance(located.data["day"], datetime.date)
    assert isinstance(located.data["moment"], datetime.datetime)
    assert located.data["moment"].tzinfo is not None
    assert located.data["truthy"] is True
    assert located.data["version"] == 3 and isinstance(located.data["version"], int)
    assert located.data[123] == "integer key"
    assert located.data["explicit"] == "42"


def test_empty_and_comment_only_files_give_none() -> None:
    for text in ("", "# only a comment\n", "---\n", "\n\n"):
        located = load_yaml_text(text, "e.yaml")
        assert located.data is None


def test_scalar_root_and_exact_depth_limit() -> None:
    assert load_yaml_text("just text", "s.yaml").data == "just text"
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    data = load_yaml_text(nested, "d.yaml").data
    for _ in range(MAX_DEPTH - 1):
        data = data[0]
    assert data == []


def test_load_yaml_file_reads_and_names(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("a:\n  b: [1, 2]\n", encoding="utf-8")
    located = load_yaml_file(path, "facts/facts.yaml")
    assert isinstance(located, Located)
    assert located.file == "facts/facts.yaml"
    assert located.data == {"a": {"b": [1, 2]}}
    assert located.marks[("a", "b", 1)] == (2, 10)
    assert load_yaml_file(path).file == str(path)


# --------------------------------------------------------------------------------------------
# each error code


def test_kb001_syntax_error_uses_pyyaml_problem_and_one_based_mark() -> None:
    problem = fail("a: 1\nb: c: d\n", "KB001")
    assert where(problem) == (2, 5)
    # libyaml ends "in this context", the pure-Python scanner "here".
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed")
    assert problem.source_line == "b: c: d"


def test_kb001_bad_indentation() -> None:
    problem = fail("a:\n  b: 1\n c: 2\n", "KB001")
    assert where(problem) == (3, 2)
    assert problem.message.startswith("YAML syntax error: ")


def test_kb001_missing_colon() -> None:
    problem = fail("a: 1\nb\nc: 2\n", "KB001")
    assert problem.message == ("YAML syntax error: could not find expected ':' (a key without "
                               "':', or a value that runs onto this line)")
    assert problem.line == 3


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a: "unclosed\n', 2),
        ("a: [1, 2\n", 2),
        ("a: {b: 1\n", 2),
        ("a:\n  - 'x\n", 3),
    ],
)
def test_kb001_truncated_files(text: str, line: int) -> None:
    problem = fail(text, "KB001")
    assert problem.line == line
    assert problem.source_line == ""


def test_kb001_more_than_one_document() -> None:
    problem = fail("a: 1\n---\nb: 2\n", "KB001")
    assert problem.message == "only one YAML document per file"
    assert where(problem) == (2, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!timestamp 2024-02-30\n", "'2024-02-30' is not a valid timestamp"),
        ("a: !!int twelve\n", "'twelve' is not a valid int"),
        ("a: !!bool maybe\n", "'maybe' is not a valid bool"),
        ("a: !!float 1_000.5\n", "'1_000.5' is not a valid float"),
    ],
)
def test_kb001_unreadable_scalars(text: str, message: str) -> None:
    problem = fail(text, "KB001")
    assert where(problem) == (1, 4)
    assert message in problem.message


def test_a_plain_date_that_does_not_exist_is_text() -> None:
    """As YAML 1.2's core schema reads it: what reads the field then says what is wrong."""
    assert load_yaml_text("a: 2024-02-30\nb: 2024-02-29\n", "f.yaml").data == {
        "a": "2024-02-30", "b": datetime.date(2024, 2, 29)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8:20", "8:20"),  # YAML 1.1: 500 (base 60)
        ("1_000", "1_000"),  # YAML 1.1: 1000
        ("0b101", "0b101"),  # YAML 1.1: 5
        ("0777", 777),  # YAML 1.1: 511 (octal)
        ("yes", "yes"),  # YAML 1.1: True
        ("off", "off"),  # YAML 1.1: False
        ("=", "="),  # YAML 1.1: the 'value' tag
        ("0o17", 15),
        ("0x1F", 31),
        ("1e3", 1000.0),  # YAML 1.1: text
        ("-.INF", float("-inf")),
        ("True", True),
        ("Null", None),
    ],
)
def test_plain_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    data = load_yaml_text(f"a: {text}\n", "core.yaml").data
    assert data == {"a": value}
    assert type(data["a"]) is type(value)


def test_huge_integer_literal_is_a_short_kb001() -> None:
    problem = fail("a: " + "1" * 5000 + "\n", "KB001")
    assert "is not a valid int" in problem.message
    assert len(problem.message) < 400


def test_kb001_undefined_alias_and_duplicate_anchor() -> None:
    assert where(fail("a: 1\nb: *nope\n", "KB001")) == (2, 4)
    problem = fail("a: &x 1\nb: &x 2\n", "KB001")
    assert where(problem) == (2, 4)
    assert "first at line 1" in problem.message


def test_kb002_nesting_too_deep() -> None:
    problem = fail("a:\n  " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "KB002")
    assert problem.message == "nesting deeper than 64 levels"
    assert where(problem) == (2, MAX_DEPTH + 2)


def test_kb002_nesting_through_an_alias() -> None:
    inner = "[" * 10 + "]" * 10
    outer = "[" * (MAX_DEPTH - 5)
    problem = fail(f"a: &deep {inner}\nb: {outer}*deep{']' * (MAX_DEPTH - 5)}\n", "KB002")
    assert problem.line == 2
    assert "through alias '*deep'" in problem.message


@pytest.mark.parametrize(
    ("text", "tag", "column"),
    [
        ("x: !custom 1\n", "!custom", 4),
        ("x: !!binary aGk=\n", "!!binary", 4),
        ("x: !!set {a: null}\n", "!!set", 4),
        ("- ok\n- !!omap [a: 1]\n", "!!omap", 3),
        ("x: !!map scalar\n", "!!map", 4),
        ("x: !!str [1]\n", "!!str", 4),
    ],
)
def test_kb003_tags(text: str, tag: str, column: int) -> None:
    problem = fail(text, "KB003")
    assert problem.message.startswith(f"tag '{tag}' is not allowed")
    assert problem.column == column


def test_kb004_duplicate_key_points_at_second_occurrence() -> None:
    problem = fail("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\n", "KB004")
    assert problem.message == "duplicate key 'c' (first at line 3)"
    assert where(problem) == (5, 3)
    assert problem.path == ("b", "c")
    assert problem.source_line == "  c: 4"


def test_kb004_duplicate_in_flow_mapping() -> None:
    problem = fail("m: {x: 1, y: 2, x: 3}\n", "KB004")
    assert where(problem) == (1, 17)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("a: 1\n[x]: 2\n", (2, 1)),
        ("? {k: v}\n: 2\n", (1, 3)),
        ("true: 1\n", (1, 1)),
        ("False: push\n", (1, 1)),
        ("~: 1\n", (1, 1)),
        ("a:\n  1.5: x\n", (2, 3)),
        ("2024-01-01: x\n", (1, 1)),
        ("base: {a: 1}\nother:\n  <<: {b: 2}\n", (3, 3)),
    ],
)
def test_kb005_bad_keys(text: str, position: tuple[int, int]) -> None:
    assert where(fail(text, "KB005")) == position


def test_kb005_merge_key_message() -> None:
    problem = fail("base: &b {a: 1}\nother:\n  <<: *b\n", "KB005")
    assert "merge keys" in problem.message


def test_kb005_int_and_str_keys_are_fine() -> None:
    assert load_yaml_text("1: a\n'1': b\n", "k.yaml").data == {1: "a", "1": "b"}


def test_kb006_alias_bomb() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghij"
    for before, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    problem = fail("\n".join(lines) + "\n", "KB006")
    assert problem.message == "alias expansion too large (YAML alias bomb?)"
    assert problem.line <= 7
    assert problem.details["limit"] == str(MAX_ALIAS_VALUES)


def test_kb006_recursive_alias() -> None:
    problem = fail("a: &x\n  - 1\n  - *x\n", "KB006")
    assert where(problem) == (3, 5)


def test_many_small_aliases_under_budget_are_fine() -> None:
    text = "base: &b {x: 1}\nlist:\n" + "".join("  - *b\n" for _ in range(1000))
    data = load_yaml_text(text, "ok.yaml").data
    assert len(data["list"]) == 1000


def test_kb007_text_too_large() -> None:
    problem = fail("a: " + "x" * MAX_BYTES + "\n", "KB007")
    assert problem.message == f"file is {MAX_BYTES + 4} bytes; the limit is 2 MiB"
    assert where(problem) == (1, 1)


def test_kb007_counts_utf8_bytes_not_characters() -> None:
    text = "é" * (MAX_BYTES // 2 + 1)
    fail(text, "KB007")


def test_kb007_deep_and_wide_document() -> None:
    count = (MAX_BYTES - 200) // 2
    text = "[" * (MAX_DEPTH - 1) + "1," * count + "1" + "]" * (MAX_DEPTH - 1)
    problem = fail(text, "KB007")
    assert "too many deeply nested values" in problem.message


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("a: 1\nb: x\x00y\n", (2, 5)),
        ("a: \x07\n", (1, 4)),
        ("a: 1\n  \x1b[31m\n", (2, 3)),
        ("a: \ud800\n", (1, 4)),
    ],
)
def test_kb008_control_characters_in_text(text: str, position: tuple[int, int]) -> None:
    problem = fail(text, "KB008")
    assert where(problem) == position
    assert problem.message.startswith("not a UTF-8 text file")


# --------------------------------------------------------------------------------------------
# files and hostile input


def fail_file(path: pathlib.Path, code: str) -> Problem:
    with fails_fast(code) as found:
        load_yaml_file(path, path.name)
    return found[0]


def test_kb007_ten_megabyte_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as handle:
        for index in range(10 * 1024 * 1024 // 15 + 1):
            handle.write(f"k{index:09d}: xx\n")
    size = path.stat().st_size
    assert size >= 10 * 1024 * 1024
    problem = fail_file(path, "KB007")
    assert problem.message == f"file is {size} bytes; the limit is 2 MiB"
    assert problem.source_line == "k000000000: xx"


def test_kb008_invalid_utf8_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nname: café\n".encode("latin-1"))
    problem = fail_file(path, "KB008")
    assert where(problem) == (2, 10)
    assert problem.message.startswith("not a UTF-8 text file")
    assert problem.details["offset"] == "14"


def test_kb008_utf16_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("a: 1\n".encode("utf-16"))
    fail_file(path, "KB008")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kb008_random_binary_junk(tmp_path: pathlib.Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    fail_file(path, "KB008")


def test_kb008_urandom_junk_as_text() -> None:
    text = os.urandom(64 * 1024).decode("latin-1")
    with pytest.raises(KnowledgeBaseError) as info:
        start = time.perf_counter()
        load_yaml_text(text, "junk.yaml")
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    # Latin-1 junk nearly always holds a control character; if not, it is a YAML error.
    assert info.value.code in {"KB008", "KB001"}
    assert info.value.line > 0


def test_utf8_bom_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\nb: [x\n")
    problem = fail_file(path, "KB001")
    assert problem.line == 3


def test_kb009_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        load_yaml_file(tmp_path / "absent.yaml", "absent.yaml")
    assert info.value.code == "KB009"
    assert info.value.file == "absent.yaml"


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_maps(depth: int) -> str:
    return "a: {" * depth + "}" * depth


HOSTILE: dict[str, tuple[Callable[[], str], str]] = {
    "lists 10000 deep": (lambda: nested_lists(10_000), "KB002"),
    "maps 10000 deep": (lambda: nested_maps(10_000), "KB002"),
    "block maps 1000 deep": (
        lambda: "".join(" " * i + "a:\n" for i in range(1000)),
        "KB002",
    ),
    "block lists 1000 deep": (
        lambda: "".join(" " * (2 * i) + "-\n" for i in range(1000)),
        "KB002",
    ),
    "unclosed 10000 deep": (lambda: "[" * 10_000, "KB002"),
    "truncated": (lambda: "rules:\n  - id: x\n    when: {fact: 'a", "KB001"),
    "os.system apply": (lambda: '!!python/object/apply:os.system ["echo hi"]\n', "KB003"),
    "os.system apply in a key's value": (
        lambda: 'a:\n  b: !!python/object/apply:os.system ["echo hi"]\n',
        "KB003",
    ),
    "os.system name": (lambda: "x: !!python/name:os.system\n", "KB003"),
    "python object new": (lambda: "x: !!python/object/new:dict {}\n", "KB003"),
    "10 MB of text": (lambda: "a: b\n" * (10 * 1024 * 1024 // 5), "KB007"),
    "NUL bytes": (lambda: "\x00" * 1000, "KB008"),
}


LOADERS = {
    "python": yaml.SafeLoader,
    "libyaml": getattr(yaml, "CSafeLoader", None),
}


@pytest.fixture(params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the pure-Python parser and through libyaml's, whichever trips first."""
    chosen = LOADERS[request.param]
    if chosen is None:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yamlevents, "_LOADER", chosen)
    return str(request.param)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input(name: str, loader: str) -> None:
    make, code = HOSTILE[name]
    problem = fail(make(), code)
    assert problem.file == "kb.yaml"


def test_billion_laughs_nine_levels_of_nine() -> None:
    lines = ["a0: &a0 lol"]
    for level in range(1, 10):
        items = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{items}]")
    fail("\n".join(lines) + "\n", "KB006")


def test_python_tags_never_execute(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "ran"
    text = f'!!python/object/apply:os.system ["touch {marker}"]\n'
    fail(text, "KB003")
    assert not marker.exists()


def test_error_render_shows_caret() -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        load_yaml_text("a: 1\nb:\n  c: 2\n  c: 3\n", "dup.yaml")
    rendered = info.value.render()
    assert rendered.splitlines() == [
        "dup.yaml:4:3: KB004 duplicate key 'c' (first at line 3) (at b.c)",
        "    4 |   c: 3",
        "      |   ^",
    ]


@pytest.mark.parametrize("depth", [65, 1001, 10_000])
def test_too_deep_is_located_at_the_65th_level_whichever_parser_runs(
    depth: int, loader: str
) -> None:
    # libyaml's own limit (1,000) and its read-ahead must not move the error: the bad file is
    # parsed again by the pure-Python parser, which stops at our limit.
    problem = fail("[" * depth + "]" * depth, "KB002")
    assert where(problem) == (1, MAX_DEPTH + 1)


@pytest.mark.parametrize(
    ("text", "path", "where"),
    [
        ("a: 1\n", ("a",), (1, 4)),
        ("a:    hello  # note\n", ("a",), (1, 7)),
        ("m: {type: boolean, ask: x}\n", ("m", "type"), (1, 11)),
        ("m: {type: boolean, ask: x}\n", ("m", "ask"), (1, 25)),
        ("'a b': 1\n", ("a b",), (1, 8)),
        ('{"a":1}\n', ("a",), (1, 6)),
        ("a:  # the list\n\n  # more\n  - 1\n", ("a",), (4, 3)),
        ("a: |\n  text\n", ("a",), (1, 4)),
        ("l: [1, 2]\n", ("l", 1), None),  # an item is marked at its value already
        ("a:\n", ("a",), None),
    ],
)
def test_where_a_value_starts(text: str, path: tuple[str | int, ...], where: tuple[int, int] | None) -> None:
    assert load_yaml_text(text, "f.yaml").value_at(path) == where
