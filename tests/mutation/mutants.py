"""Mutation check: does the invariant suite notice when a rule of the knowledge base is wrong?

One mutant at a time, one rule of ``kb/*.dl`` is changed the way rules go wrong by
hand: a comparison flipped at its boundary (``<`` to ``<=``, ``>=`` to ``>``, ``=`` to
``!=`` and back) or a negation dropped (the ``not`` literal removed, or made positive).
The mutant is written to a temporary copy of ``kb/``, loaded by the ordinary loader, and
checked with the seeded faults of its integrity constraints and its redundant guards
(tests/properties/seeded_faults.py),
then on the boundary patients of the original knowledge base with the Python invariants
(tests/properties/invariants.py) and the mutant's own integrity constraints.
A mutant is *killed* when any patient breaks an invariant or a constraint, or the mutant
fails to load or evaluate; it *survives* otherwise, and is then either *equivalent* (no
boundary patient gets a different answer) or a gap in the suite.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backspasm.reasoner.api import Advisor, load_advisor
from backspasm.reasoner.errors import ReasonerError
from backspasm.reasoner.kbtools.verify import boundary_records, evaluate
from backspasm.reasoner.language.program import BodyLiteral, Comparison, Negation, Program, Rule
from tests.properties.invariants import broken_invariants, grid_sample, rows_with_two_reasons
from tests.properties.seeded_faults import broken_guards, missed_faults

FLIPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "!=", "!=": "="}
KB = Path(__file__).resolve().parents[2] / "kb"


@dataclass(frozen=True)
class Mutant:
    name: str
    """``rule_id:what``, such as ``phase_acute:Days < 28 -> Days <= 28``."""
    file: str
    rule_index: int
    rule: Rule


@dataclass(frozen=True)
class Result:
    mutant: Mutant
    killed: bool
    reason: str
    """What killed it (the first broken invariant or constraint) or, for a survivor, whether it is equivalent."""
    changes_answers: bool = True
    stillborn: bool = False
    """The loader rejects the mutant (an assignment ``X = …`` flipped to ``!=`` leaves X unbound): not scored."""


def mutants(program: Program) -> Iterator[Mutant]:
    """Every single-rule mutant: each comparison flipped, each negation dropped or made positive."""
    for index, rule in enumerate(program.rules):
        name = rule.rule_id or str(rule)
        file = Path(rule.position.file).name
        for position, literal in enumerate(rule.body):
            if isinstance(literal, Comparison) and literal.operator in FLIPS:
                flipped = replace(literal, operator=FLIPS[literal.operator])
                yield Mutant(f"{name}: {literal} -> {flipped}", file, index, _with(rule, position, flipped))
            if isinstance(literal, Negation):
                yield Mutant(f"{name}: drop {literal}", file, index, _with(rule, position, None))
                yield Mutant(f"{name}: {literal} -> {literal.atom}", file, index, _with(rule, position, literal.atom))


def _with(rule: Rule, position: int, literal: BodyLiteral | None) -> Rule:
    body = list(rule.body)
    if literal is None:
        del body[position]
    else:
        body[position] = literal
    return replace(rule, body=tuple(body))


def render(rule: Rule) -> str:
    """A clause with its annotations, as a .dl file spells it."""
    lines = []
    if rule.metadata.rule_id:
        lines.append(f"@id {rule.metadata.rule_id}")
    if rule.metadata.evidence:
        lines.append(f"@evidence {', '.join(rule.metadata.evidence)}")
    if rule.metadata.statement:
        lines.append(f"@statement {rule.metadata.statement}")
    return "\n".join([*lines, str(rule)]) + "\n\n"


def write_mutant(advisor: Advisor, mutant: Mutant, directory: Path) -> None:
    """Copy kb/ to ``directory`` and rewrite the mutated rule's file from the parsed program."""
    shutil.copytree(KB, directory, dirs_exist_ok=True)
    program = advisor.kb.program
    rules = [mutant.rule if index == mutant.rule_index else rule for index, rule in enumerate(program.rules)]
    text = "".join(
        str(declaration) + "\n"
        for declaration in program.declarations
        if Path(declaration.position.file).name == mutant.file
    )
    text += "".join(render(rule) for rule in rules if Path(rule.position.file).name == mutant.file)
    (directory / mutant.file).write_text(text, encoding="utf-8")


def check(advisor: Advisor, mutant: Mutant, records: Sequence[dict[str, Any]], original: Sequence[Any]) -> Result:
    with tempfile.TemporaryDirectory(prefix="mutant-") as temporary:
        directory = Path(temporary) / "kb"
        write_mutant(advisor, mutant, directory)
        try:
            mutated = load_advisor(directory)
        except ReasonerError as error:
            return Result(mutant, False, f"rejected by the loader: {str(error).splitlines()[0]}", stillborn=True)
        missed = missed_faults(mutated) + broken_guards(mutated)
        if missed:
            return Result(mutant, True, f"seeded fault or redundant guard: {missed[0]}")
        for record in grid_sample(mutated):
            twice = rows_with_two_reasons(mutated, record)
            if twice:
                return Result(mutant, True, f"two reasons for one fact: {twice[0]} for {_short(record)}")
        changes = False
        for record, expected in zip(records, original, strict=True):
            try:
                outcome = evaluate(mutated, record)
            except ReasonerError as error:
                return Result(mutant, True, f"fails to evaluate {record}: {error}")
            broken = broken_invariants(record, outcome.answer)
            if broken or outcome.violations:
                return Result(mutant, True, f"{[*broken, *outcome.violations][0]} for {_short(record)}")
            changes = changes or outcome.model != expected
        return Result(mutant, False, "changes answers" if changes else "equivalent", changes)


def _short(record: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in record.items() if key != "id")


def run(level: str = "default", kb: Path = KB, out: Any = print) -> list[Result]:
    """Check every mutant; print one line per mutant and the mutation score."""
    started = time.monotonic()
    advisor = load_advisor(kb)
    records = list(boundary_records(advisor, "full" if level == "full" else "default"))
    original = [evaluate(advisor, record).model for record in records]
    out(f"{len(records)} boundary patients per mutant")
    results = []
    for mutant in mutants(advisor.kb.program):
        result = check(advisor, mutant, records, original)
        results.append(result)
        status = "stillborn" if result.stillborn else "killed" if result.killed else "SURVIVED"
        out(f"{status:9} {mutant.name} ({mutant.file}): {result.reason}")
    scored = [result for result in results if not result.stillborn]
    killed = sum(result.killed for result in scored)
    equivalent = sum(not result.killed and not result.changes_answers for result in scored)
    out(
        f"mutation score: {killed}/{len(scored)} killed ({100 * killed / max(len(scored), 1):.0f}%); "
        f"{len(scored) - killed} survived, {equivalent} of them equivalent on the boundary patients; "
        f"{len(results) - len(scored)} stillborn; {time.monotonic() - started:.0f} s"
    )
    return results
