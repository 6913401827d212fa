"""``backspasm recommend``: advice on one patient, from a record file, a FHIR Bundle or options."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from ..advisor.quick_record import QuickValueError, quick_record
from .options import CONTEXT_SETTINGS, budget_options, emit, emit_json, load_advisor, output_options, read_patient_data

if TYPE_CHECKING:
    from ..api import Advisor
    from ..render.lines import Line

QUICK_FIELDS = {
    "record_id": "id",
    "age": "age",
    "symptom_days": "symptom_days",
    "flare_up": "flare_up",
    "relaxant_days_taken": "relaxant_days_taken",
    "relaxant_course_day": "relaxant_course_day",
    "conditions": "conditions",
    "medications": "medications",
    "red_flags": "red_flags",
    "preferences": "preferences",
    "allergies": "allergies",
}


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("patient", required=False, type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--id", "record_id", default="command-line", show_default=True, help="Identifier of the patient.")
@click.option("--age", type=int, help="Age in whole years.")
@click.option("--symptom-days", type=int, help="Days since the back spasm began.")
@click.option("--flare-up", is_flag=True, help="A flare-up of a chronic condition.")
@click.option(
    "--relaxant-days-taken", type=int, default=0, show_default=True, help="Days of muscle relaxant already taken."
)
@click.option(
    "--relaxant-course-day", type=int, help="Days of the current relaxant course taken so far (a course under way)."
)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    help="A condition; CODE:SEVERITY or CODE:WEEK, e.g. hepatic_impairment:mild, pregnancy:24.",
)
@click.option(
    "--medication", "medications", multiple=True, help="A medicine; CODE:DAYS when stopped DAYS ago, e.g. maoi:10."
)
@click.option("--red-flag", "red_flags", multiple=True, help="A red-flag finding, e.g. fever.")
@click.option("--preference", "preferences", multiple=True, help="A preferred exercise, e.g. walking.")
@click.option("--allergy", "allergies", multiple=True, help="A drug hypersensitivity, e.g. cyclobenzaprine.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="For a FHIR Bundle: the date it is read at (ages and symptom days count to it); default today.",
)
@click.option(
    "--evidence",
    "-v",
    "show_evidence",
    is_flag=True,
    help="Under each item, its parameters, every statement and the evidence with grades (text format).",
)
@output_options()
@click.pass_context
@budget_options
def recommend(
    ctx: click.Context,
    /,
    patient: str | None,
    kb_path: Path | None,
    output_format: str,
    show_evidence: bool,
    **options: Any,
) -> None:
    """Advise on one patient: a red-flag banner if any, the plan in a few lines, then each item.

    The plan says the drug with dose, duration and stop rule, the non-drug care, and what
    is not offered and why; each item follows in one line, grouped by kind, its statement
    filled for the patient. --evidence adds parameters and graded evidence; --format json
    gives every field, the plan summary included.

    PATIENT is a JSON or YAML record file, a FHIR R4 Bundle (Patient, Condition,
    MedicationStatement/Request, Observation, AllergyIntolerance; codes it cannot map
    are listed as not understood), or - to read either from standard input. Instead
    of a file, give the record as options for a quick question (codes are the record's
    codes: see docs/schemas/patient.schema.json).

    Example:

    \b
        backspasm example acute > acute.json
        backspasm recommend acute.json
        backspasm recommend acute.json --evidence
        backspasm recommend --age 45 --symptom-days 10 --medication ssri
        backspasm recommend --age 70 --symptom-days 3 --condition hepatic_impairment:mild --format json
        backspasm example elderly | backspasm recommend -
        backspasm example acute --fhir > acute-bundle.json
        backspasm recommend acute-bundle.json --today 2026-11-26
    """
    given = [name for name in QUICK_FIELDS if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if patient is not None and given:
        raise click.UsageError("give a PATIENT file or the record options (--age, --symptom-days ...), not both")
    if patient is None and not given:
        raise click.UsageError("give a PATIENT file, - for standard input, or the record options (--age ...)")
    advisor = load_advisor(kb_path)
    today = options.pop("today")
    if patient is not None:
        data, source = read_patient_data(patient)
        if is_fhir_bundle(data):
            result = fhir_module().recommend_bundle(advisor, data, today=today.date() if today else None, source=source)
            if output_format == "json":
                emit_json({**result.to_json(), "summary": advisor.summary(result.answer).to_json()})
            else:
                emit([*answer_lines(result.answer, advisor, show_evidence), *reading_lines(result.reading)])
            return
        record = advisor.read_record(data, source)
    else:
        values = {field_name: options[option] for option, field_name in QUICK_FIELDS.items()}
        try:
            quick = quick_record(advisor.record_spec, values)
        except QuickValueError as error:
            raise click.BadParameter(str(error)) from None
        record = advisor.read_record(quick, "command line")
    answer = advisor.recommend(record)
    if output_format == "json":
        emit_json({**answer.to_json(), "summary": advisor.summary(answer).to_json()})
    else:
        emit(answer_lines(answer, advisor, show_evidence))


def answer_lines(answer: Any, advisor: Advisor, detail: bool = False) -> Iterator[Line]:
    from ..render.answer import answer_lines as lines_of

    return lines_of(answer, advisor.answer_spec, advisor.kb.evidence, detail=detail)


def reading_lines(reading: Any) -> Iterator[Line]:
    from ..render.answer import reading_lines as lines_of

    return lines_of(reading)


def fhir_module() -> Any:
    """The FHIR reader, which needs the ``cds`` extra (fhir.resources)."""
    try:
        importlib.import_module("fhir.resources.R4B")  # the extra's models, which the reader imports lazily
        fhir = importlib.import_module("..fhir", __package__)
    except ImportError as error:
        raise click.ClickException(
            f"FHIR input needs the cds extra ({error.name} is missing): pip install 'backspasm[cds]'"
        ) from None
    return fhir


def is_fhir_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"
