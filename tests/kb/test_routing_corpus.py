"""Choosing the pack from an error text, and the error corpus beside the rules (issue 13, part 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncdoctor import diagnose
from syncdoctor.authoring.testcheck import load_test_file
from syncdoctor.authoring.testing import report_text, run_tests
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.errors import KnowledgeBaseError

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _pack(text: str) -> str | None:
    return diagnose({"error.message": text}, now=NOW).pack


def test_credit_notes_in_a_xero_validation_error_do_not_pull_it_to_connectbooster() -> None:
    text = ("Xero: A validation exception occurred - Credit notes: Amount applied (1,200.00) "
            "cannot exceed the credit note's remaining credit")
    assert _pack(text) == "impac"


def test_a_leading_429_is_not_read_as_a_sage_300_error_number() -> None:
    result = diagnose({"error.message": "429: Too many requests. You have exceeded the Xero API "
                       "minute limit."}, now=NOW)
    assert result.pack == "impac"
    assert result.inferred["sync.refusal"] == "rate_limit"


def test_a_text_that_names_no_integration_lists_the_likely_packs_first_with_their_reading() -> None:
    result = diagnose({"error.message": "Invoice INV-0042 could not be found"}, now=NOW)
    assert result.pack is None
    likely = [c for c in result.pack_choices if c.likely]
    others = [c for c in result.pack_choices if not c.likely]
    assert {c.id for c in likely} == {"connectbooster", "impac"}
    assert result.pack_choices[: len(likely)] == likely, "likely packs first"
    assert [c.id for c in others] == sorted(c.id for c in others)
    booster = next(c for c in likely if c.id == "connectbooster")
    assert booster.reads["error.kind"] == "invoice_not_found"
    assert booster.reads["invoice.number"] == "INV-0042"
    assert [c.id for c in booster.causes] == ["invoice_recreated"]
    assert all(not c.reads and not c.causes for c in others)


def test_words_of_route_weight_zero_do_not_choose_a_pack() -> None:
    # "invoice 1043" is read by ConnectBooster's number pattern, which says nothing about the pack.
    result = diagnose({"error.message": "invoice 1043"}, now=NOW)
    assert result.pack is None
    assert not any(c.likely for c in result.pack_choices)


def test_the_platform_named_once_is_enough_to_choose_impac() -> None:
    assert _pack("connec! job FAILED: NoMethodError: undefined method `id' for nil:NilClass") == "impac"


def test_the_bundled_corpus_passes_and_every_pack_has_25_texts_or_more() -> None:
    report = run_tests(default_kb())
    failing = [t for t in report.corpus if not t.passed]
    assert failing == []
    for pack in default_kb().packs:
        assert sum(1 for t in report.corpus if t.pack == pack) >= 25, pack
    assert "corpus impac:" in report_text(report)


def _corpus_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "impac.test.yaml"
    path.write_text("pack: impac\ncases: []\ncorpus:\n" + body, encoding="utf-8")
    return path


def test_a_corpus_entry_that_reads_otherwise_fails_with_what_differs(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path, """\
  - text: '1020 - Terms Code "F48" is not defined in A/R Terms'
  - text: 'Xero API returned 500'
    extracted: {app.name: QuickBooks}
    causes: [sync_bug]
  - text: 'Connec! Jobs: unable to map Invoice INV-1'
    routes: ask
""")
    report = run_tests(default_kb(), [path])
    failures = [t.failures for t in report.corpus]
    assert failures[0] == ["went to pack 'sage300', not 'impac'"]
    assert "app.name: expected 'QuickBooks', got 'Xero'" in failures[1]
    assert any("expected causes ['sync_bug']" in f for f in failures[1])
    assert failures[2] == ["chose the pack, but the text names no integration (routes: ask)"]
    assert report.totals.failed == 3


def test_a_misspelt_corpus_key_is_a_located_error(tmp_path: Path) -> None:
    path = _corpus_file(tmp_path, "  - text: 'x'\n    routes: ask\n    extractd: {}\n")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_test_file(path)
    message = str(raised.value)
    assert "KB102" in message and ":6:5:" in message and "did you mean 'extracted'" in message
