"""Benchmark: each hostile template payload, its time and peak memory until it is stopped.

Usage: python bench/templates.py [--only NAME]

The payloads are tests/fixtures/hostile_templates.yaml. Each runs in a fresh Python process (so
that one payload's peak memory is not another's): the demo KB is copied with the payload as the
remediation of its "pending" cause, then

- a payload the loader refuses: ``seconds`` is the time of ``load_kb`` until it raises;
- any other: ``seconds`` is the time of one ``diagnose()`` that renders it (and gets a warning).

``peak_rss_mb`` is the process's peak resident memory (VmHWM) after the payload,
``growth_mb`` that peak minus the resident memory just before it. Goal: under 1 s and
100 MB for every payload. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
LONG_TEXT = "x" * 100_000


def payloads() -> dict[str, str]:
    spec = yaml.safe_load((FIXTURES / "hostile_templates.yaml").read_text())["payloads"]
    return {p["name"]: p["head"] + p.get("body", "") * p.get("times", 1) + p.get("tail", "")
            for p in spec}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_one(name: str) -> dict[str, Any]:
    """Run one payload in this process (the parent starts one process per payload)."""
    from syncdoctor import KnowledgeBaseError, diagnose, load_kb

    template = payloads()[name]
    with tempfile.TemporaryDirectory() as tmp:
        kb_dir = Path(tmp) / "kb"
        shutil.copytree(FIXTURES / "demo_kb", kb_dir)
        playbook = kb_dir / "playbooks" / "demo.yaml"
        playbook.write_text(playbook.read_text().replace(
            "remediation: Wait.", f"remediation: {json.dumps(template)}"))
        facts = {"sync.status": "pending", "sync.error": LONG_TEXT}
        before = _status_mb("VmRSS")
        start = time.perf_counter()
        try:
            kb = load_kb([kb_dir], bundled=False)
        except KnowledgeBaseError as error:
            outcome = f"load error {error.code}"
        else:
            start = time.perf_counter()
            before = _status_mb("VmRSS")
            result = diagnose(facts, kb=kb, now="2024-05-01T12:00:00Z")
            warned = [w for w in result.warnings if "could not render" in w]
            outcome = f"warning: {warned[0].split(': ', 2)[-1]}" if warned else "rendered"
            kb.close()
        seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    return {"seconds": round(seconds, 4), "peak_rss_mb": round(peak, 1),
            "growth_mb": round(peak - before, 1), "outcome": outcome[:110]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run one payload in this process")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure_one(args.only)))
        return
    figures: dict[str, Any] = {}
    for name in payloads():
        child = subprocess.run(
            [sys.executable, __file__, "--only", name],
            capture_output=True, text=True, timeout=60, check=False,
        )
        figures[name] = (json.loads(child.stdout) if child.returncode == 0
                         else {"error": child.stderr.strip().splitlines()[-1:]})
    measured = [f for f in figures.values() if "seconds" in f]
    summary = {
        "payloads": len(figures),
        "failed_to_run": len(figures) - len(measured),
        "max_seconds": max(f["seconds"] for f in measured),
        "max_growth_mb": max(f["growth_mb"] for f in measured),
        "max_peak_rss_mb": max(f["peak_rss_mb"] for f in measured),
        "not_stopped": sorted(n for n, f in figures.items() if f.get("outcome") == "rendered"),
    }
    print(json.dumps({"summary": summary, "payloads": figures}, indent=1))


if __name__ == "__main__":
    main()
