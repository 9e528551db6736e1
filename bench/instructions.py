"""Benchmark: instructions per diagnosis, counted under valgrind, which a drifting host cannot move.

Usage: python bench/instructions.py [--json] [--rounds 3] [--sizes 300,1000] [--phase NAME]

On a shared machine whose speed drifts by a third within minutes, two timed runs of the same
code differ more than most changes do. The instructions a diagnosis retires do not drift: under
valgrind's cachegrind (no cache simulation, a fixed hash seed) the same code gives the same
count from run to run to within ~0.1%. Each figure runs this script twice under valgrind, with
0 and with ``--rounds`` rounds of the calls, and divides the difference by the calls made: the
set-up (imports, the KB load, a warm-up round) cancels out.

Figures (per call, in instructions):

- instructions_per_diagnosis: syncdoctor.diagnose on every bundled example case;
- instructions_per_diagnosis_<n>: on the synthetic n-rule KBs of bench/diagnose.py (50 cases);
- with ``--phase select_questions|explain|run_session``: that stage alone, called again with
  the arguments each diagnosis gave it (instructions_per_<phase>, and _<n> for each size).

Instructions are not time: a change that trades instructions for cache misses looks better
here than it is. Nor do they compare with durable_rules' stock baseline: its C code retires far
more instructions under valgrind than natively (the raw C calls of bench/diagnose.py count 1.3
million instructions a case, for ~50 us of time), so no ratio is derived from counts. Use this
to tell two versions of the code apart (run it in each checkout, with the same --rounds: later
rounds count ~1% less), and bench/diagnose.py for the goals, which are timed.

Needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PHASES = ("select_questions", "explain", "run_session")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _calls(size: int, phase: str | None, folder: Path) -> list[Callable[[], object]]:
    """The calls one round makes: diagnoses, or one stage with the arguments it was given."""
    # This checkout's code, whichever environment runs it: two checkouts compare with one venv.
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import diagnose as diagnose_bench  # the example and synthetic cases of the timed bench

    from syncdoctor import diagnose, load_kb
    from syncdoctor.diagnosis import pipeline
    from syncdoctor.engine.knowledge import default_kb

    captured: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    if phase is not None:
        stage = getattr(pipeline, phase)

        def capture(*args: Any, **kwargs: Any) -> Any:
            captured.append((args, kwargs))
            return stage(*args, **kwargs)

        setattr(pipeline, phase, capture)
    calls: list[Callable[[], object]]
    if size == 0:
        kb = default_kb()
        calls = [
            partial(diagnose, case.facts, pack=case.pack, kb=kb, now=case.now)
            for case in diagnose_bench.load_examples()
        ]
    else:
        root = diagnose_bench.synthetic_kb(folder / f"kb{size}", size)
        kb = load_kb([root], bundled=False, cache=False)
        calls = [
            partial(diagnose, facts, kb=kb, now="2024-05-01T12:00:00Z")
            for facts in diagnose_bench.synthetic_cases(50)
        ]
    for call in calls:  # warm-up: first builds, first renders; and the phase's arguments
        call()
    if phase is None:
        return calls
    setattr(pipeline, phase, stage)
    return [partial(stage, *args, **kwargs) for args, kwargs in captured]


def worker(size: int, phase: str | None, rounds: int) -> None:
    """Run under valgrind: set up, then ``rounds`` rounds of the calls (0: set-up alone).

    A synthetic KB is written to the same folder in every run (beside the cache), so that the
    two counted runs load it from the same paths.
    """
    folder = Path(os.environ["SYNCDOCTOR_CACHE_DIR"]) / "synthetic"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    calls = _calls(size, phase, folder)
    for _ in range(rounds):
        for call in calls:
            call()
    print(len(calls))


def _count(size: int, phase: str | None, rounds: int, cache: Path) -> tuple[int, int]:
    """(instructions, calls per round) of one worker run under valgrind."""
    command = [sys.executable, __file__, "--worker", str(size), phase or "-", str(rounds)]
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                "--cachegrind-out-file=/dev/null"]
    done = subprocess.run([*valgrind, *command], env=_environment(cache), capture_output=True,
                          text=True, check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"the valgrind run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), int(done.stdout.split()[-1])


def per_call(size: int, phase: str | None, rounds: int, cache: Path) -> int:
    """Instructions per call: the difference of a run with rounds and one without."""
    # First, natively: the bundled KB's cache entry (a synthetic KB is never cached) and the
    # bytecode are written, so that both counted runs read them alike.
    subprocess.run([sys.executable, __file__, "--worker", str(size), phase or "-", "0"],
                   env=_environment(cache), capture_output=True, check=True)
    base, _ = _count(size, phase, 0, cache)
    total, calls = _count(size, phase, rounds, cache)
    if total <= base:
        raise SystemExit(
            f"the run without calls counted {base:,} instructions and the run with them "
            f"{total:,}: their set-up differed (a cache rebuilt?); run the bench again"
        )
    return round((total - base) / (rounds * calls))


def _environment(cache: Path) -> dict[str, str]:
    """The workers' environment: a fixed hash seed, one cache folder, bytecode written (so
    that the native first run compiles what both counted runs then read)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONHASHSEED": "0", "SYNCDOCTOR_CACHE_DIR": str(cache)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the calls counted")
    parser.add_argument("--sizes", default="1000",
                        help="synthetic KB sizes, comma-separated (empty: none)")
    parser.add_argument("--phase", choices=PHASES, help="count one stage of the pipeline")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        size, phase, rounds = options.worker
        worker(int(size), None if phase == "-" else phase, int(rounds))
        return 0
    if shutil.which("valgrind") is None:
        print("bench/instructions.py needs valgrind (Debian: apt-get install valgrind)",
              file=sys.stderr)
        return 2
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        sizes = [int(s) for s in options.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes rule counts separated by commas, not {options.sizes!r}")
    name = f"instructions_per_{options.phase or 'diagnosis'}"
    figures: dict[str, object] = {"phase": options.phase or "diagnose", "rounds": options.rounds}
    with tempfile.TemporaryDirectory() as cache:
        for size in [0, *sizes]:
            if not options.json:
                print(f"counting {'the examples' if size == 0 else f'{size} rules'}...",
                      file=sys.stderr)
            key = name if size == 0 else f"{name}_{size}"
            figures[key] = per_call(size, options.phase, options.rounds, Path(cache))
    if options.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            print(f"{key}: {value:,}" if isinstance(value, int) and key != "rounds"
                  else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
