"""Generated pack pages: fresh in the repository, complete, escaped, and in plain words."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape

from syncdoctor import KnowledgeBase, load_kb
from syncdoctor.authoring.docs import (
    GENERATED_MARKER,
    describe_condition,
    render_pack_docs,
    write_docs,
)
from syncdoctor.kb.spec import Condition, FactSpec

from support import REPO

DOCS_DIR = REPO / "docs" / "packs"
STALE = "docs are stale: run `syncdoctor kb docs --out docs/packs`"


@pytest.fixture(scope="module")
def pages(bundled_kb: KnowledgeBase) -> dict[str, str]:
    return render_pack_docs(bundled_kb)


# ---------------------------------------------------------------------------------------------
# the committed pages


def test_committed_docs_are_fresh(pages: dict[str, str]) -> None:
    committed = {p.name for p in DOCS_DIR.glob("*") if p.suffix in (".md", ".html")}
    assert committed == set(pages), f"{STALE} (files differ: {sorted(committed ^ set(pages))})"
    for name, text in pages.items():
        assert (DOCS_DIR / name).read_text(encoding="utf-8") == text, f"{STALE} ({name} differs)"


def test_every_pack_has_both_pages_and_an_index(
    pages: dict[str, str], bundled_kb: KnowledgeBase
) -> None:
    expected = {f"{p}.{ext}" for p in bundled_kb.packs for ext in ("md", "html")}
    assert set(pages) == expected | {"index.md", "index.html"}
    assert list(pages) == sorted(pages)
    for pack_id in bundled_kb.packs:
        assert f"({pack_id}.md)" in pages["index.md"]
        assert f'href="{pack_id}.html"' in pages["index.html"]


def test_generation_is_deterministic(bundled_kb: KnowledgeBase, pages: dict[str, str]) -> None:
    again = render_pack_docs(bundled_kb)
    assert again == pages
    for text in pages.values():
        assert GENERATED_MARKER in text[:300]
        assert text.endswith("\n") and not text.endswith("\n\n")
        assert not re.search(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d", text[:300])  # no timestamp


def test_every_cause_and_rule_appears_in_its_pack_page(
    pages: dict[str, str], bundled_kb: KnowledgeBase
) -> None:
    for pack_id, pack in bundled_kb.packs.items():
        md, page = pages[f"{pack_id}.md"], pages[f"{pack_id}.html"]
        for cause_id, cause in pack.playbook.causes.items():
            assert f"`{cause_id}`" in md, (pack_id, cause_id)
            assert f'id="cause-{cause_id}"' in page, (pack_id, cause_id)
            assert escape(cause.title) in page
        for rule in pack.rules:
            assert f"`{rule.id}`" in md, (pack_id, rule.id)
            assert f'id="rule-{rule.id}"' in page, (pack_id, rule.id)
        for step in pack.playbook.steps:
            assert f'id="step-{step.id}"' in page
        for fact_id, spec in pack.facts.items():
            assert f'id="fact-{fact_id}"' in page, (pack_id, fact_id)
            assert f"### `{fact_id}`" in md
            if spec.ask:
                assert escape(spec.ask) in page


def test_steps_come_in_playbook_order(pages: dict[str, str], bundled_kb: KnowledgeBase) -> None:
    for pack_id, pack in bundled_kb.packs.items():
        page = pages[f"{pack_id}.html"]
        positions = [page.index(f'<section class="step" id="step-{s.id}"') for s in
                     pack.playbook.steps]
        assert positions == sorted(positions)


def test_remediation_is_shown_as_its_template_source(
    pages: dict[str, str], bundled_kb: KnowledgeBase
) -> None:
    pack = bundled_kb.packs["impac"]
    source = pack.playbook.causes["sync_outdated"].remediation.strip("\n")
    assert "{%" in source
    assert source in pages["impac.md"]
    assert escape(source) in pages["impac.html"]


def test_html_is_self_contained(pages: dict[str, str]) -> None:
    for name, text in pages.items():
        if not name.endswith(".html"):
            continue
        lowered = text.lower()
        assert "<script" not in lowered, name
        assert " src=" not in lowered and "<link" not in lowered, name
        assert "@import" not in lowered and "url(" not in lowered, name
        assert "<style>" in lowered, name
        assert text.startswith("<!DOCTYPE html>\n")


# ---------------------------------------------------------------------------------------------
# plain words


def _cond(data: object) -> Condition:
    return Condition.model_validate(data)


FACTS = {
    "sync.status": FactSpec(type="enum", values=("pending", "in_progress", "success")),
    "app.realtime_sync": FactSpec(type="bool"),
    "app.last_update_at": FactSpec(type="datetime"),
    "sync.last_success_at": FactSpec(type="datetime"),
    "fee": FactSpec(type="decimal", unit="%"),
    "error.message": FactSpec(type="text"),
}


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (
            {"all": [{"fact": "sync.status", "in": ["pending", "in_progress"]},
                     {"fact": "app.realtime_sync", "eq": False}]},
            "sync.status is one of pending, in_progress, and app.realtime_sync is false",
        ),
        (
            {"any": [{"fact": "sync.status", "known": False},
                     {"all": [{"fact": "sync.status", "ne": "success"},
                              {"fact": "fee", "ge": 2.5}]}]},
            "sync.status is not known yet, or (sync.status is not success, and fee is at least "
            "2.5 %)",
        ),
        (
            {"fact": "app.last_update_at", "gt_fact": "sync.last_success_at"},
            "app.last_update_at is after sync.last_success_at",
        ),
        ({"fact": "fee", "lt": 3}, "fee is less than 3 %"),
        ({"fact": "sync.last_success_at", "older_than": "1d"},
         "sync.last_success_at is older than 1d"),
        ({"fact": "sync.last_success_at", "newer_than": 90},
         "sync.last_success_at is newer than 90s"),
        ({"not": {"fact": "error.message", "matches": "HTTP 5\\d\\d"}},
         "not (error.message matches the pattern HTTP 5\\d\\d)"),
        ({"fact": "sync.status", "not_in": ["a b", "c,d"]},
         'sync.status is none of "a b", "c,d"'),
        ({"fact": "txn", "any_record": {"all": [{"field": "ui", "eq_field": "api"},
                                                {"field": "hub", "ne_field": "api"}]}},
         "txn has a record where (ui equals api, and hub differs from api)"),
        ({"fact": "app.realtime_sync", "known": True}, "app.realtime_sync is known"),
    ],
)
def test_conditions_read_as_sentences(data: object, sentence: str) -> None:
    assert describe_condition(_cond(data), FACTS) == sentence


# ---------------------------------------------------------------------------------------------
# hostile text


HOSTILE = "<script>alert(1)</script>"


def _write_hostile_kb(root: Path) -> None:
    for section in ("facts", "rules", "playbooks"):
        (root / section).mkdir(parents=True)
    (root / "facts" / "evil.yaml").write_text(f"""\
