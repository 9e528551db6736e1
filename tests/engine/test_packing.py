"""Rules packed into rulesets by the test their chains start with, when one ruleset is not enough."""

from __future__ import annotations

from pathlib import Path

from syncdoctor import diagnose, load_kb

from support import NOW, synthetic_pack

FIELDS = 100
RULES = 600


def _kb(root: Path) -> Path:
    """Rules whose chains start on 100 fields in turn: taken in order, every ~59 rules would fill
    a ruleset's first node up to the stack limit."""
    facts = "".join(f"  f{i}: {{type: bool, ask: f{i}?}}\n" for i in range(FIELDS))
    return synthetic_pack(root, facts, [f"{{fact: f{j % FIELDS}, eq: true}}" for j in range(RULES)])


def test_rules_sharing_their_first_test_share_a_ruleset(tmp_path: Path) -> None:
    kb = load_kb([_kb(tmp_path)], bundled=False, cache=False)
    pack = kb.packs["synthetic"]
    # In their own order they need 11 rulesets; by first test, 2 (59 fields, then 41).
    assert len(pack.compiled.rulesets) == 2
    for ruleset in pack.compiled.rulesets:
        firsts = {pack.compiled.entries[name].rule % FIELDS for name in ruleset if name != "sentinel"}
        assert len(firsts) < 60
    result = diagnose({"f3": True, "f57": True, "f99": True}, kb=kb, now=NOW)
    expected = sorted(f"c{j}" for j in range(RULES) if j % FIELDS in (3, 57, 99))
    assert sorted(result.cause_ids) == expected
    assert result.rules_fired == sorted(
        f"r{j:04d}" for j in range(RULES) if j % FIELDS in (3, 57, 99)
    )
