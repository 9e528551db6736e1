"""The compiled-KB cache on disk: same knowledge base, never trusted blindly, safe to share."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from syncdoctor import diagnose, load_kb
from syncdoctor.casefile import read_case
from syncdoctor.engine import codec, kbcache
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.kb import loader as loader_module
from syncdoctor.kb.templates import Renderer

from support import FIXTURES, REPO


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SYNCDOCTOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("SYNCDOCTOR_NO_CACHE", raising=False)
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.kb.json") if not p.name.startswith(".tmp-"))


def no_file_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the KB was loaded from its files, not from the cache")

    monkeypatch.setattr(loader_module, "load_sources", refuse)


def same_kb(a: KnowledgeBase, b: KnowledgeBase) -> None:
    assert a.version == b.version and a.overrides == b.overrides and a.layers == b.layers
    assert a.packs.keys() == b.packs.keys()
    for pack_id, pack in a.packs.items():
        other = b.packs[pack_id].source
        source = pack.source
        assert source.playbook == other.playbook
        assert source.facts == other.facts
        assert source.rules == other.rules
        assert source.extractors == other.extractors
        assert source.index == other.index
        assert pack.compiled == b.packs[pack_id].compiled
        assert [p.pattern for p in source.patterns] == [p.pattern for p in other.patterns]
        for kind in ("because", "remediation", "contact"):
            mine, theirs = getattr(source.templates, kind), getattr(other.templates, kind)
            assert {k: (r.source, r.facts) for k, r in mine.items()} == {
                k: (r.source, r.facts) for k, r in theirs.items()}
        for rule_id, origin in source.origins.rules.items():
            cached = other.origins.rules[rule_id]
            assert (cached.file, cached.line, cached.path) == (origin.file, origin.line,
                                                                origin.path)


def test_a_cached_kb_is_the_same_kb_and_diagnoses_the_same(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_kb(cache=True)
    assert len(entries(cache)) == 1
    no_file_loading(monkeypatch)
    cached = load_kb(cache=True)
    same_kb(fresh, cached)
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        case = read_case(path)
        expected = diagnose(case.facts, pack=case.pack, kb=fresh, now=case.now)
        got = diagnose(case.facts, pack=case.pack, kb=cached, now=case.now)
        assert got.model_dump_json() == expected.model_dump_json(), path.name
    fresh.close()
    cached.close()


def test_the_entry_is_private_json_with_an_hmac(cache: Path) -> None:
    load_kb(cache=True).close()
    (entry,) = entries(cache)
    mac, _, body = entry.read_bytes().partition(b"\n")
    assert len(mac) == 64
    data = json.loads(body)
    assert data["format"] == kbcache.FORMAT and entry.name.startswith(data["key"])
    assert all(name.split(":")[0] in codec.ALLOWED_MODULES for name in data["classes"])
    if os.name == "posix":
        assert (cache / "hmac.key").stat().st_mode & 0o077 == 0
        assert entry.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "foreign key", "junk"])
def test_a_corrupt_or_foreign_entry_is_ignored_and_rebuilt(
    cache: Path, damage: str
) -> None:
    expected = load_kb(cache=True)
    (entry,) = entries(cache)
    good = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "flip":
        entry.write_bytes(good[:-100] + bytes([good[-100] ^ 1]) + good[-99:])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "foreign key":  # an entry made by another user or machine
        (cache / "hmac.key").unlink()
        kbcache.write("x" * 32, "v", [], {}, [])  # makes a new key
        (cache / ("x" * 32 + ".kb.json")).unlink()
    else:
        entry.write_bytes(b"\x00\xff" * 1000)
    reloaded = load_kb(cache=True)
    same_kb(expected, reloaded)
    assert kbcache.read(entry.name.removesuffix(".kb.json")) is not None  # rewritten whole
    expected.close()
    reloaded.close()


def test_an_authentic_entry_naming_a_class_outside_the_allow_list_is_refused(
    cache: Path,
) -> None:
    """Even with a valid HMAC, decoding builds only the format's own classes."""
    files = [(FIXTURES / "demo_kb" / "playbooks" / "demo.yaml", "demo.yaml")]
    decoder = codec.Decoder(files, ["os:system", "builtins:eval"])
    for hostile in ({"$c": 0, "v": {"command": "true"}}, {"$m": 1, "v": {}, "set": []},
                    {"$nope": 1}, {"$c": 7, "v": {}}):
        with pytest.raises(codec.CacheFormatError):
            decoder.decode(hostile)


