"""The syncdoctor command, run as a real process, as a support agent would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from syncdoctor import diagnose
from syncdoctor.casefile import read_case

from support import FIXTURES, REPO

DEMO = REPO / "examples" / "impac" / "sync-failed-app-api.yaml"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncdoctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_diagnose_prints_causes_why_and_steps() -> None:
    done = run("diagnose", str(DEMO))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Synchronisation failed because of the application's API" in out
    assert "Why:" in out and "What to do:" in out and "Escalate to:" in out
    assert "cld-4f2a" in out
    assert "Questions still worth asking" in out


def test_json_output_is_the_diagnosis_byte_for_byte(bundled_kb) -> None:
    done = run("diagnose", str(DEMO), "--format", "json")
    assert done.returncode == 0, done.stderr
    case = read_case(DEMO)
    expected = diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=case.now)
    assert done.stdout == expected.model_dump_json(indent=2) + "\n"
    assert json.loads(done.stdout)["causes"][0]["id"] == "sync_failure_app_api"


def test_markdown_output_for_a_ticket() -> None:
    done = run("diagnose", str(DEMO), "-f", "markdown")
    assert done.returncode == 0
    assert done.stdout.startswith("# ")
    assert "**What to do**" in done.stdout


def test_missing_case_file_is_a_clear_error() -> None:
    done = run("diagnose", "no-such-case.yaml")
    assert done.returncode == 2
    assert "no-such-case.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_case_file_names_line_and_column(tmp_path: Path) -> None:
    case = tmp_path / "broken.yaml"
    case.write_text("facts:\n  sync.status: [failed\n")
    done = run("diagnose", str(case))
    assert done.returncode == 2
    assert "broken.yaml:" in done.stderr and "KB001" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_fact_in_a_json_case_suggests_the_right_one(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"pack": "impac", "facts": {"sync.stauts": "failed"}}))
    done = run("diagnose", str(case))
    assert done.returncode == 2
    assert "sync.stauts" in done.stderr and "did you mean 'sync.status'" in done.stderr


def test_duplicate_keys_in_json_are_refused(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"facts": {"sync.status": "failed", "sync.status": "pending"}}')
    done = run("diagnose", str(case))
    assert done.returncode == 2
    assert "duplicate key" in done.stderr


def test_a_case_file_error_shows_its_line_with_the_credentials_masked(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("pack: mambu_xero\nfacts:\n  error.message: Mambu 401 password=hunter2\n"
                    "  error.message: DB_PASSWORD=hunter3 again\n  journal.date: apikey=x\n")
    done = run("diagnose", str(case))
    assert done.returncode == 2
    assert "KB004" in done.stderr and "DB_PASSWORD=***" in done.stderr
    assert "hunter" not in done.stderr


def test_broken_kb_layer_is_reported_with_a_caret(tmp_path: Path) -> None:
    import shutil

    layer = tmp_path / "layer"
    shutil.copytree(FIXTURES / "demo_kb", layer)
    rules = layer / "rules" / "demo.yaml"
    rules.write_text(rules.read_text().replace("cause: pending", "cause: pendnig"))
    done = run("diagnose", str(DEMO), "--kb", str(layer))
    assert done.returncode == 2
    assert "KB105 unknown cause 'pendnig'" in done.stderr
    assert "^" in done.stderr
    assert "Traceback" not in done.stderr


def test_packs_lists_the_bundled_packs() -> None:
    done = run("packs")
    assert done.returncode == 0
    assert "impac" in done.stdout


def test_help_documents_every_option() -> None:
    done = run("diagnose", "--help")
    assert done.returncode == 0
    for option in ("--pack", "--format", "--now", "--kb"):
        assert option in done.stdout


def test_a_case_can_come_on_stdin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "diagnose", "-", "-f", "json"],
        input='{"pack": "impac", "now": "2024-05-01T12:00:00Z", "facts": {"sync.status": "pending"}}',
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pack"] == "impac"


def test_stdin_takes_yaml_too_and_refuses_an_epoch_clock() -> None:
    yaml_case = "{pack: impac, now: '2024-05-01T12:00:00Z', facts: {sync.status: pending}}"
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", "-"],
                          input=yaml_case, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    epoch = '{"pack": "impac", "now": 1714560000, "facts": {"sync.status": "pending"}}'
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", "-"],
                          input=epoch, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and "now" in done.stderr


def test_an_unknown_pack_option_is_a_usage_error_naming_it() -> None:
    case = str(REPO / "examples" / "impac" / "sync-failed-app-api.yaml")
    for args in (("diagnose", case), ("interview", case), ("interview",)):
        done = run(*args, "--pack", "impak")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "Invalid value for '--pack': unknown pack 'impak'" in done.stderr, done.stderr
        assert "(did you mean 'impac'?)" in done.stderr
