"""One contract for chatbots, reached from Python, the CLI, HTTP and MCP alike.

Plain Python, with no web framework::

    from syncdoctor.tools import diagnose, explain, list_packs, describe_facts
    result = diagnose({"sync.status": "failed"}, pack="impac", max_questions=3,
                      include=["evidence"])
    why_not = explain("sync_in_progress", {"sync.status": "failed"}, pack="impac")

Errors are :class:`syncdoctor.SyncdoctorError` subclasses; :func:`problem_of` turns one into a
:class:`ToolProblem` (code, fact, expected, suggestion, every field at fault).
"""

from syncdoctor.tools.catalogue import FactCatalogue, FactDescription, PackList, PackSummary
from syncdoctor.tools.contract import call_tool, describe_facts, diagnose, explain, list_packs
from syncdoctor.tools.problems import FieldError, ToolProblem, problem_of
from syncdoctor.tools.requests import Include

__all__ = [
    "FactCatalogue",
    "FactDescription",
    "FieldError",
    "Include",
    "PackList",
    "PackSummary",
    "ToolProblem",
    "call_tool",
    "describe_facts",
    "diagnose",
    "explain",
    "list_packs",
    "problem_of",
]
