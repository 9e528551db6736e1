"""The order of the causes held: root causes before their consequences, then certainty.

A cause whose playbook entry ``follows`` another held cause is a consequence of it ("retries
exhausted" follows a missing terms code): it is listed right after that root, never before,
and its remediation becomes the root's next steps. Independent causes come by certainty
(highest first), then playbook step, then id.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.kb.spec import CauseSpec
from syncdoctor.types import JsonValue

__all__ = ["rank_causes"]

Data = dict[str, JsonValue]


def _number(value: JsonValue) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def rank_causes(
    causes: list[Data], specs: Mapping[str, CauseSpec], step_order: Mapping[str, int]
) -> list[Data]:
    """The causes in the order to fix them, consequences folded into their roots."""
    if len(causes) < 2:  # most diagnoses: nothing to order, no other cause to follow
        return list(causes)
    by_id = {str(c["id"]): c for c in causes}
    independent = sorted(
        causes,
        key=lambda c: (-_number(c["certainty"]), step_order[str(c["step"])], str(c["id"])),
    )
    rank = {str(c["id"]): position for position, c in enumerate(independent)}
    root_of: dict[str, str] = {}
    for cause_id in by_id:
        held = [r for r in specs[cause_id].follows if r in by_id and r != cause_id]
        if held:
            root_of[cause_id] = min(held, key=rank.__getitem__)
    ordered: list[Data] = []
    placed: set[str] = set()

    def place(cause_id: str) -> None:
        placed.add(cause_id)
        ordered.append(by_id[cause_id])
        if not root_of:  # most diagnoses: no cause held follows another
            return
        followers = sorted((c for c, r in root_of.items() if r == cause_id), key=rank.__getitem__)
        for follower in followers:
            if follower not in placed:
                by_id[follower]["follows"] = [cause_id]
                place(follower)  # first: what follows from the follower is folded into it
                _fold(by_id[cause_id], by_id[follower])

    for cause in independent:
        cause_id = str(cause["id"])
        if cause_id not in placed and cause_id not in root_of:
            place(cause_id)
    for cause in independent:  # a cycle of 'follows': keep the rest in their own order
        if str(cause["id"]) not in placed:
            place(str(cause["id"]))
    return ordered


def _fold(root: Data, consequence: Data) -> None:
    """The consequence's steps become the root's next steps."""
    steps = consequence.get("remediation")
    if not isinstance(steps, str) or not isinstance(root.get("remediation"), str):
        return
    root["remediation"] = (
        f"{str(root['remediation']).rstrip()}\n\nThen, for what follows from it "
        f"({consequence['title']}):\n\n{steps.strip()}\n"
    )