pack: evil
facts:
  a.flag:
    type: bool
    ask: "Is it {HOSTILE}?"
    help: "Look in <b onmouseover=x>here</b> & there."
  a.kind:
    type: enum
    values: ["x<y", plain]
    value_help: {{"x<y": "{HOSTILE}"}}
""")
    (root / "rules" / "evil.yaml").write_text("""\
pack: evil
rules:
  - id: evil.fires
    step: one
    cause: bad
    certainty: 0.5
    when:
      all:
        - {fact: a.flag, eq: true}
        - {fact: a.kind, eq: "x<y"}
    because: It fires.
""")
    (root / "playbooks" / "evil.yaml").write_text(f"""\
id: evil
title: "Title {HOSTILE}"
systems: ["Sys {HOSTILE}"]
source: "javascript:alert(1)"
steps:
  - {{id: one, title: "Step {HOSTILE}", help: "Help {HOSTILE}"}}
causes:
  bad:
    title: "{HOSTILE}"
    step: one
    summary: "Summary {HOSTILE}"
    remediation: |
      Do </code></pre>{HOSTILE} now.
    escalation:
      contact: "Contact {HOSTILE}"
      send: ["Send {HOSTILE}"]
""")


@pytest.fixture
def hostile_kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    root = tmp_path / "kb"
    _write_hostile_kb(root)
    kb = load_kb([root], bundled=False)
    yield kb
    kb.close()


def test_html_escapes_hostile_values(hostile_kb: KnowledgeBase) -> None:
    pages = render_pack_docs(hostile_kb)
    assert set(pages) == {"evil.md", "evil.html", "index.md", "index.html"}
    for name in ("evil.html", "index.html"):
        page = pages[name]
        assert "<script" not in page.lower(), name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
    page = pages["evil.html"]
    assert "<b onmouseover" not in page
    assert "Do &lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<code>x&lt;y</code>" in page
    # The Markdown keeps the text as written (it is the authors' own Markdown).
    assert f"### Cause `bad`: {HOSTILE}" in pages["evil.md"]


# ---------------------------------------------------------------------------------------------
# writing


def test_write_docs_replaces_only_its_own_pages(bundled_kb: KnowledgeBase, tmp_path: Path) -> None:
    out = tmp_path / "packs"
    out.mkdir()
    (out / "gone.md").write_text(f"<!-- {GENERATED_MARKER} from the knowledge base -->\n")
    (out / "gone.html").write_text(f"<!DOCTYPE html>\n<!-- {GENERATED_MARKER} -->\n")
    (out / "notes.md").write_text("Hand-written notes.\n")
    written = write_docs(bundled_kb, out)
    names = sorted(p.name for p in out.iterdir())
    assert "gone.md" not in names and "gone.html" not in names
    assert "notes.md" in names
    assert sorted(p.name for p in written) == sorted(render_pack_docs(bundled_kb))
    assert [p.name for p in written] == sorted(p.name for p in written)


def test_docs_command_writes_the_pages(tmp_path: Path, pages: dict[str, str]) -> None:
    out = tmp_path / "packs"
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "kb", "docs", "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(Path(line).name for line in done.stdout.splitlines()) == sorted(pages)
    # Not compared byte for byte: other authors may edit the bundled packs meanwhile.
    for name in pages:
        assert GENERATED_MARKER in (out / name).read_text(encoding="utf-8")[:300]


def test_docs_command_reports_a_broken_kb(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    _write_hostile_kb(root)
    (root / "rules" / "evil.yaml").write_text("pack: evil\nrules: [{id: x}]\n")
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "kb", "docs", "--out", str(tmp_path / "o"),
         "--kb", str(root)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode == 2
    assert "KB103" in done.stderr
    assert not (tmp_path / "o").exists()
