"""The batch runner: answers in input order, bad records beside good ones, bounded read-ahead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backspasm.reasoner.advisor.batch import Audit, chunks, run
from backspasm.reasoner.advisor.inputs import Entry, read_cohort, read_jsonl
from backspasm.reasoner.api import Advisor
from tests.conftest import EXAMPLES, ROOT


def patient(number: int) -> str:
    return json.dumps(
        {"id": f"p{number}", "age": 20 + number % 60, "symptom_days": number % 120, "relaxant_days_taken": 0}
    )


def test_outcomes_keep_input_order_with_errors_in_place(advisor: Advisor) -> None:
    lines = [patient(1), '{"id": "x"}', "", "[1, 2", patient(2)]
    outcomes = list(run(read_jsonl(lines, "cohort.jsonl"), advisor, chunk_size=2))
    assert [outcome.source for outcome in outcomes] == [
        "cohort.jsonl:1",
        "cohort.jsonl:2",
        "cohort.jsonl:4",
        "cohort.jsonl:5",
    ]
    assert [outcome.error is None for outcome in outcomes] == [True, False, False, True]
    assert outcomes[1].error == {
        "source": "cohort.jsonl:2",
        "line": 2,
        "problems": [
            {"field": "age", "message": "is required: age in whole years"},
            {"field": "symptom_days", "message": "is required: days since the back spasm began (this episode)"},
            {
                "field": "relaxant_days_taken",
                "message": "is required: days of muscle-relaxant use already in this episode (0 if none)",
            },
        ],
    }
    assert outcomes[2].error is not None and outcomes[2].error["problems"][0]["message"].startswith("invalid JSON")


def test_answers_equal_one_at_a_time_recommendations(advisor: Advisor) -> None:
    lines = [patient(number) for number in range(12)]
    for outcome, line in zip(run(read_jsonl(lines, "c"), advisor, chunk_size=5), lines, strict=True):
        assert outcome.answer == advisor.recommend(json.loads(line)).to_json()


def counting(lines: list[str], consumed: list[int]) -> Iterator[Entry]:
    for entry in read_jsonl(lines, "c"):
        consumed.append(entry.index)
        yield entry


def test_the_reader_stays_a_bounded_window_ahead_with_workers() -> None:
    lines = [patient(number) for number in range(200)]
    consumed: list[int] = []
    outcomes = run(
        counting(lines, consumed),
        lambda: None,
        kb_path=ROOT / "kb",
        workers=2,
        chunk_size=5,
        window=3,  # type: ignore[arg-type, return-value]
    )
    first = next(outcomes)
    assert first.source == "c:1"
    assert len(consumed) <= 3 * 5 + 5, "no more than the window of chunks (and the one being cut) is read ahead"
    rest = list(outcomes)
    assert [outcome.source for outcome in rest] == [f"c:{number}" for number in range(2, 201)]


def test_one_worker_reads_one_chunk_at_a_time(advisor: Advisor) -> None:
    lines = [patient(number) for number in range(50)]
    consumed: list[int] = []
    outcomes = run(counting(lines, consumed), advisor, chunk_size=4)
    next(outcomes)
    assert len(consumed) == 4


def test_several_workers_need_the_kb_path(advisor: Advisor) -> None:
    with pytest.raises(ValueError, match="kb_path"):
        list(run(iter([]), advisor, workers=2))


def test_chunks_cut_an_iterator_lazily() -> None:
    assert [len(chunk) for chunk in chunks((Entry(i, str(i), None) for i in range(7)), 3)] == [3, 3, 1]


def test_audit_counts_codes_and_violations(advisor: Advisor) -> None:
    audit = Audit()
    for outcome in run(read_cohort(EXAMPLES), advisor, audit=True):
        audit.add(outcome)
    summary = audit.to_json()
    examples = len(list(EXAMPLES.glob("*.json")))
    assert summary["patients"] == examples and summary["errors"] == 0 and summary["violations"] == []
    counts = {(entry["code"], entry["kind"]): entry["patients"] for entry in summary["codes"]}
    assert counts[("paediatric_assessment", "refer")] == 1
    assert counts[("heat_therapy", "recommend")] == examples - 1  # not under 16: the adult plan is not given
    assert counts[("urgent_evaluation", "refer")] == 2


def test_read_cohort_of_a_directory_reports_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(patient(1))
    (tmp_path / "b.yaml").write_text("id: b\nage: [\n")
    (tmp_path / "notes.txt").write_text("ignored")
    entries = list(read_cohort(tmp_path))
    assert [Path(entry.source).name for entry in entries] == ["a.json", "b.yaml"]
    assert entries[1].error is not None and "invalid YAML" in str(entries[1].error)


def test_checking_only_the_invariants_gives_no_answer(advisor: Advisor) -> None:
    [outcome] = run(read_jsonl([patient(3)], "c"), advisor, answers=False)
    assert outcome.answer is None and outcome.violations == () and outcome.error is None
    with pytest.raises(ValueError, match="only checked against the invariants"):
        outcome.to_json()


def test_a_record_whose_evaluation_stops_is_its_own_error_and_the_rest_are_answered(
    advisor: Advisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backspasm.reasoner.errors import EvaluationError

    recommend = advisor.recommend

    def stops_for_b(record: Any) -> Any:
        if record.identifier == "b":
            raise EvaluationError("the query stopped: more than 10 facts derived")
        return recommend(record)

    monkeypatch.setattr(Advisor, "recommend", lambda self, record: stops_for_b(record))
    lines = [
        '{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        '{"id": "b", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        '{"id": "c", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    ]
    outcomes = list(run(read_jsonl(lines, "cohort"), advisor, engine="pydatalog"))
    assert [outcome.error is None for outcome in outcomes] == [True, False, True]
    [problem] = outcomes[1].error["problems"]  # type: ignore[index]
    assert problem["message"] == "evaluation stopped: the query stopped: more than 10 facts derived"
