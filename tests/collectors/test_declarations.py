"""collectors/<pack>.yaml is checked like the rest of the KB: located errors, no inline secret."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError
from syncdoctor.kb.loader import load_sources

from support import FIXTURES, REPO

GOOD = (FIXTURES / "collect_kb" / "collectors" / "hub.yaml").read_text(encoding="utf-8")


def _kb(tmp_path: Path, collectors: str) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "collect_kb", root)
    (root / "collectors" / "hub.yaml").write_text(collectors, encoding="utf-8")
    return root


def _problems(tmp_path: Path, collectors: str) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_sources([_kb(tmp_path, collectors)], bundled=False)
    return [f"{p.line}:{p.column} {p.code} {p.message}"
            + (f" (did you mean {p.suggestion!r}?)" if p.suggestion else "")
            for p in caught.value.problems]


def test_the_fixture_and_the_bundled_declarations_load() -> None:
    hub = load_sources([FIXTURES / "collect_kb"], bundled=False).packs["hub"]
    assert [c.id for c in hub.collectors] == ["hub.key", "hub.link", "hub.status"]
    assert hub.sources["hub"].concurrency == 1
    impac = load_sources().packs["impac"]
    (collector,) = impac.collectors
    assert collector.parameters() == ["org.group_id"]
    assert set(collector.facts) == {"sync.status", "sync.last_success_at", "sync.failed_at",
                                    "error.message"}
    assert impac.sources["connec"].base_url is None  # the operator points it at their hub


def test_a_token_written_inline_is_refused_where_it_is(tmp_path: Path) -> None:
    text = GOOD.replace("auth: {type: bearer, token_env: TEST_HUB_TOKEN}",
                        "auth: {type: bearer, token: s3cr3t-value}")
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith("5:26 KB121 a credential written inline (auth.token): read it")
    assert "s3cr3t-value" not in problem


@pytest.mark.parametrize(("old", "new", "what"), [
    ("headers: {Accept: application/json}", "headers: {Authorization: Bearer abc123}",
     "a credential header written inline (Authorization)"),
    ("headers: {Accept: application/json}", "headers: {Accept: 'Bearer abc123'}",
     "a credential header written inline (Accept)"),
    ("headers: {Accept: application/json}", "headers: {X-Api-Key: abc123}",
     "a credential header written inline (X-Api-Key)"),
    ("base_url_env: TEST_HUB_URL", "base_url: https://bob:pw@hub.example.com",
     "credentials written in base_url"),
    ("base_url_env: TEST_HUB_URL", "base_url: https://hub.example.com/?api_key=abc",
     "a credential written in base_url's query"),
    ("query: {view: summary}", "query: {access_token: abc123}",
     "a credential written in the query (access_token)"),
    ("    concurrency: 1", "    concurrency: 1\n    password: hunter22",
     "a credential written inline (password)"),
])
def test_every_inline_credential_is_refused(tmp_path: Path, old: str, new: str,
                                            what: str) -> None:
    assert old in GOOD
    problems = _problems(tmp_path, GOOD.replace(old, new))
    assert [p.split(" KB121 ", 1)[1].split(":")[0] for p in problems] == [what]


def test_a_placeholder_fact_from_the_case_is_not_a_credential(tmp_path: Path) -> None:
    text = GOOD.replace("query: {view: summary}", "query: {token: '{group.id}'}")
    assert load_sources([_kb(tmp_path, text)], bundled=False).packs["hub"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("source: hub\n    path: /groups/{group.id}/sync", "source: hbu\n    path: /groups/{group.id}/sync",
     "12:5 KB120 unknown source 'hbu' (did you mean 'hub'?)"),
    ("/groups/{group.id}/sync", "/groups/{group.idd}/sync",
     "13:5 KB104 unknown fact 'group.idd' in a placeholder (did you mean 'group.id'?)"),
    ("/groups/{group.id}/key", "/groups/{api.key}/key",
     "28:5 KB120 'api.key' cannot go into a URL (it is secret)"),
    ("app.linked: $.linked", "app.linkd: $.linked",
     "25:7 KB104 unknown fact 'app.linkd' (did you mean 'app.linked'?)"),
    ("map: {ERROR: failed,", "map: {ERROR: broken,",
     "18:15 KB109 fact 'sync.status': expected one of pending, failed, success; got 'broken'"),
    ("sync.error: $.error.message", "sync.error: error.message",
     "19:19 KB101 a JSON path starts with '$' (e.g. '$.status')"),
    ("app.linked: $.linked", "sync.status: $.linked",
     "16:7 KB120 'sync.status' is collected by 'hub.link' already; one collector per fact"),
])
def test_what_a_collector_names_is_checked_and_located(tmp_path: Path, old: str, new: str,
                                                        expected: str) -> None:
    assert old in GOOD
    problems = _problems(tmp_path, GOOD.replace(old, new))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems


def test_a_path_with_a_query_and_a_source_without_url_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("base_url_env: TEST_HUB_URL", "headers_x: 1").replace(
        "/groups/{group.id}/link", "/groups/{group.id}/link?x=1")
    problems = _problems(tmp_path, text)
    assert any("KB102 unknown key 'headers_x'" in p for p in problems), problems
    assert any("path starts with '/'" in p for p in problems), problems


def test_a_collectors_file_without_its_pack_says_so(tmp_path: Path) -> None:
    root = tmp_path / "lone"
    (root / "collectors").mkdir(parents=True)
    (root / "collectors" / "ghost.yaml").write_text(GOOD.replace("pack: hub", "pack: ghost"),
                                                  encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="KB110 pack 'ghost' has no playbook"):
        load_sources([root], bundled=False)


def test_a_layer_overrides_a_source_by_name(tmp_path: Path) -> None:
    layer = tmp_path / "ours"
    (layer / "collectors").mkdir(parents=True)
    (layer / "collectors" / "impac.yaml").write_text(
        "pack: impac\nsources:\n  connec:\n    base_url: https://hub.example.com\n",
        encoding="utf-8")
    kb = load_sources([layer])
    assert kb.packs["impac"].sources["connec"].base_url == "https://hub.example.com"
    assert any("source 'connec' overridden by" in note for note in kb.overrides)
    # Where facts are fetched is not what the KB means: sessions resume without a warning.
    assert kb.version == load_sources().version


def test_the_schema_for_editors_is_committed() -> None:
    from syncdoctor.authoring.schema import build_schema, schema_text

    committed = (REPO / "schema" / "collectors.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(build_schema("collectors"))
    first = (REPO / "collectors" / "impac.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schema/collectors.schema.json"
