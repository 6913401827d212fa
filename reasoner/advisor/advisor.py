"""An advisor: a guideline knowledge base with its record description and answer vocabulary.

An advisor is a guideline knowledge base together with its record description and its
answer vocabulary (``record`` and ``answer`` data files of the manifest).

>>> from pathlib import Path
>>> advisor = load_advisor(Path(__file__).resolve().parents[2] / "kb")
>>> answer = advisor.recommend({"id": "doc", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0})
>>> answer.codes()["muscle_relaxant_short_course"]
'consider'
>>> answer.item("muscle_relaxant_short_course").parameters["course_days_max"]
7
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KnowledgeBaseError, Problem, QueryError, SourcePosition
from ..knowledge.kb import KnowledgeBase, load_kb
from ..language.program import Atom, Constant, Variable
from ..language.session import Session
from . import answer as answers
from . import records
from .answer import Answer
from .answer_spec import AnswerSpec, read_spec, unconditional_items
from .records import Record, RecordSpec
from .summary import Summary, summarize

if TYPE_CHECKING:
    from ..explain.counterfactual import Analysis
    from ..explain.explanation import Proof, WhyNot
    from .change_spec import ChangeSpec
    from .changes import Changes


@dataclass(frozen=True)
class Advisor:
    """A loaded guideline advisor. Immutable and safe to share between threads."""

    kb: KnowledgeBase
    record_spec: RecordSpec
    answer_spec: AnswerSpec

    def __repr__(self) -> str:
        """Name and version only: the program and vocabularies would make a repr of hundreds of kilobytes."""
        return f"Advisor({self.kb.name} {self.kb.version})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The same short form for pretty printers (IPython, Hypothesis), which would list every field."""
        printer.text(repr(self))

    @property
    def identity(self) -> dict[str, str]:
        return {"name": self.kb.name, "version": self.kb.version}

    def read_record(self, data: Any, source: str = "") -> Record:
        """Validate a parsed record (dict from JSON or YAML); raises RecordError naming the field."""
        return self.record_spec.read(data, source)

    def session(self, record: Record | dict[str, Any]) -> Session:
        """Open a session on one record's facts, for queries beyond the answer."""
        return self.kb.session(self._record(record).facts)

    def recommend(self, record: Record | dict[str, Any]) -> Answer:
        """The answer for one patient: items by kind, each with parameters, rules and evidence."""
        checked = self._record(record)
        with self.kb.session(checked.facts) as session:
            return answers.assemble(session, self.answer_spec, self.kb.evidence, checked.identifier, self.identity)

    def summary(self, answer: Answer) -> Summary:
        """The plan summary of an answer: banner, plan lines and footer, as the vocabulary lays them out."""
        return summarize(answer, self.answer_spec)

    def why(self, record: Record | dict[str, Any], code: str) -> list[tuple[str, Proof]]:
        """The smallest proof of each item the answer holds for ``code``, as (kind, proof).

        Empty when the answer has no item with that code: ask :meth:`why_not` instead.
        """
        from ..explain.tracer import why

        self._check_code(code)
        with self.session(record) as session:
            return [
                (str(kind), why(session, self._item_atom(code, str(kind)))[0])
                for _, kind in session.query(self.answer_spec.items, code, None)
            ]

    def why_not(self, record: Record | dict[str, Any], code: str, kind: str | None = None) -> list[tuple[str, WhyNot]]:
        """Why ``code`` is not offered: one explanation per offering kind the answer lacks.

        With ``kind``, only that kind. An item the answer does hold is not explained here.
        """
        from ..explain.tracer import why_not

        self._check_code(code)
        if kind is not None and kind not in self.answer_spec.kinds:
            raise QueryError(f"unknown kind {kind!r}; allowed: {', '.join(self.answer_spec.kinds)}")
        kinds = (kind,) if kind is not None else self.answer_spec.offering_kinds or self.answer_spec.kinds
        with self.session(record) as session:
            held = {str(row[1]) for row in session.query(self.answer_spec.items, code, None)}
            return [(wanted, why_not(session, self._item_atom(code, wanted))) for wanted in kinds if wanted not in held]

    def proofs(
        self,
        record: Record | dict[str, Any],
        code: str,
        kind: str | None = None,
        *,
        every: bool = False,
        limit: int = 10,
    ) -> tuple[Atom, list[Proof]]:
        """The item explained and its proofs, smallest first (only the smallest unless ``every``).

        The item is the one the answer holds for ``code`` as ``kind``, or, without a kind,
        the first kind the answer holds it as. When the answer does not hold it the proofs
        are empty and the atom's kind is ``_``: ask :meth:`absences` instead.
        """
        from ..explain.tracer import why

        self._check_code(code)
        self._check_kind(kind)
        with self.session(record) as session:
            held = [str(row[1]) for row in session.query(self.answer_spec.items, code, None)]
            chosen = kind or (held[0] if held else None)
            if chosen is None:
                return Atom(self.answer_spec.items, (Constant(code), Variable("_"))), []
            atom = self._item_atom(code, chosen)
            return atom, why(session, atom, all_proofs=every, limit=limit)

    def absences(self, record: Record | dict[str, Any], code: str, kind: str | None = None) -> list[WhyNot]:
        """Why the answer lacks ``code``: for each kind a rule could give it (or ``kind``), the failed conditions.

        Without a kind every kind but ``avoid`` is asked; kinds no rule could give at all are
        left out beside those a rule could give. When no rule offers the code at all, the
        explanation of ``recommend`` (or of the first kind) says what the knowledge base holds.
        """
        from ..explain.tracer import why_not

        self._check_code(code)
        self._check_kind(kind)
        kinds = [kind] if kind else [name for name in self.answer_spec.kinds if name != "avoid"]
        with self.session(record) as session:
            every = [why_not(session, self._item_atom(code, name)) for name in kinds]
        explanations = [explanation for explanation in every if explanation.kind != "no-rule"]
        if explanations:
            return explanations
        return [next((e for e in every if e.fact.arguments[1] == Constant("recommend")), every[0])]

    @property
    def declares_changes(self) -> bool:
        """True when the knowledge base says what may change in a record (``data.changes`` of the manifest)."""
        return "changes" in self.kb.data

    @cached_property
    def change_spec(self) -> ChangeSpec:
        """What may change in a record and how time changes it, read on first use (it needs pydantic)."""
        from .change_spec import read_change_spec

        if not self.declares_changes:
            raise QueryError("this knowledge base declares no changes: name a changes file in manifest.yaml's data")
        return read_change_spec(self.kb.data["changes"], self.record_spec)

    @cached_property
    def analysis(self) -> Analysis:
        """The program's comparisons and dependencies, worked out once for every counterfactual search."""
        from ..explain.counterfactual import Analysis

        return Analysis(self.kb.program)

    def changes(
        self,
        record: Record | dict[str, Any],
        code: str,
        kind: str,
        *,
        horizon_days: int | None = None,
        max_changes: int | None = None,
    ) -> Changes:
        """What would change ``item(code, kind)`` for this patient, and when.

        For an item the answer lacks: the smallest changes of the record (fewest, then
        soonest) that make it hold; for one it holds: those that end it. The changes
        file of the knowledge base says what may change; every change returned was
        answered by the engine first. ``horizon_days`` and ``max_changes`` override it.

        >>> from backspasm import bundled_kb
        >>> advisor = load_advisor(bundled_kb())
        >>> record = {"id": "doc", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0,
        ...           "medications": [{"code": "maoi", "days_since_last_dose": 10}]}
        >>> changes = advisor.changes(record, "muscle_relaxant_short_course", "consider")
        >>> [(option.days, option.reached[0].text) for option in changes.options]
        [(4, 'monoamine oxidase inhibitor was last taken 14 days before')]
        """
        from .changes import find_changes

        self._check_code(code)
        self._check_kind(kind)
        for name, value in (("horizon_days", horizon_days), ("max_changes", max_changes)):
            if value is not None and value < 0:
                raise QueryError(f"{name} must be 0 or more, not {value}")
        return find_changes(
            self, self._record(record), code, str(kind), horizon_days=horizon_days, max_changes=max_changes
        )

    def why_not_changes(self, record: Record | dict[str, Any], explanations: list[WhyNot]) -> list[Changes]:
        """:meth:`changes` of each item an explanation of :meth:`absences` is about, in the same order."""
        from .changes import why_not_changes

        return why_not_changes(self, self._record(record), explanations)

    def _check_kind(self, kind: str | None) -> None:
        if kind is not None and kind not in self.answer_spec.kinds:
            raise QueryError(f"unknown kind {kind!r}; allowed: {', '.join(self.answer_spec.kinds)}")

    def _item_atom(self, code: str, kind: str) -> Atom:
        return Atom(self.answer_spec.items, (Constant(code), Constant(kind)))

    def _check_code(self, code: str) -> None:
        if code not in self.answer_spec.codes:
            known = ", ".join(self.answer_spec.codes)
            raise QueryError(f"unknown answer code {code!r}; known codes: {known}")

    def violations(self, record: Record | dict[str, Any]) -> list[str]:
        """Names of the integrity constraints (``violation/1``) the answer breaks; none when sound."""
        if ("violation", 1) not in self.kb.program.defined_predicates():
            return []
        with self.session(record) as session:
            return [str(row[0]) for row in session.query("violation", None)]

    def _record(self, record: Record | dict[str, Any]) -> Record:
        return record if isinstance(record, Record) else self.read_record(record)


def load_advisor(path: str | Path) -> Advisor:
    """Load a guideline knowledge base directory with its ``record`` and ``answer`` data files."""
    return advisor_for(load_kb(path), path)


def advisor_for(kb: KnowledgeBase, path: str | Path) -> Advisor:
    """The advisor of an already loaded knowledge base (read from ``path``): checks its record and answer."""
    problems: list[Problem] = []
    for name in ("record", "answer"):
        if name not in kb.data:
            problems.append(
                Problem(SourcePosition(str(Path(path) / "manifest.yaml"), 1, 1), "manifest", f"data.{name} is required")
            )
    if problems:
        raise KnowledgeBaseError(problems)
    record_spec = records.read_spec(kb.data["record"])
    answer_spec = read_spec(kb.data["answer"])
    problems += record_spec.check_against(kb.program, kb.data["record"])
    problems += answer_spec.check_against(kb.program, kb.data["answer"])
    if problems:
        raise KnowledgeBaseError(problems)
    answer_spec = replace(
        answer_spec,
        values={**record_spec.code_words(), **answer_spec.values},
        everyone=unconditional_items(kb.program, answer_spec),
    )
    return Advisor(kb, record_spec, answer_spec)
