"""Run a translated program in clingo, for one patient or a batch, and read back chosen rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import clingo

from backspasm.reasoner.language.engine import Fact, Row, row_order
from backspasm.reasoner.language.program import PredicateKey, Program, Value
from backspasm.reasoner.language.to_asp import facts_to_asp, to_asp

Model = dict[str, tuple[Row, ...]]
"""Rows per output predicate, keyed ``name/arity`` like ``reasoner.verify.Outcome.model``."""


def clingo_models(program: Program, subjects: Sequence[Iterable[Fact]]) -> list[Model]:
    """The output rows of every subject, from one clingo run over the whole batch."""
    text = to_asp(program, subjects=True) + "".join(
        facts_to_asp(facts, subject=number) for number, facts in enumerate(subjects)
    )
    outputs = set(program.outputs())
    rows: list[dict[str, list[Row]]] = [{f"{name}/{arity}": [] for name, arity in sorted(outputs)} for _ in subjects]
    for symbol in _stable_model(text):
        key = (symbol.name, len(symbol.arguments) - 1)
        if key in outputs:
            subject = symbol.arguments[0].number
            rows[subject][f"{key[0]}/{key[1]}"].append(tuple(_value(argument) for argument in symbol.arguments[1:]))
    return [{name: tuple(sorted(found, key=row_order)) for name, found in model.items()} for model in rows]


def clingo_model(program: Program, facts: Iterable[Fact], predicates: Iterable[PredicateKey]) -> Model:
    """One subject, with the plain (untagged) translation."""
    wanted = set(predicates)
    rows: dict[str, list[Row]] = {f"{name}/{arity}": [] for name, arity in sorted(wanted)}
    for symbol in _stable_model(to_asp(program) + facts_to_asp(facts)):
        key = (symbol.name, len(symbol.arguments))
        if key in wanted:
            rows[f"{key[0]}/{key[1]}"].append(tuple(_value(argument) for argument in symbol.arguments))
    return {name: tuple(sorted(found, key=row_order)) for name, found in rows.items()}


def _stable_model(text: str) -> list[clingo.Symbol]:
    control = clingo.Control(["--warn=none"])
    control.add("base", [], text)
    control.ground([("base", [])])
    models: list[list[clingo.Symbol]] = []
    control.solve(on_model=lambda model: models.append(list(model.symbols(atoms=True))))
    assert len(models) == 1, f"a stratified program has exactly one stable model, clingo found {len(models)}"
    return models[0]


def _value(symbol: clingo.Symbol) -> Value:
    if symbol.type == clingo.SymbolType.Number:
        return symbol.number
    if symbol.type == clingo.SymbolType.String:
        return symbol.string
    if symbol.type == clingo.SymbolType.Function and not symbol.arguments and symbol.positive:
        return symbol.name
    raise AssertionError(f"clingo derived {symbol}, which is no Datalog value")


def differences(expected: Mapping[str, tuple[Row, ...]], actual: Mapping[str, tuple[Row, ...]]) -> dict[str, object]:
    """Per predicate, the rows only pyDatalog derived and the rows only clingo derived."""
    found: dict[str, object] = {}
    for name in sorted(set(expected) | set(actual)):
        only_pydatalog = set(expected.get(name, ())) - set(actual.get(name, ()))
        only_clingo = set(actual.get(name, ())) - set(expected.get(name, ()))
        if only_pydatalog or only_clingo:
            found[name] = {
                "only pyDatalog": sorted(only_pydatalog, key=str),
                "only clingo": sorted(only_clingo, key=str),
            }
    return found
