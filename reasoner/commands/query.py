"""``backspasm query`` and ``example``: a Datalog query over a knowledge base, and the shipped examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import (
    BUNDLED_KB,
    CONTEXT_SETTINGS,
    EXAMPLES,
    budget_options,
    emit_json,
    load_knowledge_base,
    output_options,
)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@click.option(
    "--facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Input facts: a JSON/YAML patient record for a guideline, or Datalog facts (edge(a, b).) for a program.",
)
@output_options()
@budget_options
def query(query: str, facts: Path | None, kb_path: Path | None, output_format: str) -> None:
    """Evaluate a Datalog QUERY against a knowledge base and print the matching tuples.

    The query is a conjunction such as 'item(C, K), K != avoid'; each solution gives a
    value to every named variable (a table in text, a list of objects in json). A query
    without variables prints yes or no ([{}] or [] in json).

    Example:

    \b
        backspasm example acute > acute.json
        backspasm query --facts acute.json 'item(Code, consider)'
        printf '.input edge(from: symbol, to: symbol).\\n' > graph.dl
        printf 'reach(X, Y) :- edge(X, Y).\\nreach(X, Z) :- reach(X, Y), edge(Y, Z).\\n' >> graph.dl
        printf 'edge(a, b).\\nedge(b, c).\\n' > edges.facts
        backspasm query --kb graph.dl --facts edges.facts 'reach(a, X)' --format json
    """
    kb = load_knowledge_base(kb_path)
    input_facts: list[Any] = []
    if facts is not None:
        from ..advisor.inputs import read_facts_file, read_record_file

        if facts.suffix in (".json", ".yaml", ".yml") and "record" in kb.data:
            from ..api import advisor_for

            advisor = advisor_for(kb, kb_path or BUNDLED_KB)
            input_facts = list(advisor.read_record(read_record_file(facts), str(facts)).facts)
        else:
            input_facts = read_facts_file(facts)
    with kb.session(input_facts) as session:
        rows = session.ask(query)
    if output_format == "json":
        emit_json(rows)
        return
    from ..render.listing import rows_table

    for line in rows_table(rows):
        click.echo(line)


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False)
@click.option("--fhir", is_flag=True, help="The example as a FHIR R4 Bundle instead of a patient record.")
@click.option("--path", "show_path", is_flag=True, help="Print where the example file is instead of its content.")
def example(name: str | None, fhir: bool, show_path: bool) -> None:
    """Print a shipped example patient (or, with --fhir, a FHIR Bundle) to copy or pipe.

    Without NAME, list the examples there are. The cohort example (one record a line)
    is named cohort; bulk --fhir is a FHIR Bulk Data export of the example Bundles, a
    folder, whose path is printed (with or without --path) to give to batch.

    Example:

    \b
        backspasm example
        backspasm example acute > acute.json
        backspasm example cohort > cohort.jsonl
        backspasm example acute --fhir > acute-bundle.json
        backspasm batch "$(backspasm example bulk --fhir)" --today 2026-11-26
    """
    from ... import example_names, example_path

    kind = "fhir" if fhir else "patient"
    if name is None:
        for known in example_names(kind):
            click.echo(known)
        click.echo("bulk" if fhir else "cohort")
        return
    if name == "cohort" and not fhir:
        path = EXAMPLES.parent / "cohort.jsonl"
    elif name == "bulk" and fhir:
        click.echo(str(EXAMPLES.parent / "fhir" / "bulk"))
        return
    else:
        try:
            path = example_path(name, kind)
        except KeyError:
            allowed = ", ".join([*example_names(kind), "bulk" if fhir else "cohort"])
            raise click.BadParameter(f"no example {name!r}; allowed: {allowed}", param_hint="'NAME'") from None
    if show_path:
        click.echo(str(path))
    else:
        click.echo(path.read_text(encoding="utf-8"), nl=False)
