"""10. Same input, same output, byte for byte, whatever the order, the threads or the batch size.

pyDatalog keeps thread-local global state; the engine isolates each query. These tests
compare the answer JSON of a fixed set of patients answered one by one, in shuffled
orders, in batches of different sizes, and from a thread pool.
"""

from __future__ import annotations

import itertools
import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import boundary_records
from tests.conftest import EXAMPLES

Record = dict[str, Any]


def answer_json(advisor: Advisor, record: Record) -> str:
    return json.dumps(advisor.recommend(record).to_json(), sort_keys=True)


@pytest.fixture(scope="module")
def cohort(advisor: Advisor) -> list[Record]:
    """The example patients and a spread of boundary patients (grid and code options).

    Every patient is answered in a fresh thread by each batch-size test (each thread compiles
    the rules anew), so the spread is every 3000th boundary patient, about 60 of them.
    """
    examples = [json.loads(path.read_text()) for path in sorted(EXAMPLES.glob("*.json"))]
    return examples + list(itertools.islice(boundary_records(advisor, "full"), 0, None, 3000))


@pytest.fixture(scope="module")
def expected(advisor: Advisor, cohort: list[Record]) -> list[str]:
    """The answers one by one, in order, in the test's own thread."""
    return [answer_json(advisor, record) for record in cohort]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_10_answers_do_not_depend_on_the_order_patients_are_answered_in(
    advisor: Advisor, cohort: list[Record], expected: list[str], seed: int
) -> None:
    order = list(range(len(cohort)))
    random.Random(seed).shuffle(order)
    shuffled = {index: answer_json(advisor, cohort[index]) for index in order}
    assert [shuffled[index] for index in range(len(cohort))] == expected


@pytest.mark.parametrize("workers", [2, 4])
def test_10_answers_from_a_thread_pool_equal_answers_one_by_one(
    advisor: Advisor, cohort: list[Record], expected: list[str], workers: int
) -> None:
    order = list(range(len(cohort))) * 3
    random.Random(workers).shuffle(order)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda index: (index, answer_json(advisor, cohort[index])), order))
    assert all(answer == expected[index] for index, answer in answers)


@pytest.mark.parametrize("batch_size", [1, 3, 7])
def test_10_answers_do_not_depend_on_the_batch_size(
    advisor: Advisor, cohort: list[Record], expected: list[str], batch_size: int
) -> None:
    answers: list[str] = []
    for start in range(0, len(cohort), batch_size):
        batch = cohort[start : start + batch_size]
        with ThreadPoolExecutor(max_workers=len(batch)) as pool:
            answers += list(pool.map(lambda record: answer_json(advisor, record), batch))
    assert answers == expected


def test_10_an_answer_is_byte_for_byte_the_same_every_time(
    advisor: Advisor, cohort: list[Record], expected: list[str]
) -> None:
    assert [answer_json(advisor, record) for record in cohort] == expected
    assert len(cohort) > 50
