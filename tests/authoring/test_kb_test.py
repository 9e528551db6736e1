"""kb test: cases beside the rules, readable failures, golden files, coverage both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from syncdoctor import load_kb
from syncdoctor.authoring.scaffold import scaffold
from syncdoctor.authoring.testing import run_tests
from syncdoctor.errors import SyncdoctorError


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    scaffold("acme", root)
    return root


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncdoctor", "kb", *args],
                          capture_output=True, text=True, timeout=120)


def test_scaffold_passes_with_full_coverage(pack_dir: Path) -> None:
    report = run_tests(load_kb([pack_dir], bundled=False))
    assert report.totals.failed == 0 and report.totals.passed == 5  # 3 cases, 2 examples
    assert [e.name for e in report.examples] == [
        "The last synchronisation succeeded - nothing to fix",
        "A failed synchronisation that timed out"]
    assert report.fully_covered and report.without_examples == []


# ---------------------------------------------------------------------------------------------
# a layer's examples/<pack>/*.yaml, held to their expect: as the bundled ones are


def _example(pack_dir: Path, name: str = "timeout.yaml") -> Path:
    return pack_dir / "examples" / "acme" / name


def test_a_stale_example_fails_kb_test(pack_dir: Path) -> None:
    example = _example(pack_dir)
    example.write_text(example.read_text().replace("causes: [sync_failed, timeout]",
                                                   "causes: [sync_failed]\n  absent: [timeout]"))
    done = _cli("test", "--kb", str(pack_dir), "--no-bundled")
    assert done.returncode == 1, done.stdout
    assert "FAIL  acme: example A failed synchronisation that timed out" in done.stdout
    assert "causes ['timeout'] must not hold, but do" in done.stdout
    assert "2 failed" not in done.stdout and "1 failed" in done.stdout


def test_a_misspelt_id_in_an_example_is_located(pack_dir: Path) -> None:
    example = _example(pack_dir, "synced.yaml")
    example.write_text(example.read_text().replace("absent: [sync_failed,", "absent: [sync_faild,"))
    report = run_tests(load_kb([pack_dir], bundled=False))
    failed = [e for e in report.examples if not e.passed]
    assert len(failed) == 1
    assert "synced.yaml:7:12: KB105 unknown cause 'sync_faild' in pack 'acme'" in (
        failed[0].failures[0]), failed[0].failures
    assert "did you mean 'sync_failed'?" in failed[0].failures[0]


def test_an_example_needs_an_expectation_and_a_clock(pack_dir: Path) -> None:
    example = _example(pack_dir, "bare.yaml")
    example.write_text("title: bare\nfacts: {sync.status: failed}\n")
    report = run_tests(load_kb([pack_dir], bundled=False))
    (bare,) = [e for e in report.examples if e.name == "bare"]
    assert not bare.passed
    assert [f.split(" ")[0:2] for f in bare.failures] == [["states", "no"], ["has", "no"]]


def test_an_example_without_a_pack_must_route_to_its_folder(pack_dir: Path) -> None:
    example = _example(pack_dir)
    example.write_text(example.read_text().replace("pack: acme\n", ""))
    alone = run_tests(load_kb([pack_dir], bundled=False))
    assert alone.totals.failed == 0  # the only pack there is
    report = run_tests(load_kb([pack_dir], bundled=True), packs=["acme"])  # five others compete
    (mine,) = [e for e in report.examples if e.file.endswith("acme/timeout.yaml")]
    assert mine.failures == [
        "no pack was chosen from its facts, not 'acme' (or give the case a pack:)"]


def test_an_unreadable_example_and_an_unknown_folder_are_failures(pack_dir: Path) -> None:
    _example(pack_dir, "broken.yaml").write_text("title: [unclosed\n")
    stray = pack_dir / "examples" / "acmee"
    stray.mkdir()
    (stray / "case.yaml").write_text("now: 2024-05-01T12:00:00Z\nfacts: {}\nexpect: {}\n")
    report = run_tests(load_kb([pack_dir], bundled=False))
    failures = {e.file.rsplit("/", 2)[-2] + "/" + e.file.rsplit("/", 1)[-1]: e.failures
                for e in report.examples if not e.passed}
    assert set(failures) == {"acme/broken.yaml", "acmee/case.yaml"}
    assert failures["acme/broken.yaml"][0].startswith("cannot be read: ")
    assert "broken.yaml:2:1" in failures["acme/broken.yaml"][0]
    assert "did you mean 'acme'?" in failures["acmee/case.yaml"][0]


def test_a_pack_without_examples_is_noted_not_failed(pack_dir: Path) -> None:
    for path in (pack_dir / "examples" / "acme").iterdir():
        path.unlink()
    done = _cli("test", "--kb", str(pack_dir), "--no-bundled", "--require-coverage")
    assert done.returncode == 0, done.stdout
    assert "note: pack acme has no example case" in done.stdout


def test_json_report_shape(pack_dir: Path) -> None:
    done = _cli("test", "--kb", str(pack_dir), "--no-bundled", "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(done.stdout)
    assert payload["totals"]["failed"] == 0
    acme_rules = [r for r in payload["rules"] if r["pack"] == "acme"]
    assert {r["id"] for r in acme_rules} == {"acme.sync-failed", "acme.sync-failed.otherwise",
                                            "acme.timeout"}
    assert all(set(r) == {"id", "pack", "fired", "silenced"} for r in payload["rules"])
    assert all(r["fired"] and r["silenced"] for r in acme_rules)
    assert {c["id"] for c in payload["causes"] if c["pack"] == "acme"} == {"sync_failed",
                                                                          "timeout"}


def test_a_failing_case_says_what_differs(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    tests.write_text(tests.read_text().replace("absent: [timeout]", "absent: [sync_failed]", 1))
    done = _cli("test", "--kb", str(pack_dir), "--no-bundled")
    assert done.returncode == 1
    assert "FAIL  acme: a failed synchronisation" in done.stdout
    assert "causes ['sync_failed'] must not hold, but do" in done.stdout


def test_a_template_that_fails_on_a_case_fails_the_case(pack_dir: Path) -> None:
    """Its text is lost for the agent: not a pass, though the case expects nothing of it."""
    playbook = pack_dir / "playbooks" / "acme.yaml"
    playbook.write_text(playbook.read_text().replace(
        "1. Open the integration's status page and find the failed run.",
        '1. Open the status page {{ facts.get("error.message", 0) + 1 }}.', 1))
    report = run_tests(load_kb([pack_dir], bundled=False))
    failed = {case.name: case.failures for case in report.cases if not case.passed}
    # Only the case with an error message makes it fail (a text plus a number).
    assert list(failed) == ["a time-out, read from the error message"]
    (why,) = failed["a time-out, read from the error message"]
    assert why == ("cause sync_failed: remediation could not render: line 1 of the template: an "
                   'expression cannot be computed: can only concatenate str (not "int") to str')


def test_a_missing_remediation_text_shows_what_was_rendered(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    tests.write_text(tests.read_text().replace("[Request timed out after 30 s]", "[timed out 30]"))
    (case,) = [c for c in run_tests(load_kb([pack_dir], bundled=False)).cases if not c.passed]
    assert case.failures == [
        "remediation of timeout lacks ['timed out 30']; it reads: '1. Run the synchronisation "
        "again outside busy hours. 2. If it times out again, escalate with the error message "
        "(Request timed out after 30 s).'"]


def test_golden_remediation_and_its_diff(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    tests.write_text(tests.read_text().replace(
        "      remediation_contains: {timeout: [Request timed out after 30 s]}",
        "      remediation_contains: {timeout: [Request timed out after 30 s]}\n"
        "      remediation_golden: {timeout: golden/acme/timeout.md}",
    ))
    missing = _cli("test", "--kb", str(pack_dir), "--no-bundled")
    assert missing.returncode == 1 and "--update-golden" in missing.stdout
    updated = _cli("test", "--kb", str(pack_dir), "--no-bundled", "--update-golden")
    assert updated.returncode == 0
    golden = pack_dir / "rules" / "golden" / "acme" / "timeout.md"
    assert "Request timed out after 30 s" in golden.read_text()
    assert _cli("test", "--kb", str(pack_dir), "--no-bundled").returncode == 0
    golden.write_text(golden.read_text().replace("outside busy hours", "at night"))
    changed = _cli("test", "--kb", str(pack_dir), "--no-bundled")
    assert changed.returncode == 1
    assert "-1. Run the synchronisation again at night." in changed.stdout
    assert "+1. Run the synchronisation again outside busy hours." in changed.stdout


def test_coverage_gaps_fail_only_when_required(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    text = tests.read_text()
    tests.write_text(text[: text.index("  - name: a successful synchronisation")])
    assert _cli("test", "--kb", str(pack_dir), "--no-bundled").returncode == 0
    strict = _cli("test", "--kb", str(pack_dir), "--no-bundled", "--require-coverage")
    assert strict.returncode == 1
    assert "rule acme/acme.sync-failed.otherwise is never fired by a case" in strict.stdout


def test_new_pack_refuses_to_overwrite(pack_dir: Path) -> None:
    done = _cli("new-pack", "acme", "--into", str(pack_dir))
    assert done.returncode == 2 and "pack id 'acme' is taken" in done.stderr
    # A file of the new pack's name that holds another pack is not overwritten either.
    (pack_dir / "rules" / "zeta.yaml").write_text("pack: other\nrules: []\n")
    done = _cli("new-pack", "zeta", "--into", str(pack_dir))
    assert done.returncode == 2 and "not overwriting" in done.stderr
    assert (pack_dir / "rules" / "zeta.yaml").read_text() == "pack: other\nrules: []\n"
    bad = _cli("new-pack", "Bad Name", "--into", str(pack_dir))
    assert bad.returncode == 2 and "invalid pack name" in bad.stderr


def test_new_pack_from_the_cli_lints_and_tests_clean(tmp_path: Path) -> None:
    made = _cli("new-pack", "widgets", "--into", str(tmp_path / "kb"), "--title", "It's broken")
    assert made.returncode == 0
    kb = ("--kb", str(tmp_path / "kb"), "--no-bundled")
    linted = _cli("lint", *kb, "--fail-on", "info")
    assert linted.returncode == 0, linted.stdout
    tested = _cli("test", *kb, "--require-coverage")
    assert tested.returncode == 0, tested.stdout
    assert ("5 passed, 0 failed; coverage both ways: rules 3/3, causes 2/2, causes by examples 2/2"
            in tested.stdout)


def test_bundled_knowledge_base_is_fully_covered(bundled_kb) -> None:
    report = run_tests(bundled_kb)
    failures = [f"{c.pack}: {c.name}: {c.failures}" for c in report.cases if not c.passed]
    assert failures == []
    gaps = [f"{e.pack}/{e.id}" for e in (*report.rules, *report.causes)
            if not (e.fired and e.silenced)]
    assert gaps == []


def test_a_golden_path_cannot_point_at_kb_files(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    tests.write_text(tests.read_text().replace(
        "      remediation_contains: {timeout: [Request timed out after 30 s]}",
        "      remediation_contains: {timeout: [Request timed out after 30 s]}\n"
        "      remediation_golden: {timeout: acme.yaml}",
    ))
    before = (pack_dir / "rules" / "acme.yaml").read_text()
    done = _cli("test", "--kb", str(pack_dir), "--no-bundled", "--update-golden")
    assert done.returncode == 1 and "must be a file of its own" in done.stdout
    assert (pack_dir / "rules" / "acme.yaml").read_text() == before


@pytest.mark.parametrize("taken", ["impac", "sage300"])
def test_new_pack_refuses_a_bundled_pack_id(tmp_path: Path, taken: str) -> None:
    done = _cli("new-pack", taken, "--into", str(tmp_path / "kb"))
    assert done.returncode == 2
    assert f"pack id {taken!r} is taken: the bundled knowledge base already has" in done.stderr
    assert "Choose another id" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "kb").exists() or not any((tmp_path / "kb").rglob("*.yaml"))


def test_new_pack_refuses_an_id_the_target_kb_has_under_another_file_name(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    scaffold("widgets", root)
    for path in root.rglob("widgets*.yaml"):
        text = path.read_text().replace("pack: widgets", "pack: gadgets").replace(
            "id: widgets\n", "id: gadgets\n")
        path.rename(path.with_name(path.name.replace("widgets", "old_gadgets")))
        path.with_name(path.name.replace("widgets", "old_gadgets")).write_text(text)
    with pytest.raises(SyncdoctorError, match="pack id 'gadgets' is taken: .* already has a pack "
                       r"'gadgets' \((facts|playbooks|rules)/old_gadgets"):
        scaffold("gadgets", root)
    assert not (root / "facts" / "gadgets.yaml").exists()
