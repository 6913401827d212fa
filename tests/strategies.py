"""Hypothesis strategies for patient records: the vocabulary the property tests speak.

Each strategy names one part of a record and says where its interesting values are: the
thresholds the guideline's rules compare against. Half of the draws land on a threshold
or next to it (27/28/29 days, 84/85, 20/21/22 relaxant days, age 14/15/16, 64/65, 50/51,
an MAOI stopped 13/14 days ago, course day 6/7/8, gestational week 19/20/21), the rest
anywhere in the field's allowed range, so a property is tested where a rule flips and
shrinking walks to a minimal patient.

Every record drawn is valid by the record's own rules (``kb/record.yaml``): codes are
known and distinct, relaxant days never exceed symptom days, hepatic impairment always
has a severity.

The last section holds the strategies of the explanation tests, for subjects of the small
TRIAGE-shaped test knowledge base (tests/explaining.py); they lean on its boundaries
(day 28, a course of 21 days) in the same way.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from backspasm.reasoner.advisor.records import FieldSpec, RecordSpec, read_spec
from backspasm.reasoner.datafile import load_yaml
from tests.conftest import ROOT

RECORD_SPEC: RecordSpec = read_spec(load_yaml(ROOT / "kb" / "record.yaml", "kb/record.yaml"))

AGE_THRESHOLDS = (15, 16, 20, 50, 65)
"""Under 15 no relaxant; under 16 not covered; under 20 and over 50 red-flag screening; 65 and over Beers."""
SYMPTOM_DAY_THRESHOLDS = (28, 84)
"""Acute under 28 days, subacute 28 to 84, chronic over 84."""
RELAXANT_DAY_THRESHOLDS = (14, 18, 21)
"""21 days in all; a full 7-day course fits up to 14 taken; under 3 days left (no new course) past 18."""
COURSE_DAY_THRESHOLDS = (0, 7)
"""A course is under way from day 1; it is complete at day 7."""
GESTATIONAL_WEEK_THRESHOLDS = (20,)
"""No NSAID from 20 weeks of pregnancy."""
MAOI_STOPPED_THRESHOLDS = (14,)
"""An MAOI stopped under 14 days ago still contraindicates cyclobenzaprine."""

CONTRAINDICATING_CONDITIONS = (
    "hyperthyroidism",
    "arrhythmia",
    "heart_block",
    "heart_failure",
    "recent_myocardial_infarction",
)
CNS_DEPRESSANTS = ("alcohol", "benzodiazepine", "opioid", "tramadol", "meperidine", "other_cns_depressant")
SEROTONERGIC_DRUGS = ("ssri", "snri", "tricyclic", "tramadol", "bupropion", "meperidine", "verapamil", "maoi")


def _field(name: str) -> FieldSpec:
    spec = RECORD_SPEC.field(name)
    assert spec is not None, f"record.yaml has no field {name}"
    return spec


def _codes(name: str) -> tuple[str, ...]:
    return tuple(_field(name).codes)


def near(thresholds: tuple[int, ...], minimum: int, maximum: int) -> st.SearchStrategy[int]:
    """Integers in ``minimum..maximum``, half of them a threshold or one either side of it.

    The minimum comes first, so a failing example shrinks toward it along either branch.
    """
    boundary = {value for t in thresholds for value in (t - 1, t, t + 1) if minimum < value < maximum}
    choices = [minimum, *sorted(boundary), maximum]
    return st.one_of(st.sampled_from(choices), st.integers(minimum, maximum))


def ages() -> st.SearchStrategy[int]:
    spec = _field("age")
    return near(AGE_THRESHOLDS, spec.minimum or 0, spec.maximum or 120)


def symptom_days() -> st.SearchStrategy[int]:
    """Mostly within a year, where the phases are; sometimes anywhere up to the maximum."""
    spec = _field("symptom_days")
    return st.one_of(near(SYMPTOM_DAY_THRESHOLDS, 0, 400), near((), spec.minimum or 0, spec.maximum or 36500))


def relaxant_days_taken(at_most: int) -> st.SearchStrategy[int]:
    """Relaxant days already taken, never more than the symptom days (a record rule)."""
    return near(RELAXANT_DAY_THRESHOLDS, 0, min(at_most, 60)) if at_most > 0 else st.just(0)


def relaxant_course_days(taken: int) -> st.SearchStrategy[int | None]:
    """The day of a course under way (absent or 0: none), never more than the days taken (a record rule)."""
    if taken == 0:
        return st.sampled_from([None, 0])
    return st.one_of(st.none(), near(COURSE_DAY_THRESHOLDS, 0, min(taken, 30)))


def flare_ups() -> st.SearchStrategy[bool | None]:
    """A flare-up flag: true, false or absent (absent means no flare-up)."""
    return st.sampled_from([None, False, True])


def _unique_codes(name: str, max_size: int = 4) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(_codes(name)), unique=True, max_size=max_size)


def conditions() -> st.SearchStrategy[list[Any]]:
    """Conditions, biased toward the contraindications; hepatic impairment carries a severity."""
    severities = tuple(_field("conditions").attributes[0].codes)

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        codes = draw(
            st.one_of(
                _unique_codes("conditions"),
                st.lists(
                    st.sampled_from((*CONTRAINDICATING_CONDITIONS, "hepatic_impairment")), unique=True, max_size=2
                ),
            )
        )
        if draw(st.booleans()):
            codes = [*codes, draw(st.sampled_from(("pregnancy", "osteoporosis")))]
            codes = list(dict.fromkeys(codes))
        return [_condition_entry(draw, code, severities) for code in codes]

    return build()


def gestational_weeks() -> st.SearchStrategy[int | None]:
    """A gestational week around the 20-week NSAID limit, or none recorded."""
    spec = _field("conditions").attributes[1]
    return st.one_of(st.none(), near(GESTATIONAL_WEEK_THRESHOLDS, spec.minimum or 0, spec.maximum or 45))


def _condition_entry(draw: st.DrawFn, code: str, severities: tuple[str, ...]) -> Any:
    if code == "hepatic_impairment":
        return {"code": code, "severity": draw(st.sampled_from(severities))}
    if code == "pregnancy":
        week = draw(gestational_weeks())
        return code if week is None else {"code": code, "gestational_week": week}
    return code


def maoi_use() -> st.SearchStrategy[Any]:
    """An MAOI taken now, or stopped some days ago (around the 14-day washout)."""
    stopped = near(MAOI_STOPPED_THRESHOLDS, 0, 60).map(lambda days: {"code": "maoi", "days_since_last_dose": days})
    return st.one_of(st.just("maoi"), stopped)


def medications() -> st.SearchStrategy[list[Any]]:
    """Medications, biased toward serotonergic drugs and the MAOI washout."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        others = [code for code in _codes("medications") if code != "maoi"]
        codes: list[Any] = draw(
            st.one_of(
                st.lists(st.sampled_from(others), unique=True, max_size=4),
                st.lists(st.sampled_from([d for d in SEROTONERGIC_DRUGS if d != "maoi"]), unique=True, max_size=2),
                st.lists(st.sampled_from(CNS_DEPRESSANTS), unique=True, min_size=1, max_size=3),
            )
        )
        if draw(st.booleans()):
            codes.append(draw(maoi_use()))
        stopped = draw(st.lists(st.booleans(), min_size=len(codes), max_size=len(codes)))
        return [
            {"code": code, "days_since_last_dose": draw(st.integers(0, 30))} if isinstance(code, str) and stop else code
            for code, stop in zip(codes, stopped, strict=True)
        ]

    return build()


