"""Answer a cohort: records stream in, answers stream out in input order, memory stays flat.

Work is cut into chunks of records. With one worker the chunks are answered in this
process; with several, a process pool answers them, each worker loading the knowledge
base once, and at most ``window`` chunks are in flight at any time. The reader is only
advanced when a slot frees up, so a cohort of any length needs memory for ``window``
chunks, never for the whole input (``Pool.imap`` would read the whole input ahead).

A record that is not valid becomes an :class:`Outcome` with an ``error`` (its source
line and field problems); the records around it are answered as usual.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import EvaluationError, FieldProblem, RecordError
from .advisor import Advisor
from .compact import FORMS, compact_answer
from .inputs import Entry, parsed
from .records import Record

DEFAULT_CHUNK_SIZE = 64
ENGINES = ("duckdb", "pydatalog", "spark")
"""``duckdb``: the compiled program over a chunk at once (reasoner/advisor/cohort.py);
``pydatalog``: one patient at a time, over worker processes; ``spark``: the compiled
program on Apache Spark (the ``spark`` extra), a chunk of up to a million patients at once."""
MAX_EXAMPLES = 10
WINDOW_PER_WORKER = 4
"""Chunks in flight per worker: enough to keep every worker busy, few enough to keep memory flat."""


@dataclass(frozen=True)
class Outcome:
    """What the batch says about one entry: its answer (JSON value) or its error, never both."""

    index: int
    source: str
    line: int | None
    answer: dict[str, Any] | None = None
    codes: dict[str, str] = field(default_factory=dict)
    violations: tuple[str, ...] = ()
    error: dict[str, Any] | None = None
    text: str | None = None
    """:meth:`to_text`, when it was written out beforehand (an answer shared by many subjects)."""

    def to_json(self) -> dict[str, Any]:
        """The answer, or ``{"error": …}`` (docs/schemas/batch-error.schema.json)."""
        if self.error is not None:
            return {"error": self.error}
        if self.answer is None:
            raise ValueError(f"{self.source} was only checked against the invariants (answers=False)")
        return self.answer

    def to_text(self) -> str:
        """:meth:`to_json` as one line of JSON, keys sorted, as a batch writes it."""
        if self.text is not None:
            return self.text
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    def for_subject(self, index: int, source: str, line: int | None, identifier: str) -> Outcome:
        """This outcome, of a subject whose identifier is empty, for another subject with the same rows.

        Its JSON text is this one's with the identifier put in: the answer's ``subject`` is its
        last key (keys are sorted), so the text is written once per distinct answer, not per subject.
        """
        if self.answer is None:
            return Outcome(index, source, line, violations=self.violations)
        text = self.to_text()
        if not text.endswith(EMPTY_SUBJECT):
            raise ValueError("for_subject needs the outcome of a subject with an empty identifier")
        return Outcome(
            index,
            source,
            line,
            {**self.answer, "subject": identifier},
            self.codes,
            self.violations,
            text=text[: -len(EMPTY_SUBJECT)] + '"subject":' + json.dumps(identifier) + "}",
        )


EMPTY_SUBJECT = '"subject":""}'


def error_json(error: RecordError, source: str, line: int | None) -> dict[str, Any]:
    """A record error as data: where it was and what is wrong with which field."""
    return {
        "source": error.source or source,
        "line": line,
        "problems": [{"field": problem.field, "message": problem.message} for problem in error.problems],
    }


def read_entry(advisor: Advisor, entry: Entry) -> Record | Outcome:
    """An entry's validated record, or the outcome that reports why it has none (its text parsed first)."""
    entry = parsed(entry)
    if entry.error is not None:
        return Outcome(entry.index, entry.source, entry.line, error=error_json(entry.error, entry.source, entry.line))
    try:
        return advisor.read_record(entry.data, entry.source)
    except RecordError as error:
        return Outcome(entry.index, entry.source, entry.line, error=error_json(error, entry.source, entry.line))


