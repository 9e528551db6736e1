"""One RE2 Set pass per text answers exactly as one search per pattern (kb/patterns.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor.casefile import read_case
from syncdoctor.engine.knowledge import Pack, default_kb
from syncdoctor.kb.patterns import GroupReader, PatternSet, compile_pattern

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HOSTILE = [
    "", " ", "é" * 300, "429" * 500, "A validation exception occurred" * 40,
    "ERROR 401 UNAUTHORIZED token expired", "stale\u00a0object\u2028error", "x\x00y",
]


def _texts() -> list[str]:
    texts = list(HOSTILE)
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        texts.extend(v for v in read_case(path).facts.values() if isinstance(v, str))
    return texts


def _one_by_one(pack: Pack, fact: str, text: str) -> set[int]:
    patterns = [
        *((e.from_, p) for e, p in zip(pack.extractors, pack.source.patterns, strict=True)),
        *((t.fact, compile_pattern(t.pattern)) for t in pack.compiled.regexes),
    ]
    return {n for n, (f, p) in enumerate(patterns) if f == fact and p.search(text) is not None}


@pytest.mark.parametrize("pack_id", sorted(default_kb().packs))
def test_a_set_finds_the_patterns_a_search_each_finds(pack_id: str) -> None:
    pack = default_kb().pack(pack_id)
    facts = {e.from_ for e in pack.extractors} | {t.fact for t in pack.compiled.regexes}
    texts = _texts()
    for fact in sorted(facts):
        for text in texts:  # the first call searches one by one, the others use the Set
            assert pack.scan.matching(fact, text) == _one_by_one(pack, fact, text), (fact, text)


def test_the_case_sensitivity_of_each_pattern_is_kept() -> None:
    scan = PatternSet([
        ("t", compile_pattern("abc"), "abc", False),
        ("t", compile_pattern("ABC", case_sensitive=True), "ABC", True),
        ("u", compile_pattern("abc"), "abc", False),
    ])
    scan.prepare()
    assert scan.matching("t", "xxABCxx") == {0, 1}
    assert scan.matching("t", "xxabcxx") == {0}
    assert scan.matching("u", "ABC") == {2}
    assert scan.matching("other", "abc") == set()


def test_a_set_that_cannot_be_built_falls_back_to_one_search_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re2

    def refuse(self: object) -> None:
        raise re2.error("out of memory")

    monkeypatch.setattr(re2.Set, "Compile", refuse)
    scan = PatternSet([("t", compile_pattern("a+b"), "a+b", False)])
    scan.prepare()
    assert scan.matching("t", "xaab") == {0}
    assert scan.matching("t", "xa") == set()


def test_a_text_an_extractor_sets_is_read_by_the_extractors_after_it_only(
    tmp_path: Path,
) -> None:
    from syncdoctor import diagnose, load_kb
    from syncdoctor.authoring.scaffold import scaffold

    root = tmp_path / "kb"
    scaffold("acme", root)
    (root / "rules" / "acme.test.yaml").unlink()
    facts = root / "facts" / "acme.yaml"
    head = facts.read_text().split("extractors:")[0]
    facts.write_text(head + """\
  error.detail:
    type: text
    ask: What detail does the error give?
extractors:
  - id: acme.detail-before
    from: error.detail
    pattern: boom
    set: {error.kind: other}
  - id: acme.detail
    from: error.message
    pattern: 'detail: (?P<detail>.+)'
    capture: {detail: error.detail}
  - id: acme.detail-after
    from: error.detail
    pattern: time
    set: {error.kind: timeout}
""")
    kb = load_kb([root], bundled=False)
    for _ in range(3):  # the first text of a fact is searched one by one, the next by its Set
        result = diagnose({"error.message": "detail: boom time"}, kb=kb, now="2024-05-01T12:00:00Z")
        assert result.inferred == {"error.detail": "boom time", "error.kind": "timeout"}
    given = diagnose({"error.detail": "boom"}, kb=kb, now="2024-05-01T12:00:00Z")
    assert given.inferred == {"error.kind": "other"}


class _Searched:
    """A pattern seen only through its public methods (no compiled RE2 inside)."""

    def __init__(self, source: str) -> None:
        self.inner = compile_pattern(source)
        self.groupindex = self.inner.groupindex

    def search(self, text: str) -> object:
        return self.inner.search(text)


@pytest.mark.parametrize("pack_id", sorted(default_kb().packs))
def test_groups_read_from_spans_are_the_groups_a_search_gives(pack_id: str) -> None:
    pack = default_kb().pack(pack_id)
    texts = [*_texts(), "café ☕ order #Ωx1 failed: 😀 ref=ñ42", "\u00e9" * 50 + " 401 " + "é"]
    read = 0
    for extractor, pattern in zip(pack.extractors, pack.source.patterns, strict=True):
        reader = GroupReader(pattern, extractor.capture)
        for text in texts:
            match = pattern.search(text)
            expected = None if match is None else {g: match.group(g) for g in extractor.capture}
            assert reader.read(text, text.encode()) == expected
            read += expected is not None and any(v is not None for v in expected.values())
    assert read or not any(e.capture for e in pack.extractors)


def test_groups_of_a_pattern_without_its_re2_are_searched() -> None:
    source = r"(?P<code>\d{3})(?: (?P<word>[a-zé]+))?"
    reader, plain = GroupReader(_Searched(source), ["code", "word"]), compile_pattern(source)
    for text in ("", "error 404 introuvé", "no code", "code 500", "ééé 401 é"):
        match = plain.search(text)
        expected = None if match is None else {g: match.group(g) for g in ("code", "word")}
        assert reader.read(text, text.encode()) == expected
    assert reader.read("ééé 401 é", "ééé 401 é".encode()) == {"code": "401", "word": "é"}
    assert reader.read("code 500", b"code 500") == {"code": "500", "word": None}
