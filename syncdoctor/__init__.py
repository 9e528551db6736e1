"""syncdoctor: diagnose data that differs or fails to sync between business applications.

The public surface is small on purpose::

    from syncdoctor import diagnose
    result = diagnose({"sync.status": "failed", "sync.error_message": "HTTP 500"}, pack="impac")
    for cause in result.causes:
        print(cause.title, cause.certainty)
"""

from syncdoctor._version import __version__
from syncdoctor.engine.diagnose import diagnose
from syncdoctor.engine.kb import KnowledgeBase, load_kb
from syncdoctor.engine.result import (
    Cause,
    Diagnosis,
    Escalation,
    Evidence,
    Question,
    RuledOut,
)
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

__all__ = [
    "CapacityError",
    "CaseFileError",
    "Cause",
    "Diagnosis",
    "EngineError",
    "Escalation",
    "Evidence",
    "FactError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "PackError",
    "Problem",
    "Question",
    "RuledOut",
    "SyncdoctorError",
    "__version__",
    "diagnose",
    "load_kb",
]