def answer_entry(
    advisor: Advisor, entry: Entry, *, audit: bool = False, answers: bool = True, form: str = "full"
) -> Outcome:
    """Answer one entry; a bad record gives an outcome with an error, never an exception.

    ``audit`` also checks the integrity constraints; ``answers=False`` checks only them
    (the outcome then has violations but no answer), which is all a verification needs.
    ``form="compact"`` gives the answer's compact form (reasoner/advisor/compact.py).
    """
    record = read_entry(advisor, entry)
    if isinstance(record, Outcome):
        return record
    try:
        violations = tuple(advisor.violations(record)) if audit or not answers else ()
        if not answers:
            return Outcome(entry.index, entry.source, entry.line, violations=violations)
        answer = advisor.recommend(record)
    except EvaluationError as error:
        # A record whose evaluation stops (a custom KB past its budget, say) is its own error:
        # the rest of the cohort is still answered.
        failed = RecordError([FieldProblem("", f"evaluation stopped: {error}")], entry.source)
        return Outcome(entry.index, entry.source, entry.line, error=error_json(failed, entry.source, entry.line))
    text = compact_answer(answer) if form == "compact" else answer.to_json()
    return Outcome(entry.index, entry.source, entry.line, text, answer.codes(), violations)


def answer_chunk(
    advisor: Advisor, chunk: list[Entry], audit: bool, answers: bool = True, form: str = "full"
) -> list[Outcome]:
    return [answer_entry(advisor, entry, audit=audit, answers=answers, form=form) for entry in chunk]


@cache
def _worker_advisor(kb_path: str) -> Advisor:
    """The knowledge base of one worker process, loaded on its first chunk and kept."""
    from .cache import load_advisor_cached

    return load_advisor_cached(Path(kb_path))


def _worker_chunk(kb_path: str, chunk: list[Entry], audit: bool, answers: bool, form: str) -> list[Outcome]:
    return answer_chunk(_worker_advisor(kb_path), chunk, audit, answers, form)


