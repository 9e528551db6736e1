"""``syncdoctor kb test``: run the test files beside the rules, and measure rule coverage."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from syncdoctor.authoring.corpus import TEXT_CAUSE_CERTAINTY, CorpusOutcome, check_text
from syncdoctor.authoring.examplecheck import ExampleRun, run_examples
from syncdoctor.authoring.testcheck import checked_test_files
from syncdoctor.authoring.testfile import TestCase, TestExpectation
from syncdoctor.casefile import Expectation
from syncdoctor.diagnosis.explain import RENDER_FAILED
from syncdoctor.diagnosis.pipeline import diagnose
from syncdoctor.diagnosis.result import Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import SyncdoctorError
from syncdoctor.kb.problems import display_path, nearest


class CaseResult(BaseModel):
    """The outcome of one test case."""

    file: str
    name: str
    pack: str
    passed: bool
    failures: list[str] = Field(default_factory=list)
    diff: str | None = None


class Coverage(BaseModel):
    """Whether one rule or cause was fired by some case and kept silent by another."""

    id: str
    pack: str
    fired: bool
    silenced: bool


class Totals(BaseModel):
    """How many cases passed and failed."""

    passed: int
    failed: int


class TestReport(BaseModel):
    """Everything ``kb test`` found."""

    __test__ = False
    totals: Totals
    cases: list[CaseResult]
    rules: list[Coverage]
    causes: list[Coverage]
    corpus: list[CorpusOutcome] = Field(
        default_factory=list, description="The error corpus: one outcome per text."
    )
    examples: list[CaseResult] = Field(
        default_factory=list, description="Each example case (examples/<pack>/) against its expect."
    )
    example_causes: list[Coverage] = Field(
        default_factory=list,
        description="Per cause of a pack that has examples: fired by one, kept silent by another.",
    )
    without_examples: list[str] = Field(
        default_factory=list, description="The packs tested that have no example case."
    )

    @property
    def fully_covered(self) -> bool:
        """Every rule and cause fired by one case and kept silent by another (examples too)."""
        return all(
            c.fired and c.silenced for c in (*self.rules, *self.causes, *self.example_causes))


def check_case(
    case: TestCase, result: Diagnosis, base: Path, update_golden: bool = False
) -> tuple[list[str], str | None]:
    """The failures of one case, and a unified diff for golden mismatches."""
    return check_expectations(case.expect, result, base, update_golden)


def check_expectations(
    expect: Expectation, result: Diagnosis, base: Path, update_golden: bool = False
) -> tuple[list[str], str | None]:
    """What a diagnosis gets wrong against expectations (examples' and tests' alike).

    A template that failed on the case is one: its text is lost for the agent.
    """
    failures = [warning for warning in result.warnings if RENDER_FAILED in warning]
    found = {c.id: c for c in result.causes}
    missing = [c for c in expect.causes if c not in found]
    if missing:
        failures.append(f"expected causes {missing}; diagnosis has {sorted(found)}")
    present = [c for c in expect.absent if c in found]
    if present:
        failures.append(f"causes {present} must not hold, but do")
    ruled = {r.id for r in result.ruled_out}
    not_ruled = [c for c in expect.ruled_out if c not in ruled]
    if not_ruled:
        failures.append(f"expected {not_ruled} ruled out; ruled out: {sorted(ruled)}")
    for cause, least in sorted(expect.min_certainty.items()):
        if cause not in found:
            failures.append(f"{cause}: expected certainty {least} or more, but it does not hold")
        elif found[cause].certainty < least:
            failures.append(f"{cause}: certainty {found[cause].certainty} < {least}")
    for cause, most in sorted(expect.max_certainty.items()):
        if cause in found and found[cause].certainty > most:
            failures.append(f"{cause}: certainty {found[cause].certainty} > {most}")
    asked = [q.fact for q in result.questions]
    unasked = [f for f in expect.questions if f not in asked]
    if unasked:
        failures.append(f"expected questions {unasked}; asked {asked}")
    still_asked = [f for f in expect.not_asked if f in asked]
    if still_asked:
        failures.append(f"questions {still_asked} must not be asked, but are")
    if expect.first_question is not None and asked[:1] != [expect.first_question]:
        failures.append(f"expected first question {expect.first_question!r}; got "
                        f"{repr(asked[0]) if asked else 'no question at all'}")
    for cause, words in sorted(expect.remediation_contains.items()):
        text = (found[cause].remediation or "") if cause in found else ""
        lacking = [w for w in words if w not in text]
        if cause not in found:
            failures.append(f"remediation of {cause}: the cause does not hold")
        elif lacking:
            flat = " ".join(text.split())
            shown = flat if len(flat) <= 240 else flat[:239] + "…"
            failures.append(f"remediation of {cause} lacks {lacking}; it reads: {shown!r}")
    if not isinstance(expect, TestExpectation):
        return failures, None
    fired = set(result.rules_fired)
    not_fired = [r for r in expect.fired if r not in fired]
    if not_fired:
        failures.append(f"expected rules {not_fired} to fire; fired: {sorted(fired)}")
    loud = [r for r in expect.silent if r in fired]
    if loud:
        failures.append(f"rules {loud} must stay silent, but fired")
    diffs: list[str] = []
    for cause, golden_name in sorted(expect.remediation_golden.items()):
        golden = (base / golden_name).resolve()
        if (
            not golden.is_relative_to(base.resolve())
            or golden.suffix in (".yaml", ".yml")
            or (golden.exists() and not golden.is_file())
        ):
            failures.append(
                f"golden file {golden_name} must be a file of its own under the test file's "
                "folder, not a directory or a YAML file"
            )
            continue
        text = ((found[cause].remediation or "") + "\n") if cause in found else ""
        if cause not in found:
            failures.append(f"golden remediation of {cause}: the cause does not hold")
            continue
        try:
            if update_golden:
                golden.parent.mkdir(parents=True, exist_ok=True)
                golden.write_text(text, encoding="utf-8")
                continue
            if not golden.is_file():
                failures.append(
                    f"golden file {golden_name} is missing (run with --update-golden)"
                )
                continue
            expected = golden.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            failures.append(f"golden file {golden_name} cannot be used: {error}")
            continue
        if expected != text:
            failures.append(f"remediation of {cause} differs from {golden_name}")
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        expected.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        fromfile=golden_name,
                        tofile=f"{cause} (rendered)",
                    )
                )
            )
    return failures, "\n".join(diffs) or None


def run_tests(
    kb: KnowledgeBase,
    files: Sequence[Path] | None = None,
    *,
    update_golden: bool = False,
    packs: Sequence[str] | None = None,
) -> TestReport:
    """Run every case of the given test files (default: those beside the KB's rules).

    With ``packs``, only those packs' tests run and coverage is reported for them alone.

    Raises:
        KnowledgeBaseError: a test file that cannot be read, or names an unknown pack.
    """
    loaded = checked_test_files(kb, files)
    fired: dict[tuple[str, str], bool] = {}
    silenced: dict[tuple[str, str], bool] = {}
    cause_fired: dict[tuple[str, str], bool] = {}
    cause_silenced: dict[tuple[str, str], bool] = {}
    results: list[CaseResult] = []
    chosen = sorted(packs) if packs else sorted(kb.packs)
    unknown = [p for p in chosen if p not in kb.packs]
    if unknown:
        from syncdoctor.errors import PackError

        raise PackError(unknown[0], sorted(kb.packs), nearest(unknown[0], kb.packs))
    loaded = [(path, t) for path, t in loaded if t.pack in chosen]
    for path, test_file in loaded:
        pack = kb.packs[test_file.pack]
        for case in test_file.resolved():
            try:
                result = diagnose(case.facts, pack=pack.id, kb=kb, now=case.now)
            except SyncdoctorError as error:
                results.append(CaseResult(file=display_path(path), name=case.name, pack=pack.id,
                                          passed=False, failures=[f"diagnose failed: {error}"]))
                continue
            failures, diff = check_case(case, result, path.parent, update_golden)
            results.append(
                CaseResult(file=display_path(path), name=case.name, pack=pack.id,
                           passed=not failures, failures=failures, diff=diff)
            )
            fired_here = set(result.rules_fired)
            for rule in pack.rules:
                key = (pack.id, rule.id)
                hit = rule.id in fired_here
                fired[key] = fired.get(key, False) or hit
                silenced[key] = silenced.get(key, False) or not hit
            causes_here = set(result.cause_ids)
            for cause in pack.playbook.causes:
                key = (pack.id, cause)
                hit = cause in causes_here
                cause_fired[key] = cause_fired.get(key, False) or hit
                cause_silenced[key] = cause_silenced.get(key, False) or not hit
    rules = [
        Coverage(id=rule.id, pack=pack_id, fired=fired.get((pack_id, rule.id), False),
                 silenced=silenced.get((pack_id, rule.id), False))
        for pack_id in chosen
        for rule in kb.packs[pack_id].rules
    ]
    causes = [
        Coverage(id=cause, pack=pack_id, fired=cause_fired.get((pack_id, cause), False),
                 silenced=cause_silenced.get((pack_id, cause), False))
        for pack_id in chosen
        for cause in sorted(kb.packs[pack_id].playbook.causes)
    ]
    corpus = [check_text(kb, t.pack, entry) for _, t in loaded for entry in t.corpus]
    runs = run_examples(kb, chosen, update_golden=update_golden)
    examples = [
        CaseResult(file=display_path(run.path), name=run.name, pack=run.pack,
                   passed=not run.failures, failures=run.failures, diff=run.diff)
        for run in runs
    ]
    outcomes = [r.passed for r in results] + [c.passed for c in corpus] + [
        e.passed for e in examples]
    passed = sum(outcomes)
    return TestReport(
        totals=Totals(passed=passed, failed=len(outcomes) - passed),
        cases=results,
        rules=rules,
        causes=causes,
        corpus=corpus,
        examples=examples,
        example_causes=_example_coverage(kb, chosen, runs),
        without_examples=sorted(set(chosen) - {run.pack for run in runs}),
    )


def _example_coverage(kb: KnowledgeBase, chosen: Sequence[str], runs: Sequence[ExampleRun]
                      ) -> list[Coverage]:
    """Each cause of a pack with examples: held by one example, absent from another."""
    diagnosed = [run for run in runs if run.ran and run.pack in kb.packs]
    return [
        Coverage(id=cause, pack=pack_id,
                 fired=any(cause in run.causes for run in mine),
                 silenced=any(cause not in run.causes for run in mine))
        for pack_id in chosen
        for mine in [[run for run in diagnosed if run.pack == pack_id]]
        if mine
        for cause in sorted(kb.packs[pack_id].playbook.causes)
    ]


def report_text(report: TestReport) -> str:
    """Readable text: one line per case, failures and diffs, then coverage gaps."""
    lines: list[str] = []
    for case in report.cases:
        mark = "PASS" if case.passed else "FAIL"
        lines.append(f"{mark}  {case.pack}: {case.name}  ({case.file})")
        for failure in case.failures:
            lines.append(f"      - {failure}")
        if case.diff:
            lines.extend("      " + line for line in case.diff.splitlines())
    for text in report.corpus:
        mark = "PASS" if text.passed else "FAIL"
        lines.append(f"{mark}  {text.pack}: corpus {_short(text.text)}")
        lines.extend(f"      - {failure}" for failure in text.failures)
    for example in report.examples:
        mark = "PASS" if example.passed else "FAIL"
        lines.append(f"{mark}  {example.pack}: example {example.name}  ({example.file})")
        lines.extend(f"      - {failure}" for failure in example.failures)
        if example.diff:
            lines.extend("      " + line for line in example.diff.splitlines())
    gaps: list[str] = []
    for kind, entries, by in (("rule", report.rules, "a case"), ("cause", report.causes, "a case"),
                              ("cause", report.example_causes, "an example")):
        for entry in entries:
            if not entry.fired:
                gaps.append(f"{kind} {entry.pack}/{entry.id} is never fired by {by}")
            if not entry.silenced:
                gaps.append(f"{kind} {entry.pack}/{entry.id} is never kept silent by {by}")
    rules_full = sum(1 for r in report.rules if r.fired and r.silenced)
    causes_full = sum(1 for c in report.causes if c.fired and c.silenced)
    examples_full = sum(1 for c in report.example_causes if c.fired and c.silenced)
    lines.append("")
    lines.append(
        f"{report.totals.passed} passed, {report.totals.failed} failed; coverage both ways: "
        f"rules {rules_full}/{len(report.rules)}, causes {causes_full}/{len(report.causes)}"
        + (f", causes by examples {examples_full}/{len(report.example_causes)}"
           if report.example_causes else "")
    )
    lines.extend(f"  gap: {gap}" for gap in gaps)
    lines.extend(
        f"  note: pack {pack} has no example case (examples/{pack}/*.yaml, in its KB folder)"
        for pack in report.without_examples)
    lines.extend(corpus_summary(report))
    return "\n".join(lines) + "\n"


def corpus_summary(report: TestReport) -> list[str]:
    """Per pack: texts, routed to it, and given their cause by the text itself."""
    packs = sorted({t.pack for t in report.corpus})
    out = [
        f"corpus {pack}: {len(texts)} text{'s' if len(texts) != 1 else ''}, "
        f"{sum(t.routed for t in texts)} routed right, "
        f"{sum(t.cause_from_text for t in texts)} with a cause from the text "
        f"(certainty >= {TEXT_CAUSE_CERTAINTY})"
        for pack in packs
        for texts in [[t for t in report.corpus if t.pack == pack]]
    ]
    return out


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= 72 else flat[:71] + "…")


def report_json(report: TestReport) -> dict[str, Any]:
    """The report as plain JSON data."""
    return report.model_dump(mode="json")
