"""The compiler: a pack's YAML rules to durable_rules rulesets, inside its limits."""

from syncdoctor.engine.compiler.model import (
    Alternative,
    CompiledPack,
    Entry,
    PlainTest,
    RegexTest,
    RuleCapacityError,
    RuleShapeError,
)
from syncdoctor.engine.compiler.translate import compile_pack, top_level

__all__ = [
    "Alternative",
    "CompiledPack",
    "Entry",
    "PlainTest",
    "RegexTest",
    "RuleCapacityError",
    "RuleShapeError",
    "compile_pack",
    "top_level",
]
