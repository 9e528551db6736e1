"""Benchmark: diagnose latency, durable_rules baseline, KB compile time, memory growth.

Usage: python bench/diagnose.py [--json] [--quick]

Every figure is measured in this one run, side by side:

- diagnose_p50_us / diagnose_p99_us: syncdoctor.diagnose on every bundled example case, timed
  in turns with the two durable_rules baselines (round by round, so that a machine whose speed
  drifts during the run slows all three alike);
- durable_p50_us: bare durable_rules (its stock Host API, a no-op action per rule) asserting the
  same compiled rulesets and the same messages, then delete_state;
- durable_raw_p50_us: the same, driving durable_rules' C agenda directly as syncdoctor does;
- ratio_p50: diagnose_p50_us / durable_p50_us;
- firings_per_case / rule_firings_per_case: durable_rules firings per example (all of them,
  blockers and sentinels included / those of rules);
- compile_300_s / compile_1000_s / compile_5000_s: load + validate + compile + register a
  synthetic KB (no cache); rulesets_<n>: the rulesets its pack is split into;
- diagnose_300_p50_us / diagnose_1000_p50_us / diagnose_5000_p50_us: diagnose latency on them,
  and diagnose_5000_ratio: diagnose_5000_p50_us / the bundled examples' p50 timed in turns
  with it;
- kb_load_ms / kb_load_nocache_ms: load_kb() of the bundled KB from a warm cache / its files;
- cold_cli_ms / deps_import_ms: a whole ``syncdoctor diagnose`` process on one example (cache
  warm, bytecode written as an installed package has it) and a bare import of its dependencies,
  alternated, medians (and their CPU times, *_cpu_ms); cli_vs_deps: the ratio of the two;
- rss_growth_mb_100k: resident memory growth over 100,000 diagnoses after a warm-up;
- load_average: of the machine when the run ended (the figures are only comparable in one run).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import durable_rules_engine
from durable import engine as durable_engine

from syncdoctor import diagnose, load_kb
from syncdoctor.casefile import read_case
from syncdoctor.diagnosis.case import clock
from syncdoctor.diagnosis.pipeline import run_case
from syncdoctor.engine.knowledge import KnowledgeBase, default_kb
from syncdoctor.engine.runtime import QuietHost

REPO = Path(__file__).resolve().parent.parent


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def load_examples() -> list[Any]:
    return [read_case(path) for path in sorted((REPO / "examples").glob("*/*.yaml"))]


def time_calls(calls: Sequence[Callable[[], object]], rounds: int) -> list[float]:
    for call in calls:  # warm-up
        call()
    samples: list[float] = []
    for _ in range(rounds):
        for call in calls:
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1e6)
    return samples


def time_alternated(groups: Sequence[Sequence[Callable[[], object]]], rounds: int
                    ) -> list[list[float]]:
    """Samples of each group of calls, the groups taking turns round by round.

    Figures that are divided by one another are measured this way: on a shared machine whose
    speed drifts during a run, one measured a minute after the other compares two machines.
    """
    for calls in groups:  # warm-up
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in groups]
    for _ in range(rounds):
        for calls, kept in zip(groups, samples, strict=True):
            for call in calls:
                start = time.perf_counter()
                call()
                kept.append((time.perf_counter() - start) * 1e6)
    return samples


def messages_of(kb: KnowledgeBase, case: Any) -> tuple[str, list[dict[str, Any]]]:
    """The pack and every message syncdoctor asserts for a case, derived facts included."""
    result = diagnose(case.facts, pack=case.pack, kb=kb, now=case.now)
    assert result.pack is not None
    pack = kb.packs[result.pack]
    run = run_case(pack, case.facts, kb=kb, now=clock(case.now), trace=True)
    return pack.id, list(run.messages)  # derived facts included


def durable_baselines(kb: KnowledgeBase, cases: Sequence[Any]
                      ) -> tuple[list[Callable[[], None]], list[Callable[[], None]]]:
    """Calls of the stock Host API and of raw C calls, same rulesets, same messages."""
    host = QuietHost()
    names: dict[str, list[str]] = {}
    handles: dict[str, list[int]] = {}
    for pack_id, pack in kb.packs.items():
        for number, definition in enumerate(pack.compiled.rulesets):
            name = f"bench_{pack_id}_{number}"
            copied = json.loads(json.dumps(definition))
            rules = {k: {**v, "run": lambda c: None} for k, v in copied.items()}
            host.set_rulesets({name: rules})
            names.setdefault(pack_id, []).append(name)
            handles.setdefault(pack_id, []).append(host.get_ruleset(name)._handle)
    prepared = [messages_of(kb, case) for case in cases]
    sid = iter(range(10**9))

    def stock(pack_id: str, messages: list[dict[str, Any]]) -> Callable[[], None]:
        def call() -> None:
            session = str(next(sid))
            for name in names[pack_id]:
                for message in messages:
                    with contextlib.suppress(durable_engine.MessageNotHandledException):
                        host.assert_fact(name, {**message, "sid": session})
                host.delete_state(name, session)

        return call

    def raw(pack_id: str, messages: list[dict[str, Any]]) -> Callable[[], None]:
        def call() -> None:
            session = str(next(sid))
            for handle in handles[pack_id]:
                for message in messages:
                    result = durable_rules_engine.assert_fact(
                        handle, json.dumps({**message, "sid": session})
                    )
                    if result[0] in (1, 2):
                        continue
                    action = durable_rules_engine.start_action_for_state(handle, result[1])
                    while action:
                        following = durable_rules_engine.complete_and_start_action(
                            handle, result[1]
                        )
                        action = (None, following) if following else None
                durable_rules_engine.delete_state(handle, session)

        return call

    return [stock(p, m) for p, m in prepared], [raw(p, m) for p, m in prepared]


def firings_per_case(kb: KnowledgeBase, cases: Sequence[Any]) -> tuple[float, float]:
    """Mean durable_rules firings per case: all of them, and those of rules."""
    every = rules = 0
    for case in cases:
        result = diagnose(case.facts, pack=case.pack, kb=kb, now=case.now)
        assert result.pack is not None
        run = run_case(kb.packs[result.pack], case.facts, kb=kb, now=clock(case.now), trace=True)
        assert run.firings is not None
        every += run.firings.fired
        rules += sum(len(found) for found in run.firings.rules.values())
    return every / len(cases), rules / len(cases)


DEPS = "import pydantic, jinja2, yaml, re2, durable.engine, typer"


def cli_figures(runs: int) -> dict[str, float]:
    """A whole ``syncdoctor diagnose`` process against a bare import of its dependencies.

    Alternated, medians. The cache folder is a fresh one, warmed by one run first; bytecode is
    written (this machine's environment sets PYTHONDONTWRITEBYTECODE, which an installed package
    never meets: every module would be compiled from source each time).
    """
    case = str(REPO / "examples" / "impac" / "sync-failed-app-api.yaml")
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "SYNCDOCTOR_NO_CACHE")}
        env["SYNCDOCTOR_CACHE_DIR"] = folder
        commands = {
            "cold_cli": [sys.executable, "-m", "syncdoctor", "diagnose", case],
            "deps_import": [sys.executable, "-c", DEPS],
        }
        for command in commands.values():  # warm: the cache entry, the bytecode
            subprocess.run(command, env=env, capture_output=True, check=True)
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=True)
                wall[name].append((time.perf_counter() - start) * 1000)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append((after.ru_utime - before.ru_utime + after.ru_stime
                                  - before.ru_stime) * 1000)
    figures = {f"{name}_ms": round(statistics.median(wall[name]), 1) for name in commands}
    figures.update(
        {f"{name}_cpu_ms": round(statistics.median(cpu[name]), 1) for name in commands}
    )
    figures["cli_vs_deps"] = round(figures["cold_cli_ms"] / figures["deps_import_ms"], 2)
    figures["cli_vs_deps_cpu"] = round(
        figures["cold_cli_cpu_ms"] / figures["deps_import_cpu_ms"], 2
    )
    return figures


def kb_load_figures(rounds: int) -> dict[str, float]:
    """load_kb() of the bundled KB, every pack built, from a warm cache and from its files.

    Best of ``rounds``.
    """
    with tempfile.TemporaryDirectory() as folder:
        saved = os.environ.get("SYNCDOCTOR_CACHE_DIR")
        os.environ["SYNCDOCTOR_CACHE_DIR"] = folder
        try:
            load_kb(cache=True).close()  # writes the entry
            cached, files = [], []
            for _ in range(rounds):
                for use_cache, samples in ((True, cached), (False, files)):
                    start = time.perf_counter()
                    kb = load_kb(cache=use_cache)
                    # A cached KB builds each pack on first use: every pack is built here, so
                    # the figure stays the whole load it was, comparable across sessions.
                    for pack_id in kb.packs:
                        kb.pack(pack_id)
                    kb.close()
                    samples.append((time.perf_counter() - start) * 1000)
        finally:
            if saved is None:
                os.environ.pop("SYNCDOCTOR_CACHE_DIR")
            else:
                os.environ["SYNCDOCTOR_CACHE_DIR"] = saved
    return {"kb_load_ms": round(min(cached), 1), "kb_load_nocache_ms": round(min(files), 1)}


def synthetic_kb(root: Path, rules: int, seed: int = 7) -> Path:
    """A pack shaped like the real ones: enum, bool, number and datetime facts; 2-3 tests a rule."""
    rng = random.Random(seed)
    for folder in ("facts", "rules", "playbooks"):
        (root / folder).mkdir(parents=True)
    enums = [f"e{i}" for i in range(40)]
    bools = [f"b{i}" for i in range(30)]
    numbers = [f"n{i}" for i in range(20)]
    dates = [f"d{i}" for i in range(10)]
    values = [f"v{j}" for j in range(8)]
    facts = ["pack: synthetic", "facts:"]
    facts += [f"  {e}: {{type: enum, values: [{', '.join(values)}], ask: '{e}?'}}" for e in enums]
    facts += [f"  {b}: {{type: bool, ask: '{b}?'}}" for b in bools]
    facts += [f"  {n}: {{type: integer, ask: '{n}?'}}" for n in numbers]
    facts += [f"  {d}: {{type: datetime, ask: '{d}?'}}" for d in dates]
    (root / "facts" / "synthetic.yaml").write_text("\n".join(facts) + "\n")

    def test() -> tuple[str, str]:
        kind = rng.random()
        if kind < 0.45:
            fact = rng.choice(enums)
            return fact, f"{{fact: {fact}, eq: {rng.choice(values)}}}"
        if kind < 0.60:
            fact = rng.choice(enums)
            picked = ", ".join(rng.sample(values, 2))
            return fact, f"{{fact: {fact}, in: [{picked}]}}"
        if kind < 0.85:
            fact = rng.choice(bools)
            return fact, f"{{fact: {fact}, eq: {rng.choice(['true', 'false'])}}}"
        if kind < 0.95:
            fact = rng.choice(numbers)
            op = rng.choice(["gt", "lt"])
            return fact, f"{{fact: {fact}, {op}: {rng.choice([10, 50, 100, 500])}}}"
        fact = rng.choice(dates)
        return fact, f"{{fact: {fact}, older_than: {rng.choice(['1h', '1d', '7d'])}}}"

    causes = max(1, rules // 5)
    steps = 5
    lines = ["pack: synthetic", "rules:"]
    for index in range(rules):
        chosen = [test() for _ in range(rng.choice([2, 2, 3]))]
        tests = ", ".join(text for _, text in chosen)
        quoted = chosen[0][0]
        # Like the real packs: most explanations quote a fact the rule tested.
        because = (
            f'"{quoted} is {{{{ facts[\'{quoted}\'] }}}} (rule {index})"'
            if rng.random() < 0.7
            else f"'rule {index} fired'"
        )
        cause = f"c{rng.randrange(causes)}"
        effect = "rules_out" if rng.random() < 0.1 else "supports"
        lines.append(
            f"  - {{id: r{index:05d}, step: s{rng.randrange(steps)}, cause: {cause}, "
            f"effect: {effect}, certainty: 0.{rng.randrange(5, 10)}, "
            f"when: {{all: [{tests}]}}, because: {because}}}"
        )
    (root / "rules" / "synthetic.yaml").write_text("\n".join(lines) + "\n")
    book = ["id: synthetic", "title: Synthetic", "steps:"]
    book += [f"  - {{id: s{i}, title: Step {i}}}" for i in range(steps)]
    book.append("causes:")
    book += [
        f"  c{i}: {{title: Cause {i}, step: s{i % steps}, remediation: \"1. Fix {i}"
        f"{{% if 'e{i % 40}' in facts %}} for {{{{ facts['e{i % 40}'] }}}}{{% endif %}}.\\n"
        f"2. Check again {{{{ now | dt }}}}.\"}}"
        for i in range(causes)
    ]
    (root / "playbooks" / "synthetic.yaml").write_text("\n".join(book) + "\n")
    return root


def synthetic_cases(count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        facts: dict[str, Any] = {}
        for i in rng.sample(range(40), 12):
            facts[f"e{i}"] = f"v{rng.randrange(8)}"
        for i in rng.sample(range(30), 8):
            facts[f"b{i}"] = rng.random() < 0.5
        for i in rng.sample(range(20), 4):
            facts[f"n{i}"] = rng.randrange(1000)
        for i in rng.sample(range(10), 2):
            facts[f"d{i}"] = f"2024-04-{rng.randrange(1, 30):02d}T10:00:00Z"
        cases.append(facts)
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and 10,000 diagnoses for RSS"
    )
    args = parser.parse_args(argv)
    rounds = 20 if args.quick else 200
    rss_runs = 10_000 if args.quick else 100_000

    def progress(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    kb = default_kb()
    cases = load_examples()
    progress(f"{len(cases)} example cases, {sum(len(p.rules) for p in kb.packs.values())} rules")
    calls = [
        (lambda c=case: diagnose(c.facts, pack=c.pack, kb=kb, now=c.now)) for case in cases
    ]
    progress("diagnoses and the durable_rules baselines, taking turns")
    stock_calls, raw_calls = durable_baselines(kb, cases)
    samples, stock_samples, raw_samples = time_alternated([calls, stock_calls, raw_calls], rounds)
    figures: dict[str, Any] = {
        "diagnose_p50_us": round(percentile(samples, 0.5), 1),
        "diagnose_p99_us": round(percentile(samples, 0.99), 1),
    }
    impac = [c for c in cases if c.pack == "impac"]
    impac_calls = [
        (lambda c=case: diagnose(c.facts, pack=c.pack, kb=kb, now=c.now)) for case in impac
    ]
    figures["diagnose_impac_p50_us"] = round(percentile(time_calls(impac_calls, rounds), 0.5), 1)
    figures["impac_rules"] = len(kb.packs["impac"].rules) if "impac" in kb.packs else 0
    stock = percentile(stock_samples, 0.5)
    figures["durable_p50_us"] = round(stock, 1)
    figures["durable_raw_p50_us"] = round(percentile(raw_samples, 0.5), 1)
    figures["ratio_p50"] = round(figures["diagnose_p50_us"] / stock, 3)

    every, by_rules = firings_per_case(kb, cases)
    figures["firings_per_case"] = round(every, 2)
    figures["rule_firings_per_case"] = round(by_rules, 2)

    with tempfile.TemporaryDirectory() as tmp:
        for size in (300, 1000, 5000):
            progress(f"compiling a synthetic {size}-rule KB")
            root = synthetic_kb(Path(tmp) / f"kb{size}", size)
            start = time.perf_counter()
            synthetic = load_kb([root], bundled=False, cache=False)
            figures[f"compile_{size}_s"] = round(time.perf_counter() - start, 3)
            pack = synthetic.packs["synthetic"]
            figures[f"rulesets_{size}"] = len(pack.compiled.rulesets)
            facts = synthetic_cases(50)
            big = [
                (lambda f=f, k=synthetic: diagnose(f, kb=k, now="2024-05-01T12:00:00Z"))
                for f in facts
            ]
            big_samples, small_samples = time_alternated(
                [big, calls], max(2, rounds // (20 if size == 5000 else 4)))
            figures[f"diagnose_{size}_p50_us"] = round(percentile(big_samples, 0.5), 1)
            if size == 5000:  # against the bundled examples timed in the same turns
                figures["diagnose_5000_ratio"] = round(
                    percentile(big_samples, 0.5) / percentile(small_samples, 0.5), 1)
            synthetic.close()
    progress("loading the bundled KB from the cache and from its files")
    figures.update(kb_load_figures(3 if args.quick else 5))
    progress("whole CLI processes against a bare import of the dependencies")
    figures.update(cli_figures(3 if args.quick else 7))

    progress(f"{rss_runs:,} diagnoses for memory growth")
    for call in calls * 50:
        call()
    gc.collect()
    before = rss_mb()
    for number in range(rss_runs):
        calls[number % len(calls)]()
    gc.collect()
    figures["rss_growth_mb_100k" if rss_runs == 100_000 else "rss_growth_mb"] = round(
        rss_mb() - before, 2
    )
    figures["python"] = sys.version.split()[0]
    figures["load_average"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in sorted(figures.items()):
            print(f"{key:>24}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
