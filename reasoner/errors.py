"""Error types of the reasoner: every failure a user can cause is one of these.

Each error carries enough to point at the cause (a source position for knowledge-base
text, a field path for a record) and says what is allowed instead. Only the command
line turns them into exit codes; library callers catch :class:`ReasonerError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SourcePosition:
    """Where a piece of knowledge-base text starts: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


UNKNOWN_POSITION = SourcePosition("<unknown>", 0, 0)


@dataclass(frozen=True)
class Problem:
    """One finding about knowledge-base text: an error stops loading, a warning does not.

    ``check`` is a stable short name (``range-restriction``, ``stratification`` …) that
    documentation and tests refer to.
    """

    position: SourcePosition
    check: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.position}: {self.severity}: {self.message} [{self.check}]"


class ReasonerError(Exception):
    """Base of every error the reasoner raises on purpose."""


class KnowledgeBaseError(ReasonerError):
    """The knowledge base could not be read, parsed or validated.

    Holds every error found, not just the first, so an author fixes them in one pass.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with an input record, at a field path such as ``medications[1].code``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class RecordError(ReasonerError):
    """An input record (a patient) is not valid; ``source`` names the file or line."""

    def __init__(self, problems: list[FieldProblem] | tuple[FieldProblem, ...], source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(prefix + str(problem) for problem in self.problems))

    def located(self, source: str) -> RecordError:
        """The same problems, attributed to ``source`` (a file name or ``cohort.jsonl:12``)."""
        return RecordError(self.problems, source)


class QueryError(ReasonerError):
    """A query names an unknown predicate, has the wrong arity, or does not parse."""


class EvaluationError(ReasonerError):
    """Evaluation failed although the program validated; a defect to report, never a silent answer."""


class IsolationError(EvaluationError):
    """A session's facts were still present after the session ended: the engine refused to go on."""


class BundleError(RecordError):
    """A FHIR Bundle cannot become a record: a resource is invalid, or a needed element is missing.

    Each problem's field names the resource and element, such as
    ``entry[2] Condition/c1: onsetDateTime``, so the sender can find it in the Bundle.
    """


class EpisodeNotFoundError(BundleError):
    """The Bundle holds no current Condition of the episode the knowledge base advises on.

    A decision-support service treats this as "nothing to say", not as a bad request.
    """
