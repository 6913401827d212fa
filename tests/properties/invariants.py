"""The safety invariants of docs/safety.md as plain Python checks on one answer.

Each check takes the patient record (the dict a clinician wrote) and the advisor's
answer, and raises AssertionError saying what broke. The checks are written from the
guideline's words, independently of the Datalog rules that produce the answer, so a
wrong rule and a wrong check would have to be wrong the same way to go unnoticed.
The property tests, the exhaustive boundary tests and the mutation run all use them.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from backspasm.reasoner.advisor.answer import Answer
from backspasm.reasoner.api import Advisor

RELAXANT = "muscle_relaxant_short_course"
CUMULATIVE_LIMIT_DAYS = 21
CHRONIC_AFTER_DAYS = 84
CONTRAINDICATING_CONDITIONS = frozenset(
    {"hyperthyroidism", "arrhythmia", "heart_block", "heart_failure", "recent_myocardial_infarction"}
)
SEROTONERGIC_DRUGS = frozenset(
    {"ssri", "snri", "tricyclic", "tramadol", "bupropion", "meperidine", "verapamil", "maoi"}
)
MAOI_WASHOUT_DAYS = 14
NEVER_RECOMMENDED = ("lumbar_support", "tens", "prolonged_muscle_relaxant")
OFFERING_KINDS = frozenset({"recommend", "consider"})

Record = dict[str, Any]
Invariant = Callable[[Record, Answer], None]


def _codes(record: Record, field: str) -> dict[str, dict[str, Any]]:
    """Code → its attributes, for a list field whose entries are codes or {code: …} objects."""
    entries: dict[str, dict[str, Any]] = {}
    for entry in record.get(field) or []:
        if isinstance(entry, dict):
            entries[entry["code"]] = {key: value for key, value in entry.items() if key != "code"}
        else:
            entries[entry] = {}
    return entries


def relaxant_offered(answer: Answer) -> bool:
    return any(item.code == RELAXANT and item.kind == "consider" for item in answer.items)


def contraindications(record: Record) -> list[str]:
    """Every reason of the label and the guideline that rules cyclobenzaprine out, from the record alone."""
    reasons = sorted(CONTRAINDICATING_CONDITIONS & set(_codes(record, "conditions")))
    hepatic = _codes(record, "conditions").get("hepatic_impairment")
    if hepatic is not None and hepatic.get("severity") in ("moderate", "severe"):
        reasons.append("moderate or severe hepatic impairment")
    maoi = _codes(record, "medications").get("maoi")
    if maoi is not None and maoi.get("days_since_last_dose", 0) < MAOI_WASHOUT_DAYS:
        reasons.append("MAOI now or stopped under 14 days ago")
    if "cyclobenzaprine" in _codes(record, "allergies"):
        reasons.append("allergy to cyclobenzaprine")
    if record["age"] < 15:
        reasons.append("age under 15")
    return reasons


def no_relaxant_past_21_days(record: Record, answer: Answer) -> None:
    """1. No relaxant once 21 days are reached; taken + offered never exceeds 21."""
    if not relaxant_offered(answer):
        return
    taken = record["relaxant_days_taken"]
    assert taken < CUMULATIVE_LIMIT_DAYS, f"relaxant offered after {taken} days taken"
    item = answer.item(RELAXANT)
    assert item is not None
    offered = item.parameters.get("course_days_max")
    assert isinstance(offered, int), f"offered course has no single course_days_max: {offered!r}"
    assert taken + offered <= CUMULATIVE_LIMIT_DAYS, f"{taken} days taken + {offered} offered > 21"


def chronic_relaxant_only_in_flare_up(record: Record, answer: Answer) -> None:
    """2. In the chronic phase a relaxant is offered only during a flare-up."""
    if record["symptom_days"] > CHRONIC_AFTER_DAYS and relaxant_offered(answer):
        assert record.get("flare_up") is True, "relaxant offered in chronic spasm without a flare-up"


def no_relaxant_with_contraindication(record: Record, answer: Answer) -> None:
    """3. A relaxant is never offered with one of its contraindications."""
    if relaxant_offered(answer):
        assert not contraindications(record), f"relaxant offered despite {contraindications(record)}"


def pitfalls_never_recommended(record: Record, answer: Answer) -> None:
    """4. Lumbar supports, TENS and prolonged relaxant use are only ever advised against."""
    for item in answer.items:
        if item.code in NEVER_RECOMMENDED:
            assert item.kind == "avoid", f"{item.code} given as {item.kind}"
    assert answer.codes().get("prolonged_muscle_relaxant") == "avoid"


def red_flag_referred_first(record: Record, answer: Answer) -> None:
    """5. Any red flag gives urgent evaluation, first, naming every flag."""
    flags = set(record.get("red_flags") or [])
    if not flags:
        assert "urgent_evaluation" not in answer.codes(), "urgent evaluation without a red flag"
        return
    first = answer.items[0]
    assert (first.code, first.kind) == ("urgent_evaluation", "refer"), f"first item is {first.code}"
    named = first.parameters.get("flags")
    assert isinstance(named, tuple) and set(named) == flags, f"flags named {named!r}, recorded {sorted(flags)}"


def warnings_given(record: Record, answer: Answer) -> None:
    """6. CNS warning with every relaxant; Beers warning and no relaxant at 65+; serotonin warning."""
    codes = answer.codes()
    if relaxant_offered(answer):
        assert codes.get("cns_side_effects") == "warn", "relaxant offered without the CNS warning"
    if record["age"] >= 65:
        assert codes.get("beers_muscle_relaxant") == "warn", "no Beers warning at 65 or over"
        assert not relaxant_offered(answer), "routine relaxant offered at 65 or over"
    if SEROTONERGIC_DRUGS & set(_codes(record, "medications")):
        assert codes.get("serotonin_syndrome_risk") == "warn", "serotonergic drug without the serotonin warning"


def never_offered_and_avoided(record: Record, answer: Answer) -> None:
    """7. No code is both offered (recommend or consider) and advised against."""
    offered = {item.code for item in answer.items if item.kind in OFFERING_KINDS}
    avoided = {item.code for item in answer.items if item.kind == "avoid"}
    assert not offered & avoided, f"offered and avoided: {sorted(offered & avoided)}"


def answer_not_empty(record: Record, answer: Answer) -> None:
    """8. Every patient gets a non-empty answer."""
    assert answer.items, "empty answer"


def relaxant_allowed(record: Record) -> bool:
    """What the guideline allows, read from the record: the converse of invariants 1, 2, 3 and 6."""
    in_window = record["symptom_days"] <= CHRONIC_AFTER_DAYS or record.get("flare_up") is True
    return (
        in_window
        and record["age"] < 65
        and record["relaxant_days_taken"] < CUMULATIVE_LIMIT_DAYS
        and not contraindications(record)
    )


def relaxant_decision_follows_the_guideline(record: Record, answer: Answer) -> None:
    """A. The relaxant is offered exactly when allowed, with the guideline's course; otherwise avoided, with reasons.

    Invariants 1-3 and 6 say when a relaxant must not be offered; this says the advice is
    never silently withheld either: 3 to 7 days, shortened to the days left under 21.
    """
    kinds = [item.kind for item in answer.items if item.code == RELAXANT]
    if relaxant_allowed(record):
        assert kinds == ["consider"], f"relaxant allowed but given as {kinds}"
        item = answer.item(RELAXANT)
        assert item is not None
        longest = min(7, CUMULATIVE_LIMIT_DAYS - record["relaxant_days_taken"])
        course = (item.parameters.get("course_days_min"), item.parameters.get("course_days_max"))
        assert course == (min(3, longest), longest), f"course {course}, expected {(min(3, longest), longest)}"
    else:
        assert kinds == ["avoid"], f"relaxant not allowed but given as {kinds}"
        item = answer.item(RELAXANT)
        assert item is not None and item.parameters.get("reasons"), "relaxant avoided without a reason"


def first_line_care_for_everyone(record: Record, answer: Answer) -> None:
    """B. Every patient, in every phase, gets the first-line plan: heat and supervised exercise."""
    codes = answer.codes()
    assert codes.get("heat_therapy") == "recommend", "no heat therapy"
    assert codes.get("supervised_exercise") == "recommend", "no supervised exercise"


def red_flag_screening_by_age(record: Record, answer: Answer) -> None:
    """C. Screening for red flags is asked for exactly when the age is over 50 or under 20."""
    expected = record["age"] > 50 or record["age"] < 20
    given = answer.codes().get("red_flag_screening") == "warn"
    assert given == expected, f"red-flag screening {'given' if given else 'missing'} at age {record['age']}"


INVARIANTS: dict[str, Invariant] = {
    "no_relaxant_past_21_days": no_relaxant_past_21_days,
    "chronic_relaxant_only_in_flare_up": chronic_relaxant_only_in_flare_up,
    "no_relaxant_with_contraindication": no_relaxant_with_contraindication,
    "pitfalls_never_recommended": pitfalls_never_recommended,
    "red_flag_referred_first": red_flag_referred_first,
    "warnings_given": warnings_given,
    "never_offered_and_avoided": never_offered_and_avoided,
    "answer_not_empty": answer_not_empty,
    "relaxant_decision_follows_the_guideline": relaxant_decision_follows_the_guideline,
    "first_line_care_for_everyone": first_line_care_for_everyone,
    "red_flag_screening_by_age": red_flag_screening_by_age,
}
"""Invariants 1-8 and A-C by name; 9 (proofs) and 10 (determinism) need more than one answer."""


def broken_invariants(record: Record, answer: Answer) -> list[str]:
    """Names and messages of the invariants this answer breaks; empty when it keeps all of them."""
    broken: list[str] = []
    for name, check in INVARIANTS.items():
        try:
            check(record, answer)
        except AssertionError as error:
            broken.append(f"{name}: {error}")
    return broken


def rows_with_two_reasons(advisor: Advisor, record: Record) -> list[str]:
    """D. Facts derived by more than one rule, for a predicate with several rules; none expected.

    The rules of one predicate state complementary cases ("at least 7 days left", "fewer
    than 7 days left"; acute, subacute, chronic). If two fired for one fact, the answer
    would cite both statements, one of them false for this patient.
    """
    program = advisor.kb.program
    counts = Counter(rule.head.key for rule in program.rules if not rule.is_fact)
    found: list[str] = []
    with advisor.session(record) as session:
        for (predicate, arity), count in sorted(counts.items()):
            if count < 2:
                continue
            reasons: dict[tuple[object, ...], set[str]] = defaultdict(set)
            for rule, row in session.derivations(predicate, *([None] * arity)):
                reasons[row].add(rule.rule_id or str(rule))
            found += [f"{predicate}{row} by {sorted(ids)}" for row, ids in reasons.items() if len(ids) > 1]
    return found


def grid_sample(advisor: Advisor) -> Iterator[Record]:
    """Every 13th record of the boundary grid (156 patients): every value of every numeric field, cheaply."""
    from backspasm.reasoner.kbtools.verify import boundary_records

    records = boundary_records(advisor, "full")
    grid = itertools.takewhile(lambda record: not set(record) & CODE_FIELDS, records)
    return itertools.islice(grid, 0, None, 13)


CODE_FIELDS = frozenset({"conditions", "medications", "red_flags", "preferences", "allergies"})


def items_without_a_checked_proof(advisor: Advisor, record: Record) -> list[str]:
    """9. Every item of the answer has a proof, found by the tracer, that the proof checker accepts.

    The checker is strict (guideline mode): every rule used has an @id, a @statement and
    evidence that resolves in the registry.
    """
    from backspasm.reasoner.explain.tracer import check_proof, why
    from backspasm.reasoner.language.program import Atom, Constant

    problems: list[str] = []
    with advisor.session(record) as session:
        for code, kind in session.query("item", None, None):
            atom = Atom("item", (Constant(code), Constant(kind)))
            proofs = why(session, atom)
            if not proofs:
                problems.append(f"{atom} holds but has no proof")
                continue
            found = check_proof(session, proofs[0], require_evidence=True, evidence=advisor.kb.evidence)
            problems += [f"{atom}: {problem}" for problem in found]
    return problems
