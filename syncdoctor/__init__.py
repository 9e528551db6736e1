"""syncdoctor: diagnose data that differs or fails to sync between business applications.

The public surface is small on purpose::

    from syncdoctor import diagnose
    result = diagnose({"sync.status": "failed", "error.message": "HTTP 500"}, pack="impac")
    for cause in result.causes:
        print(cause.title, cause.certainty)

A guided interview, one question at a time, kept in a session store::

    from syncdoctor import Interview, MemoryStore
    iv = Interview.start(store=MemoryStore(), pack="connectbooster")
    question = iv.next_question()
    iv.skip(question.fact)                       # "I don't know": never asked again
    iv.answer("payment.applied_manually", "yes")
    print(iv.diagnosis.causes[0].title)

Names are imported on first use (PEP 562), so ``import syncdoctor`` loads neither durable_rules
nor Jinja2 nor RE2 until a diagnosis or a knowledge base needs them.
"""

import importlib as _importlib
import typing as _typing

from syncdoctor._version import __version__

if _typing.TYPE_CHECKING:
    from syncdoctor.collectors.lazy import diagnose
    from syncdoctor.diagnosis.result import (
        Cause,
        Diagnosis,
        Escalation,
        Evidence,
        Question,
        RuledOut,
    )
    from syncdoctor.engine.knowledge import KnowledgeBase, load_kb
    from syncdoctor.errors import (
        CapacityError,
        CaseFileError,
        EngineError,
        FactError,
        KnowledgeBaseError,
        PackError,
        Problem,
        SyncdoctorError,
    )
    from syncdoctor.interview.errors import InterviewError, StoreError
    from syncdoctor.interview.session import Interview
    from syncdoctor.interview.sqlite_store import SqliteStore
    from syncdoctor.interview.store import MemoryStore

_WHERE: dict[str, str] = {
    "diagnose": "syncdoctor.collectors.lazy",
    "Cause": "syncdoctor.diagnosis.result",
    "Diagnosis": "syncdoctor.diagnosis.result",
    "Escalation": "syncdoctor.diagnosis.result",
    "Evidence": "syncdoctor.diagnosis.result",
    "Question": "syncdoctor.diagnosis.result",
    "RuledOut": "syncdoctor.diagnosis.result",
    "KnowledgeBase": "syncdoctor.engine.knowledge",
    "load_kb": "syncdoctor.engine.knowledge",
    "CapacityError": "syncdoctor.errors",
    "CaseFileError": "syncdoctor.errors",
    "EngineError": "syncdoctor.errors",
    "FactError": "syncdoctor.errors",
    "KnowledgeBaseError": "syncdoctor.errors",
    "PackError": "syncdoctor.errors",
    "Problem": "syncdoctor.errors",
    "SyncdoctorError": "syncdoctor.errors",
    "Interview": "syncdoctor.interview.session",
    "InterviewError": "syncdoctor.interview.errors",
    "MemoryStore": "syncdoctor.interview.store",
    "SqliteStore": "syncdoctor.interview.sqlite_store",
    "StoreError": "syncdoctor.interview.errors",
}
"""Public name -> the module that defines it."""

__all__ = [
    "CapacityError",
    "CaseFileError",
    "Cause",
    "Diagnosis",
    "EngineError",
    "Escalation",
    "Evidence",
    "FactError",
    "Interview",
    "InterviewError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MemoryStore",
    "PackError",
    "Problem",
    "Question",
    "RuledOut",
    "SqliteStore",
    "StoreError",
    "SyncdoctorError",
    "__version__",
    "diagnose",
    "load_kb",
]


def __getattr__(name: str) -> object:
    """Import a public name on first use, and keep it."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'syncdoctor' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, as ``dir(syncdoctor)`` lists them."""
    return sorted(__all__)
