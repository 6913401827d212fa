"""A validated knowledge base as plain JSON values, and back into the parser's own dataclasses.

The knowledge-base cache (:mod:`..advisor.cache`) writes :func:`encode_kb`'s value and
reads it back with :func:`decode_kb`, which builds nothing but the dataclasses of
:mod:`..language.program`, :class:`.kb.KnowledgeBase` and its data files from lists,
strings and numbers: no pickle, nothing executed. A value of another :data:`FORMAT`, or
one that does not decode to those dataclasses, raises ``ValueError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..datafile import DataFile, PathKey
from ..errors import Problem, SourcePosition
from ..language.program import (
    Arithmetic,
    Atom,
    BodyLiteral,
    Comparison,
    Constant,
    Declaration,
    Expression,
    Negation,
    Parameter,
    Program,
    Rule,
    RuleMetadata,
    Term,
    Variable,
)
from .evidence import Evidence
from .kb import KnowledgeBase

FORMAT = 3
"""The version of the encoding; a cache entry of another format is a miss."""

JSON = Any


# -- encoding -------------------------------------------------------------------


def _position(position: SourcePosition) -> JSON:
    return [position.file, position.line, position.column]


def _expression(value: Expression) -> JSON:
    if isinstance(value, Variable):
        return ["V", value.name, _position(value.position)]
    if isinstance(value, Constant):
        return ["C", value.value, _position(value.position)]
    return ["E", _expression(value.left), value.operator, _expression(value.right), _position(value.position)]


def _atom(atom: Atom) -> JSON:
    return [atom.predicate, [_expression(argument) for argument in atom.arguments], _position(atom.position)]


def _literal(literal: BodyLiteral) -> JSON:
    if isinstance(literal, Atom):
        return ["A", _atom(literal)]
    if isinstance(literal, Negation):
        return ["N", _atom(literal.atom), _position(literal.position)]
    return [
        "Q",
        _expression(literal.left),
        literal.operator,
        _expression(literal.right),
        _position(literal.position),
    ]


def _rule(rule: Rule) -> JSON:
    metadata = rule.metadata
    return {
        "head": _atom(rule.head),
        "body": [_literal(literal) for literal in rule.body],
        "id": metadata.rule_id,
        "evidence": list(metadata.evidence),
        "statement": metadata.statement,
        "metadata_position": _position(metadata.position),
        "position": _position(rule.position),
    }


def _problem(problem: Problem) -> JSON:
    return [_position(problem.position), problem.check, problem.message, problem.severity]


def encode_kb(kb: KnowledgeBase) -> JSON:
    return {
        "format": FORMAT,
        "name": kb.name,
        "version": kb.version,
        "mode": kb.mode,
        "title": kb.title,
        "root": str(kb.root) if kb.root is not None else None,
        "fingerprint": kb.fingerprint,
        "rules": [_rule(rule) for rule in kb.program.rules],
        "declarations": [
            [d.kind, d.predicate, [[p.name, p.type] for p in d.parameters], _position(d.position)]
            for d in kb.program.declarations
        ],
        "evidence": [vars(entry) for entry in kb.evidence.values()],
        "warnings": [_problem(problem) for problem in kb.warnings],
        "data": {
            key: {
                "name": data_file.name,
                "data": data_file.data,
                "positions": json.dumps(
                    [[list(path), _position(position)] for path, position in data_file.positions.items()],
                    separators=(",", ":"),
                ),
            }
            for key, data_file in kb.data.items()
        },
    }


# -- decoding: plain values into the parser's dataclasses, nothing else -----------


def _read_position(value: JSON) -> SourcePosition:
    file, line, column = value
    return SourcePosition(str(file), int(line), int(column))


def _read_expression(value: JSON) -> Expression:
    tag = value[0]
    if tag == "V":
        return Variable(str(value[1]), _read_position(value[2]))
    if tag == "C":
        constant = value[1]
        if not isinstance(constant, int | str):
            raise ValueError(f"a constant is a number or a symbol, not {constant!r}")
        return Constant(constant, _read_position(value[2]))
    if tag == "E":
        return Arithmetic(
            _read_expression(value[1]), str(value[2]), _read_expression(value[3]), _read_position(value[4])
        )
    raise ValueError(f"unknown expression tag {tag!r}")


def _read_term(value: JSON) -> Term:
    term = _read_expression(value)
    if isinstance(term, Arithmetic):
        raise ValueError("an atom's argument is a variable or a constant")
    return term


def _read_atom(value: JSON) -> Atom:
    predicate, arguments, position = value
    return Atom(str(predicate), tuple(_read_term(argument) for argument in arguments), _read_position(position))


def _read_literal(value: JSON) -> BodyLiteral:
    tag = value[0]
    if tag == "A":
        return _read_atom(value[1])
    if tag == "N":
        return Negation(_read_atom(value[1]), _read_position(value[2]))
    if tag == "Q":
        return Comparison(
            _read_expression(value[1]), str(value[2]), _read_expression(value[3]), _read_position(value[4])
        )
    raise ValueError(f"unknown literal tag {tag!r}")


def _read_rule(value: JSON) -> Rule:
    metadata = RuleMetadata(
        value["id"],
        tuple(str(evidence_id) for evidence_id in value["evidence"]),
        value["statement"],
        _read_position(value["metadata_position"]),
    )
    body = tuple(_read_literal(literal) for literal in value["body"])
    return Rule(_read_atom(value["head"]), body, metadata, _read_position(value["position"]))


def _read_declaration(value: JSON) -> Declaration:
    kind, predicate, parameters, position = value
    if kind not in ("input", "output"):
        raise ValueError(f"unknown declaration kind {kind!r}")
    return Declaration(
        kind,
        str(predicate),
        tuple(Parameter(str(name), parameter_type) for name, parameter_type in parameters),
        _read_position(position),
    )


class _EncodedPositions(Mapping[PathKey, SourcePosition]):
    """A data file's positions as an entry holds them (JSON text), decoded at the first look.

    Only a problem in that file reads them, so answering a patient never decodes the
    thousands of positions of the code tables. The text is covered by the entry's checksum.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise ValueError("a data file's positions are JSON text")
        self._text = text
        self._decoded: dict[PathKey, SourcePosition] | None = None

    def _positions(self) -> dict[PathKey, SourcePosition]:
        if self._decoded is None:
            self._decoded = {tuple(path): _read_position(position) for path, position in json.loads(self._text)}
        return self._decoded

    def __getitem__(self, path: PathKey) -> SourcePosition:
        return self._positions()[path]

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self._positions())


def decode_kb(value: JSON) -> KnowledgeBase:
    if value.get("format") != FORMAT:
        raise ValueError("another cache format")
    program = Program(
        tuple(_read_rule(rule) for rule in value["rules"]),
        tuple(_read_declaration(declaration) for declaration in value["declarations"]),
    )
    data = {
        str(key): DataFile(
            str(entry["name"]),
            entry["data"],
            _EncodedPositions(entry["positions"]),
        )
        for key, entry in value["data"].items()
    }
    evidence = {str(fields["evidence_id"]): Evidence(**fields) for fields in value["evidence"]}
    warnings = tuple(
        Problem(_read_position(position), str(check), str(message), severity)
        for position, check, message, severity in value["warnings"]
    )
    return KnowledgeBase(
        name=str(value["name"]),
        version=str(value["version"]),
        mode=str(value["mode"]),
        program=program,
        evidence=evidence,
        warnings=warnings,
        root=Path(value["root"]) if value["root"] is not None else None,
        title=str(value["title"]),
        data=data,
        fingerprint=str(value["fingerprint"]),
    )
