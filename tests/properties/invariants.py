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
WASHOUT_DAYS = {"maoi": MAOI_WASHOUT_DAYS}
"""Classes with a sourced washout; any other stopped medicine is still taken as acting."""
CNS_DEPRESSANTS = frozenset({"alcohol", "benzodiazepine", "opioid", "tramadol", "meperidine", "other_cns_depressant"})
BOXED_WARNING_DRUGS = frozenset({"opioid", "tramadol", "meperidine", "benzodiazepine"})
EMERGENCY_FLAGS = frozenset(
    {
        "saddle_anaesthesia",
        "bladder_dysfunction",
        "bowel_dysfunction",
        "severe_leg_weakness",
        "lax_anal_sphincter",
        "progressive_neurological_deficit",
    }
)
INFECTION_RISKS = frozenset({"iv_drug_use", "immune_suppression", "recent_bacterial_infection"})
COVERED_FROM_AGE = 16
NSAID_PREGNANCY_WEEK = 20
COURSE_DAYS = (3, 7)
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


def current_medications(record: Record) -> set[str]:
    """Medicines taken now, or stopped within their class's washout (or stopped without one)."""
    current = set()
    for code, attributes in _codes(record, "medications").items():
        stopped = attributes.get("days_since_last_dose")
        if stopped is None or code not in WASHOUT_DAYS or stopped < WASHOUT_DAYS[code]:
            current.add(code)
    return current


def emergency(record: Record) -> bool:
    """The second edition's emergency tier, from the record's red flags alone."""
    flags = set(record.get("red_flags") or [])
    return bool(flags & EMERGENCY_FLAGS) or ("fever" in flags and bool(flags & INFECTION_RISKS))


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
    if "tricyclic" in _codes(record, "allergies"):
        reasons.append("allergy to a tricyclic antidepressant (structurally related)")
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
    tier = first.parameters.get("tier")
    assert tier == ("emergency" if emergency(record) else "urgent"), f"tier {tier!r} for flags {sorted(flags)}"
    assert first.parameters.get("timeframe") and first.parameters.get("action"), "referral without timeframe or action"
    assert first.parameters.get("suspected_conditions"), "referral without the suspected condition"


def warnings_given(record: Record, answer: Answer) -> None:
    """6. CNS warning with every relaxant; Beers warning and no relaxant at 65+; serotonin warning."""
    codes = answer.codes()
    if relaxant_offered(answer):
        assert codes.get("cns_side_effects") == "warn", "relaxant offered without the CNS warning"
    if record["age"] >= 65:
        assert codes.get("beers_muscle_relaxant") == "warn", "no Beers warning at 65 or over"
        assert not relaxant_offered(answer), "routine relaxant offered at 65 or over"
    if SEROTONERGIC_DRUGS & current_medications(record):
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
    current = current_medications(record)
    return (
        in_window
        and COVERED_FROM_AGE <= record["age"] < 65
        and record["relaxant_days_taken"] < CUMULATIVE_LIMIT_DAYS
        and not contraindications(record)
        and not record.get("red_flags")
        and "pregnancy" not in _codes(record, "conditions")
        and not current & BOXED_WARNING_DRUGS
        and len(current & CNS_DEPRESSANTS) < 2
        and expected_course(record) is not None
    )


def expected_course(record: Record) -> tuple[int | None, int] | None:
    """(shortest, longest) days of the course to offer, or None when no course fits.

    A new course runs 3 to 7 days, shortened to the days left under 21, and is not started
    with fewer than 3 days left; a course under way continues to day 7 at most (no shortest).
    """
    shortest, longest = COURSE_DAYS
    left = CUMULATIVE_LIMIT_DAYS - record["relaxant_days_taken"]
    day = record.get("relaxant_course_day") or 0
    if day > 0:
        room = min(longest - day, left)
        return (None, room) if room > 0 else None
    if left < shortest:
        return None
    return (shortest, min(longest, left))


def relaxant_decision_follows_the_guideline(record: Record, answer: Answer) -> None:
    """A. The relaxant is offered exactly when allowed, with the guideline's course; otherwise avoided, with reasons.

    Invariants 1-3 and 6 say when a relaxant must not be offered; this says the advice is
    never silently withheld either: 3 to 7 days, shortened to the days left under 21.
    """
    kinds = [item.kind for item in answer.items if item.code == RELAXANT]
    if record["age"] < COVERED_FROM_AGE:
        assert "consider" not in kinds, "relaxant offered to a patient the guideline does not cover"
        return
    if relaxant_allowed(record):
        assert kinds == ["consider"], f"relaxant allowed but given as {kinds}"
        item = answer.item(RELAXANT)
        assert item is not None
        course = (item.parameters.get("course_days_min"), item.parameters.get("course_days_max"))
        assert course == expected_course(record), f"course {course}, expected {expected_course(record)}"
    else:
        assert kinds == ["avoid"], f"relaxant not allowed but given as {kinds}"
        item = answer.item(RELAXANT)
        assert item is not None and item.parameters.get("reasons"), "relaxant avoided without a reason"


