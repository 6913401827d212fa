"""The small facade another program embeds: load an advisor, give it records, read answers.

Everything here is defined in the layers below (see docs/architecture.md); this module
only names what an embedding program needs, so that its imports never depend on where a
class lives inside the package.

>>> from backspasm import bundled_kb
>>> advisor = load_advisor(bundled_kb())
>>> answer = advisor.recommend({"id": "doc", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0})
>>> answer.codes()["muscle_relaxant_short_course"]
'consider'
>>> answer.item("muscle_relaxant_short_course").parameters["course_days_max"]
7
"""

from __future__ import annotations

from .advisor.advisor import Advisor, advisor_for, load_advisor
from .advisor.answer import Answer, Item
from .advisor.records import Record
from .knowledge.kb import KnowledgeBase, load_kb
from .language.engine import Engine, Fact
from .language.session import Session

__all__ = [
    "Advisor",
    "Answer",
    "Engine",
    "Fact",
    "Item",
    "KnowledgeBase",
    "Record",
    "Session",
    "advisor_for",
    "load_advisor",
    "load_kb",
]