def _warm_up(kb_path: str) -> None:
    """A worker's start: the default signal dispositions, then the knowledge base.

    A worker leaves SIGINT (a Ctrl-C reaches every process of the terminal's group) to its
    parent, which ends the run and its workers; SIGTERM ends a worker at once, without the
    handler a forked worker inherits from the command line.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_advisor(kb_path)


def chunks(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run(
    entries: Iterable[Entry],
    advisor: Advisor | Callable[[], Advisor],
    *,
    kb_path: Path | None = None,
    workers: int = 1,
    audit: bool = False,
    answers: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    window: int | None = None,
    engine: str = "pydatalog",
    master: str | None = None,
    staging: Path | None = None,
    form: str = "full",
) -> Generator[Outcome, None, None]:
    """Outcomes of ``entries`` in input order.

    ``advisor`` (or a function that loads it) answers in this process when ``workers``
    is 1; with more workers each process loads ``kb_path`` itself. ``engine="duckdb"``
    answers each chunk set-at-a-time in this process instead (``workers`` is then unused);
    ``engine="spark"`` on Spark, whose ``master`` (``local[*]`` by default) reads the
    chunk's input facts from a temporary folder in ``staging``. ``form`` is what each answer
    holds: ``full`` (docs/schemas/answer.schema.json) or ``compact`` (reasoner/advisor/compact.py).

    >>> from backspasm.reasoner.api import load_advisor
    >>> from backspasm.reasoner.advisor.inputs import read_jsonl
    >>> advisor = load_advisor(Path(__file__).resolve().parents[2] / "kb")
    >>> lines = ['{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}', '{"id": "b"}']
    >>> [(outcome.source, outcome.error is None) for outcome in run(read_jsonl(lines, "cohort"), advisor)]
    [('cohort:1', True), ('cohort:2', False)]
    """
    if engine == "duckdb":
        # Set-at-a-time: one DuckDB database per chunk in this process; DuckDB uses the cores itself.
        from ..language.sql_engine import SqlEngine
        from .cohort import MEMORY_LIMIT, answer_chunk_sql

        local = advisor if isinstance(advisor, Advisor) else advisor()
        sql = SqlEngine(local.kb.program, memory_limit=MEMORY_LIMIT)
        for chunk in chunks(entries, chunk_size):
            yield from answer_chunk_sql(local, sql, chunk, audit, answers, form)
        return
    if engine == "spark":
        from .cohort import answer_cohort_spark

        local = advisor if isinstance(advisor, Advisor) else advisor()
        yield from answer_cohort_spark(
            local,
            entries,
            audit=audit,
            answers_wanted=answers,
            chunk_size=chunk_size,
            master=master,
            staging=staging,
            form=form,
        )
        return
    if engine != "pydatalog":
        raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
    if form not in FORMS:
        raise ValueError(f"unknown answer form {form!r}; allowed: {', '.join(FORMS)}")
    if workers <= 1:
        local = advisor if isinstance(advisor, Advisor) else advisor()
        for chunk in chunks(entries, chunk_size):
            yield from answer_chunk(local, chunk, audit, answers, form)
        return
    if kb_path is None:
        raise ValueError("several workers need kb_path: each worker process loads the knowledge base itself")
    in_flight: deque[Future[list[Outcome]]] = deque()
    limit = window or workers * WINDOW_PER_WORKER
    path = str(kb_path)
    others = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_warm_up, initargs=(path,))
    try:
        for chunk in chunks(entries, chunk_size):
            in_flight.append(pool.submit(_worker_chunk, path, chunk, audit, answers, form))
            if len(in_flight) >= limit:
                yield from in_flight.popleft().result()
        while in_flight:
            yield from in_flight.popleft().result()
    except BaseException:
        _end_workers(pool, others)
        raise
    pool.shutdown(wait=True)


def _end_workers(pool: ProcessPoolExecutor, others: set[multiprocessing.process.BaseProcess]) -> None:
    """Stop a pool at once: pending chunks cancelled, worker processes terminated and reaped.

    Called when the run is interrupted (a signal, an error, the caller closing the
    generator): waiting for the chunks in flight could take long, and a worker must never
    outlive the run that started it. The pool's workers are the child processes that were
    not there before it (``others``).
    """
    pool.shutdown(wait=False, cancel_futures=True)
    workers = [process for process in multiprocessing.active_children() if process not in others]
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


@dataclass
class Audit:
    """How many patients get each code (by kind), and the invariants any answer broke."""

    patients: int = 0
    errors: int = 0
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    """The first sources (file:line) of patients whose answer broke each invariant."""

    def add(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.errors += 1
            return
        self.add_many(1, [], Counter(outcome.codes.items()), [(name, outcome.source) for name in outcome.violations])

    def add_many(
        self,
        count: int,
        errors: list[Outcome],
        codes: Counter[tuple[str, str]] | None = None,
        violations: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``count`` outcomes, of which ``errors`` are the errors (a slice of lines), and their valid patients'
        ``codes`` and ``violations`` (invariant, source) in input order, where they were counted together."""
        self.errors += len(errors)
        self.patients += count - len(errors)
        self.codes.update(codes or {})
        for name, source in violations:
            self.violations[name] += 1
            examples = self.examples.setdefault(name, [])
            if len(examples) < MAX_EXAMPLES:
                examples.append(source)

    def to_json(self) -> dict[str, Any]:
        """The audit as data (docs/schemas/audit.schema.json)."""
        return {
            "patients": self.patients,
            "errors": self.errors,
            "codes": [
                {"code": code, "kind": kind, "patients": count} for (code, kind), count in sorted(self.codes.items())
            ],
            "violations": [
                {"invariant": name, "patients": count, "examples": self.examples[name]}
                for name, count in sorted(self.violations.items())
            ],
        }
