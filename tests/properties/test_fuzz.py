"""Bad input: arbitrary text and values never crash the parser or the record reader.

Whatever the input, the answer is a result or one of the project's own errors
(``ReasonerError`` subclasses, which carry a position or a field path); never a bare
Python exception, never code run from the input (``eval``/``exec`` are replaced by
tripwires while the fuzzers run), and never a hang (each input has a deadline).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backspasm.reasoner.advisor.records import Record
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.errors import KnowledgeBaseError, RecordError
from backspasm.reasoner.language.program import Program
from backspasm.reasoner.language.syntax import parse_program
from tests.properties.conftest import examples
from tests.strategies import RECORD_SPEC, patients

BOUNDED = settings(deadline=timedelta(seconds=2), max_examples=examples(100))
"""Two seconds per input: generous on a loaded machine, far below any hang; 100 inputs per fuzzer by default."""

DATALOG_PIECES = (
    *"abcXY_Z019 \n\t.,()\"'\\%@:-+*<>=!",
    "not ", ":-", ".input ", ".output ", "@id ", "@evidence ", "@statement ", "symptom_days(D)", "D < 28",
    '"quoted"', '"\\q"', "item(a, b)", "X = Y + 1", "% comment\n", "number", "symbol", "any", "-5", "__import__",
    "eval(", "os.system('true')",
)  # fmt: skip


def datalog_like_text() -> st.SearchStrategy[str]:
    """Text made of Datalog's own tokens, so the fuzzing gets past the first character."""
    return st.lists(st.sampled_from(DATALOG_PIECES), max_size=40).map("".join)


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    )


def record_like_values() -> st.SearchStrategy[dict[str, Any]]:
    """The record's own field names with arbitrary values, and valid records with one field spoiled."""
    names = [field.name for field in RECORD_SPEC.fields]
    spoiled = st.builds(
        lambda record, name, value: {**record, name: value}, patients(), st.sampled_from(names), json_values()
    )
    return st.dictionaries(st.sampled_from(names), json_values(), max_size=len(names)) | spoiled


def json_like_text() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from(list('{}[]":,0123456789.-eE ') + ["true", "false", "null", "NaN", "1e400", '"age"'])
    return st.text() | st.lists(alphabet, max_size=40).map("".join) | json_values().map(json.dumps)


@contextmanager
def no_code_execution() -> Iterator[None]:
    """Replace ``eval`` and ``exec`` with tripwires: reading input must never call them."""

    def tripwire(*arguments: Any, **keywords: Any) -> Any:
        raise AssertionError("input reached eval/exec")

    saved = builtins.eval, builtins.exec
    builtins.eval, builtins.exec = tripwire, tripwire
    try:
        yield
    finally:
        builtins.eval, builtins.exec = saved


def parses_or_says_why(text: str) -> None:
    with no_code_execution():
        try:
            assert isinstance(parse_program(text), Program)
        except KnowledgeBaseError as error:
            assert error.problems and all(problem.position.line >= 0 for problem in error.problems)


def reads_or_says_why(advisor: Advisor, value: Any) -> None:
    with no_code_execution():
        try:
            assert isinstance(advisor.read_record(value), Record)
        except RecordError as error:
            assert error.problems and str(error)


@BOUNDED
@given(st.text())
def test_any_text_parses_or_raises_a_knowledge_base_error(text: str) -> None:
    parses_or_says_why(text)


@BOUNDED
@given(datalog_like_text())
def test_datalog_like_text_parses_or_raises_a_knowledge_base_error(text: str) -> None:
    parses_or_says_why(text)


@BOUNDED
@given(json_values())
def test_any_json_value_reads_as_a_record_or_raises_a_record_error(advisor: Advisor, value: Any) -> None:
    reads_or_says_why(advisor, value)


@BOUNDED
@given(record_like_values())
def test_records_with_arbitrary_field_values_read_or_raise_a_record_error(advisor: Advisor, value: Any) -> None:
    reads_or_says_why(advisor, value)


@BOUNDED
@given(json_like_text())
def test_any_json_text_reads_as_a_record_or_raises_a_record_error(advisor: Advisor, text: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        assume(False)
    reads_or_says_why(advisor, value)


def test_python_in_knowledge_base_text_is_only_ever_a_syntax_error() -> None:
    for text in ('__import__("os").system("true")', 'p(X) :- X = eval("1").', "exec('x = 1')."):
        try:
            parse_program(text)
        except KnowledgeBaseError as error:
            assert error.problems[0].check == "syntax"
        else:
            raise AssertionError(f"{text!r} parsed")
