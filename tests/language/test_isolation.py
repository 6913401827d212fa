"""Isolation is a safety property: one subject's facts never reach another's answers.

Every scenario here is compared with the answers of a fresh process, where no earlier
session can have left anything behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backspasm.reasoner import EvaluationError, KnowledgeBase, load_kb
from backspasm.reasoner.language.budget import Budget
from backspasm.reasoner.language.engine import Fact
from tests.programs import REACHABILITY, TRIAGE, triage_facts

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = range(60)
Answer = dict[str, list[list[object]]]


def answer(kb: KnowledgeBase, patient: int) -> Answer:
    with kb.session(triage_facts(patient)) as session:  # type: ignore[arg-type]
        return {
            "offer": [list(row) for row in session.query("offer", None, None)],
            "echo": [list(row) for row in session.query("echo", None)],
        }


@pytest.fixture(scope="module")
def fresh_process_answers() -> dict[int, Answer]:
    """Answers computed in a new interpreter, one brand-new knowledge base per patient."""
    script = (
        "import json, sys\n"
        "from backspasm.reasoner import load_kb\n"
        "from tests.programs import TRIAGE\n"
        "from tests.language.test_isolation import answer\n"
        f"print(json.dumps({{p: answer(load_kb(text=TRIAGE), p) for p in range({len(PATIENTS)})}}))\n"
    )
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {int(patient): result for patient, result in json.loads(output).items()}


def test_serial_sessions_on_one_knowledge_base_equal_a_fresh_process(fresh_process_answers: dict[int, Answer]) -> None:
    kb = load_kb(text=TRIAGE)
    assert {patient: answer(kb, patient) for patient in PATIENTS} == fresh_process_answers


def test_interleaved_open_sessions_do_not_see_each_other(fresh_process_answers: dict[int, Answer]) -> None:
    kb = load_kb(text=TRIAGE)
    sessions = {patient: kb.session(triage_facts(patient)) for patient in PATIENTS}  # type: ignore[arg-type]
    results: dict[int, Answer] = {patient: {"offer": [], "echo": []} for patient in PATIENTS}
    for patient in reversed(PATIENTS):
        results[patient]["echo"] = [list(row) for row in sessions[patient].query("echo", None)]
    for patient in PATIENTS:
        results[patient]["offer"] = [list(row) for row in sessions[patient].query("offer", None, None)]
        sessions[patient].close()
    assert results == fresh_process_answers


def test_eight_threads_times_five_hundred_sessions_equal_serial_evaluation() -> None:
    kb = load_kb(text=TRIAGE)
    patients = list(range(4000))
    serial = {patient: answer(kb, patient) for patient in patients[:500]}
    start = threading.Barrier(8)

    def worker(offset: int) -> dict[int, Answer]:
        start.wait()
        return {patient: answer(kb, patient) for patient in patients[offset * 500 : (offset + 1) * 500]}

    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded: dict[int, Answer] = {}
        for part in pool.map(worker, range(8)):
            threaded.update(part)
    assert len(threaded) == 4000
    assert all(threaded[patient] == serial[patient % 500] or patient >= 500 for patient in patients)
    reference = {patient: answer(kb, patient) for patient in patients}
    assert threaded == reference


def test_a_patient_after_a_failing_one_gets_a_fresh_answer(fresh_process_answers: dict[int, Answer]) -> None:
    """The query that never ends stops mid-evaluation at a small fact limit (the default one takes seconds)."""
    kb = load_kb(text=TRIAGE + "\ncount(X) :- days(X).\ncount(Y) :- count(X), Y = X + 1.\n")
    failing = [("days", (10,)), ("taken", (3,)), ("note", ("leak-me",))]
    with kb.session(failing, budget=Budget(facts=20_000)) as session:
        with pytest.raises(EvaluationError):
            session.query("count", None)
    assert {patient: answer(kb, patient) for patient in PATIENTS} == fresh_process_answers


def test_no_input_fact_survives_any_query() -> None:
    kb = load_kb(text=TRIAGE)
    with kb.session(triage_facts(7)) as session:  # type: ignore[arg-type]
        assert session.query("echo", None) == [("patient-7",)]
    with kb.session([]) as empty:
        assert empty.query("echo", None) == []
        assert empty.query("offer", None, None) == []


def test_two_knowledge_bases_in_one_process_do_not_see_each_others_rules() -> None:
    triage = load_kb(text=TRIAGE)
    graph = load_kb(text=REACHABILITY)
    other_triage = load_kb(text=TRIAGE.replace("R = 21 - T", "R = 14 - T"))
    facts = [Fact("days", (3,)), Fact("taken", (10,))]
    with triage.session(facts) as a, graph.session([("edge", ("x", "y"))]) as b, other_triage.session(facts) as c:
        assert a.query("offer", None, None) == [("course", 11)]
        assert b.query("reach", None, None) == [("x", "y")]
        assert c.query("offer", None, None) == [("course", 4)]
        assert a.query("offer", None, None) == [("course", 11)]


def test_the_engine_leaves_other_pydatalog_users_alone() -> None:
    from pyDatalog import pyDatalog

    pyDatalog.clear()
    pyDatalog.assert_fact("mine", 1)
    kb = load_kb(text=TRIAGE)
    with kb.session(triage_facts(1)) as session:  # type: ignore[arg-type]
        session.query("offer", None, None)
    assert pyDatalog.ask("mine(X)").answers == [(1,)]
    pyDatalog.clear()