def test_an_entry_from_a_changed_kb_is_never_used(cache: Path, tmp_path: Path) -> None:
    layer = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", layer)
    before = load_kb([layer], bundled=False, cache=True)
    rules = next((layer / "rules").glob("*.yaml"))
    rules.write_text(rules.read_text().replace("certainty: 0.", "certainty: 0.0", 1))
    after = load_kb([layer], bundled=False, cache=True)
    assert len(entries(cache)) == 2
    assert before.version != after.version
    assert load_kb([layer], bundled=False, cache=True).version == after.version
    before.close()
    after.close()


def test_no_cache_neither_reads_nor_writes(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_kb(cache=False).close()
    assert not cache.exists() or not entries(cache)
    monkeypatch.setenv("SYNCDOCTOR_NO_CACHE", "1")
    load_kb().close()
    assert not cache.exists() or not entries(cache)


def test_a_key_file_others_can_read_disables_the_cache(cache: Path) -> None:
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    load_kb(cache=True).close()
    (entry,) = entries(cache)
    (cache / "hmac.key").chmod(0o644)
    assert kbcache.read(entry.name.removesuffix(".kb.json")) is None
    assert kbcache.write("y" * 32, "v", [], {}, []) is False
    load_kb(cache=True).close()  # loads from the files, without an error


def test_an_unwritable_cache_folder_only_costs_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SYNCDOCTOR_CACHE_DIR", str(blocker / "cache"))
    kb = load_kb([FIXTURES / "demo_kb"], bundled=False, cache=True)
    assert "demo" in kb.packs
    kb.close()


def test_concurrent_writers_never_leave_half_a_file(cache: Path) -> None:
    payload = {"p": {"$j": ["x" * 1000] * 2000}}
    seen: list[object] = []
    stop = threading.Event()

    def writer() -> None:
        for _ in range(10):
            assert kbcache.write("z" * 32, "v", [], payload, [])

    def reader() -> None:
        while not stop.is_set():
            entry = kbcache.read("z" * 32)
            if entry is not None:
                seen.append(entry.packs)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer) for _ in range(4)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert seen and all(packs == payload for packs in seen)
    assert not list(cache.glob(".tmp-*"))


def test_a_cached_template_is_checked_again_before_it_renders() -> None:
    hostile = Renderer.checked("{{ facts.__class__ }}", frozenset())
    with pytest.raises(SecurityError):
        hostile.render({"facts": {}})
    assert Renderer.checked("plain text ", frozenset()).render({}) == "plain text"
    quoted = Renderer.checked("{{ facts['a.b'] }}!", frozenset({"a.b"}))
    assert quoted.render({"facts": {"a.b": 5}}) == "5!"


def test_cli_cache_clear_and_no_cache(cache: Path) -> None:
    env = {**os.environ, "SYNCDOCTOR_CACHE_DIR": str(cache)}
    env.pop("SYNCDOCTOR_NO_CACHE", None)
    demo = REPO / "examples" / "impac" / "sync-failed-app-api.yaml"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "syncdoctor", *args], capture_output=True,
                              text=True, env=env, timeout=120, check=False)

    done = run("--no-cache", "diagnose", str(demo))
    assert done.returncode == 0, done.stderr
    assert not cache.exists() or not entries(cache)
    first, second = run("diagnose", str(demo)), run("diagnose", str(demo))
    assert first.stdout == second.stdout == done.stdout
    assert len(entries(cache)) == 1
    cleared = run("cache", "clear")
    assert cleared.returncode == 0
    assert cleared.stdout.strip() == f"removed 1 cached knowledge base from {cache}"
    assert not entries(cache) and not (cache / "hmac.key").exists()
    assert run("cache", "path").stdout.strip() == str(cache)


def test_a_kb_compiled_without_registration_checks_but_cannot_diagnose(cache: Path) -> None:
    from syncdoctor import EngineError

    kb = load_kb([FIXTURES / "demo_kb"], bundled=False, register=False)
    pack = kb.packs["demo"]
    assert pack.compiled.rulesets and not pack.registered
    with pytest.raises(EngineError, match="closed"):
        diagnose({}, pack="demo", kb=kb)
    kb.close()  # nothing to release: no error either