def first_line_care_for_everyone(record: Record, answer: Answer) -> None:
    """B. Every patient the guideline covers gets heat; supervised exercise unless a red flag defers it."""
    codes = answer.codes()
    if record["age"] < COVERED_FROM_AGE:
        return
    assert codes.get("heat_therapy") == "recommend", "no heat therapy"
    if record.get("red_flags"):
        assert codes.get("supervised_exercise") == "avoid", "exercise programme not deferred with a red flag"
    else:
        assert codes.get("supervised_exercise") == "recommend", "no supervised exercise"


def red_flag_withholds_the_routine_plan(record: Record, answer: Answer) -> None:
    """11. With any red flag: no relaxant, no manipulation, no massage, exercise deferred; each avoided with reasons.

    A withheld item carries its reasons and nothing else: a timing, a course or a preferred
    exercise on it would read as advice to go ahead once the phase passes, not once the
    flag has been evaluated.
    """
    if not record.get("red_flags"):
        return
    codes = answer.codes()
    for code in (RELAXANT, "spinal_manipulation", "massage", "supervised_exercise"):
        assert codes.get(code) == "avoid", f"{code} given as {codes.get(code)} with a red flag"
        item = answer.item(code)
        assert item is not None and item.parameters.get("reasons"), f"{code} withheld without a reason"
        extra = sorted(set(item.parameters) - {"reasons"})
        assert not extra, f"{code} withheld with a red flag but carries {extra}"


def no_manipulation_with_osteoporosis(record: Record, answer: Answer) -> None:
    """12. No spinal manipulation with osteoporosis."""
    if "osteoporosis" in _codes(record, "conditions"):
        assert answer.codes().get("spinal_manipulation") == "avoid", "manipulation not avoided in osteoporosis"


def analgesic_class_is_safe(record: Record, answer: Answer) -> None:
    """13. No NSAID from 20 weeks (or an unrecorded week) of pregnancy; no class the patient is allergic to."""
    item = next((item for item in answer.items if item.code == "analgesic" and item.kind == "consider"), None)
    if item is None:
        return
    drug_class = item.parameters.get("drug_class")
    assert drug_class in ("nsaid", "paracetamol"), f"analgesic without a class: {drug_class!r}"
    assert drug_class not in _codes(record, "allergies"), f"{drug_class} offered despite an allergy"
    pregnancy = _codes(record, "conditions").get("pregnancy")
    if pregnancy is not None and drug_class == "nsaid":
        week = pregnancy.get("gestational_week")
        assert week is not None and week < NSAID_PREGNANCY_WEEK, f"NSAID offered in pregnancy at week {week}"


def not_covered_under_16(record: Record, answer: Answer) -> None:
    """14. Under 16: a paediatric referral, and nothing of the adult plan recommended or considered."""
    codes = answer.codes()
    if record["age"] < COVERED_FROM_AGE:
        assert codes.get("paediatric_assessment") == "refer", "no paediatric referral under 16"
        offered = [item.code for item in answer.items if item.kind in OFFERING_KINDS]
        assert offered == [], f"adult plan offered under 16: {offered}"
    else:
        assert "paediatric_assessment" not in codes, "paediatric referral at 16 or over"


def course_stays_within_its_limits(record: Record, answer: Answer) -> None:
    """15. Taken + offered never above 21; a new course never under 3 days; a course under way never past day 7."""
    if not relaxant_offered(answer):
        return
    item = answer.item(RELAXANT)
    assert item is not None
    offered = item.parameters.get("course_days_max")
    assert isinstance(offered, int)
    day = record.get("relaxant_course_day") or 0
    assert record["relaxant_days_taken"] + offered <= CUMULATIVE_LIMIT_DAYS, "course passes 21 days in all"
    if day > 0:
        assert day + offered <= COURSE_DAYS[1], f"course under way continued to day {day + offered}"
    else:
        assert offered >= COURSE_DAYS[0], f"new course of {offered} days"


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
    "red_flag_withholds_the_routine_plan": red_flag_withholds_the_routine_plan,
    "no_manipulation_with_osteoporosis": no_manipulation_with_osteoporosis,
    "analgesic_class_is_safe": analgesic_class_is_safe,
    "not_covered_under_16": not_covered_under_16,
    "course_stays_within_its_limits": course_stays_within_its_limits,
}
"""Invariants 1-8, 11-15 and A-C by name; 9 (proofs) and 10 (determinism) need more than one answer."""


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
    """Every 61st record of the full boundary grid (162 patients): every value of every numeric field, cheaply."""
    from backspasm.reasoner.kbtools.verify import boundary_records

    records = boundary_records(advisor, "full")
    grid = itertools.takewhile(lambda record: not set(record) & CODE_FIELDS, records)
    return itertools.islice(grid, 0, None, 61)


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