EMERGENCY_COMBINATIONS = (
    ["fever", "iv_drug_use"],
    ["fever", "immune_suppression"],
    ["fever", "recent_bacterial_infection"],
)


def red_flags() -> st.SearchStrategy[list[str]]:
    """Usually none, as in most patients; otherwise one or a few, or a fever with an infection risk (emergency)."""
    return st.one_of(st.just([]), _unique_codes("red_flags", max_size=3), st.sampled_from(EMERGENCY_COMBINATIONS))


def preferences() -> st.SearchStrategy[list[str]]:
    return _unique_codes("preferences", max_size=3)


def allergies() -> st.SearchStrategy[list[str]]:
    return _unique_codes("allergies", max_size=2)


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    """A valid patient record; optional fields are sometimes left out altogether."""
    days = draw(symptom_days())
    record: dict[str, Any] = {
        "id": "generated",
        "age": draw(ages()),
        "symptom_days": days,
        "relaxant_days_taken": draw(relaxant_days_taken(days)),
    }
    course_day = draw(relaxant_course_days(record["relaxant_days_taken"]))
    if course_day is not None:
        record["relaxant_course_day"] = course_day
    flare_up = draw(flare_ups())
    if flare_up is not None:
        record["flare_up"] = flare_up
    for name, strategy in (
        ("conditions", conditions()),
        ("medications", medications()),
        ("red_flags", red_flags()),
        ("preferences", preferences()),
        ("allergies", allergies()),
    ):
        value = draw(strategy)
        if value:
            record[name] = value
    return record


def chronic_patients() -> st.SearchStrategy[dict[str, Any]]:
    """Patients past 84 days (the chronic phase), with or without a flare-up."""
    return patients().filter(lambda record: record["symptom_days"] > 84)


def elderly_patients() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda record, age: {**record, "age": age}, patients(), st.integers(65, 120))


# -- subjects of the TRIAGE-shaped test knowledge base (explanation tests) ----------------

Facts = list[tuple[str, tuple[int | str, ...]]]


def days() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 27, 28, 29]), st.integers(min_value=0, max_value=90))


def taken() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 20, 21, 22]), st.integers(min_value=0, max_value=30))


def flags() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["fever", "weakness", "trauma"]), max_size=2, unique=True)


@st.composite
def subjects(draw: st.DrawFn) -> Facts:
    """A record: usually days and days taken (each missing now and then), and a few warning flags."""
    facts: Facts = []
    if draw(st.integers(min_value=0, max_value=4)):
        facts.append(("days", (draw(days()),)))
    if draw(st.integers(min_value=0, max_value=4)):
        facts.append(("taken", (draw(taken()),)))
    facts += [("flag", (flag,)) for flag in draw(flags())]
    return facts
