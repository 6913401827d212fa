"""A safe Datalog front end on pyDatalog: parse, validate, evaluate per subject in isolation.

The reasoner knows nothing about any particular domain; a knowledge base brings the
rules, the evidence and the vocabularies. The public API is what ``__all__`` lists.
"""

from reasoner.answer import Answer, Item
from reasoner.api import Advisor, load_advisor
from reasoner.engine import Engine, Fact
from reasoner.errors import (
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
from reasoner.kb import KnowledgeBase, load_kb
from reasoner.records import Record
from reasoner.session import Session

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
