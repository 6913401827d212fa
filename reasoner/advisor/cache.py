"""A cache of validated knowledge bases, so a one-patient command does not re-parse the rules.

Parsing and validating the bundled knowledge base costs more than answering a patient.
The validated program and its data are written once as plain JSON in the user's cache
directory, one entry per knowledge-base location, with the name, size and modification
time of every file of the knowledge base and of the reasoner's own source: an entry is
used only when they all still match, so any edit to either makes a fresh entry. Loading reads JSON into the
same dataclasses the parser builds and never executes anything (no pickle). A cache
that cannot be read or written is ignored: the knowledge base is then loaded as usual.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

from ..datafile import DataFile
from ..errors import Problem, SourcePosition
from ..knowledge.evidence import Evidence
from ..knowledge.kb import KnowledgeBase, load_kb
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
from .advisor import Advisor, advisor_for

FORMAT = 1
ENVIRONMENT_VARIABLE = "BACKSPASM_CACHE_DIR"
"""Where the cache lives; ``off`` disables it. Default: $XDG_CACHE_HOME/backspasm or ~/.cache/backspasm."""

JSON = Any


def cache_directory() -> Path | None:
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backspasm"


def signature(path: Path) -> list[Any]:
    """The name, size and modification time of every file under ``path`` (or of the file)
    and of the reasoner's source, as Python checks its bytecode cache: cheap enough to
    compute on every start, and any edit or replacement of a file changes it. An entry
    stores the signature it was made for and is used only when it matches exactly."""
    files = []
    for file in [*_files(Path(__file__).resolve().parents[1]), *_files(path)]:
        status = os.stat(file)
        files.append([file, status.st_size, status.st_mtime_ns])
    return [FORMAT, str(path), str(path.resolve()), files]


def entry_path(directory: Path, path: Path) -> Path:
    """The one cache entry of a knowledge-base location (a readable name, plus a checksum of the full path)."""
    location = str(path.resolve())
    readable = "".join(character if character.isalnum() else "-" for character in location).strip("-")[-60:]
    return directory / f"{readable}-{zlib.crc32(location.encode()):08x}.json"


def _files(path: Path) -> list[str]:
    if not path.is_dir():
        return [str(path)]
    found: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    found += _files(Path(entry.path))
            elif entry.is_file() and not entry.name.endswith((".pyc", ".tmp")):
                found.append(entry.path)
    return sorted(found)


def load_kb_cached(path: Path) -> KnowledgeBase:
    """:func:`reasoner.kb.load_kb` through the cache; errors are raised exactly as load_kb raises them."""
    directory = cache_directory()
    if directory is None or not path.exists():
        return load_kb(path)
    entry = entry_path(directory, path)
    expected = signature(path)
    try:
        cached = json.loads(entry.read_text(encoding="utf-8"))
        if cached.get("signature") == expected:
            return decode_kb(cached)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        pass
    kb = load_kb(path)
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".tmp", delete=False, encoding="utf-8") as file:
            json.dump({**encode_kb(kb), "signature": expected}, file, separators=(",", ":"))
        os.replace(file.name, entry)
    except (OSError, TypeError, ValueError):
        pass
    return kb


def load_advisor_cached(path: Path) -> Advisor:
    """:func:`reasoner.api.load_advisor` through the cache."""
    return advisor_for(load_kb_cached(path), path)


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
                "positions": [[list(path), _position(position)] for path, position in data_file.positions.items()],
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
            {tuple(path): _read_position(position) for path, position in entry["positions"]},
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
