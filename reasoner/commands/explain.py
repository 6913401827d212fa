"""``backspasm why`` and ``why-not``: why the answer holds an item, and why it does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .options import (
    CONTEXT_SETTINGS,
    budget_options,
    emit_json,
    load_advisor,
    output_options,
    patient_argument,
    read_patient,
)

if TYPE_CHECKING:
    from ..api import Advisor

F = TypeVar("F", bound=Callable[..., Any])


def check_code(advisor: Advisor, code: str) -> None:
    if code not in advisor.answer_spec.codes:
        allowed = ", ".join(advisor.answer_spec.codes)
        raise click.BadParameter(f"{code!r} is not an answer code; allowed: {allowed}", param_hint="'CODE'")


def kind_option(function: F) -> F:
    return click.option(
        "--kind", help="The item's kind (refer, warn, recommend, consider, avoid); default: see above."
    )(function)


def check_kind(advisor: Advisor, kind: str | None) -> None:
    if kind is not None and kind not in advisor.answer_spec.kinds:
        raise click.BadParameter(
            f"{kind!r} is not a kind; allowed: {', '.join(advisor.answer_spec.kinds)}", param_hint="'--kind'"
        )


@click.command(context_settings=CONTEXT_SETTINGS)
@patient_argument
@click.argument("code")
@kind_option
@click.option("--all", "all_proofs", is_flag=True, help="Show every proof (up to --limit), smallest first.")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True, help="At most this many proofs.")
@click.option("--full", is_flag=True, help="Print the whole proof tree: every rule's Datalog, evidence and why-nots.")
@click.option(
    "--changes",
    is_flag=True,
    help="Also say what would end the item soonest, and when (each change checked by answering it first).",
)
@output_options("dot", "mermaid", "sentence")
@budget_options
def why(
    patient: str,
    code: str,
    kind: str | None,
    all_proofs: bool,
    limit: int,
    full: bool,
    changes: bool,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Why the answer for PATIENT holds CODE: the patient's facts, the rules that used them, what was ruled out.

    The item explained is the one the answer holds for CODE (or --kind KIND). The text
    shows the decisive path: the patient's facts, one line per rule on the path with its
    statement and what it tested, and one line per rule that could have ruled the item
    out and did not, with what was checked. --full prints the whole proof tree (each
    rule's Datalog and evidence); JSON holds both. dot and mermaid draw the proof as a
    graph; sentence says it in a sentence and a bullet list. --changes adds what would
    end the item soonest ("ends in 2 days, when the current course reaches day 7").

    Example:

    \b
        backspasm example subacute > subacute.json
        backspasm why subacute.json muscle_relaxant_short_course
        backspasm why subacute.json muscle_relaxant_short_course --full
        backspasm why subacute.json muscle_relaxant_short_course --changes
        backspasm why subacute.json heat_therapy --format dot > heat.dot
    """
    from ..render.formats import render_many, why_json
    from ..render.vocabulary import vocabulary_of

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    fact, proofs = advisor.proofs(record, code, kind, every=all_proofs, limit=limit)
    held_kind = str(fact.arguments[1]) if proofs else None
    item = next((i for i in advisor.recommend(record).items if i.code == code and i.kind == held_kind), None)
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters if item else None)
    wanted = changes and held_kind is not None and advisor.declares_changes and output_format != "dot"
    found = advisor.changes(record, code, held_kind) if wanted and held_kind else None
    if output_format == "json":
        value = why_json(str(fact), proofs, advisor.kb.evidence, vocabulary)
        if found is not None:
            from ..render.changes import changes_json

            value["changes"] = changes_json(found)
        emit_json(value)
    elif not proofs:
        where = f" as {kind}" if kind else ""
        hint = f"ask `backspasm why-not {patient} {code}` for the reason"
        click.echo(f"{code} is not in the answer for {record.identifier}{where}; {hint}.")
    else:
        click.echo(render_many(proofs, output_format, advisor.kb.evidence, vocabulary=vocabulary, full=full), nl=False)
        if found is not None and output_format in ("text", "sentence"):
            from ..render.changes import changes_text

            click.echo(changes_text([found]), nl=False)


@click.command("why-not", context_settings=CONTEXT_SETTINGS)
@patient_argument
@click.argument("code")
@kind_option
@click.option(
    "--changes/--no-changes",
    default=True,
    show_default=True,
    help="Also say what would change it, and when (text, sentence and json; the knowledge base's changes file).",
)
@output_options("dot", "mermaid", "sentence")
@budget_options
def why_not(patient: str, code: str, kind: str | None, changes: bool, kb_path: Path | None, output_format: str) -> None:
    """Why the answer for PATIENT does not offer CODE: for each rule, the first condition that fails.

    Without --kind every kind some rule could offer it with is explained (every kind
    but avoid): for muscle_relaxant_short_course, why it is not considered. When no
    rule offers CODE at all (tens), the answer says what the knowledge base holds instead.

    Then, what would change it, and when: the smallest changes of the record (fewest,
    then soonest) that the knowledge base allows, over time too, that would make it hold
    (or end it, for an item the answer holds); each is checked by answering the changed
    record first. --no-changes leaves this out.

    Example:

    \b
        backspasm example elderly > elderly.json
        backspasm why-not elderly.json muscle_relaxant_short_course
        backspasm why-not elderly.json tens --kind recommend --format json
        backspasm why-not elderly.json muscle_relaxant_short_course --format mermaid
        backspasm example course-day-5 > course.json
        backspasm why-not course.json muscle_relaxant_short_course
    """
    from ..render.formats import render_many, why_not_json
    from ..render.vocabulary import vocabulary_of

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    explanations = advisor.absences(record, code, kind)
    wanted = changes and advisor.declares_changes and output_format in ("text", "sentence", "json")
    found = advisor.why_not_changes(record, explanations) if wanted else None
    if output_format == "json":
        emit_json(why_not_json(code, explanations, advisor.kb.evidence, found))
        return
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec)
    click.echo(render_many(explanations, output_format, advisor.kb.evidence, vocabulary=vocabulary), nl=False)
    if found:
        from ..render.changes import changes_text

        click.echo(changes_text(found), nl=False)
