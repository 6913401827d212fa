"""A safe Datalog front end on pyDatalog: parse, validate, evaluate per subject in isolation.

The reasoner knows nothing about any particular domain; a knowledge base brings the
rules, the evidence and the vocabularies. The public API is what ``__all__`` lists; it
is loaded on first use, so that importing the package (and starting the command line)
costs nothing until a name is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .advisor.advisor import Advisor, load_advisor
    from .advisor.answer import Answer, Item
    from .advisor.records import Record
    from .errors import (
        EvaluationError,
        FieldProblem,
        IsolationError,
        KnowledgeBaseError,
        Problem,
        QueryError,
        ReasonerError,
        RecordError,
        SourcePosition,
    )
    from .knowledge.kb import KnowledgeBase, load_kb
    from .language.engine import Engine, Fact
    from .language.session import Session

_HOMES = {
    "Advisor": ".advisor.advisor",
    "load_advisor": ".advisor.advisor",
    "Answer": ".advisor.answer",
    "Item": ".advisor.answer",
    "Record": ".advisor.records",
    "KnowledgeBase": ".knowledge.kb",
    "load_kb": ".knowledge.kb",
    "Engine": ".language.engine",
    "Fact": ".language.engine",
    "Session": ".language.session",
    **dict.fromkeys(
        [
            "EvaluationError",
            "FieldProblem",
            "IsolationError",
            "KnowledgeBaseError",
            "Problem",
            "QueryError",
            "ReasonerError",
            "RecordError",
            "SourcePosition",
        ],
        ".errors",
    ),
}

__all__ = [
    "Advisor",
    "Answer",
    "Engine",
    "EvaluationError",
    "Fact",
    "FieldProblem",
    "IsolationError",
    "Item",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Problem",
    "QueryError",
    "ReasonerError",
    "Record",
    "RecordError",
    "Session",
    "SourcePosition",
    "load_advisor",
    "load_kb",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
