"""A cache of validated knowledge bases, so a one-patient command does not re-parse the rules.

Parsing and validating the bundled knowledge base costs more than answering a patient.
The validated program and its data are written once as plain JSON in the user's cache
directory (platformdirs' user cache directory, or ``$BACKSPASM_CACHE_DIR``), one entry
per knowledge-base location. The cache must never change an answer, so:

* an entry is keyed on content: a hash of the bytes of every file of the knowledge base
  and of the reasoner's source that loads it (not their sizes and times, which an edit
  can keep);
* an entry holds a checksum of its payload, and what it decodes is checked to be the
  parser's own dataclasses; an edited, truncated or odd entry is a miss, never an answer;
* an entry is opened without following links and read only if it is a regular file of
  bounded size, so a FIFO, a link to ``/dev/zero`` or a huge file is a miss, not a hang;
* an entry is written to a temporary file and renamed into place, so a reader sees the
  old entry or the new one, never half of one.

Loading reads JSON into the same dataclasses the parser builds and never executes
anything (no pickle). A cache that cannot be read or written is ignored: the knowledge
base is then loaded as usual. The checksum detects corruption and edits; it is not a
signature against someone who can write the user's cache directory (and could as well
edit the installed program).
"""

from __future__ import annotations

import json
import os
import stat
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

FORMAT = 2
ENVIRONMENT_VARIABLE = "BACKSPASM_CACHE_DIR"
"""Where the cache lives; ``off`` disables it. Default: platformdirs' user cache directory
for backspasm (``$XDG_CACHE_HOME/backspasm`` or ``~/.cache/backspasm`` on Linux)."""

MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""The largest entry read; the bundled knowledge base's entry is a few hundred kilobytes."""

JSON = Any


def blake2b(data: bytes = b"") -> Any:
    """A BLAKE2b hash of 32 bytes. CPython's built-in ``_blake2`` is what ``hashlib.blake2b`` is,
    without the OpenSSL that importing hashlib loads (20-40 ms, more than the whole check);
    hashlib is the fallback where it is missing."""
    try:
        from _blake2 import blake2b as builtin
    except ImportError:
        from hashlib import blake2b as builtin
    return builtin(data, digest_size=32)


def cache_directory() -> Path | None:
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("backspasm", appauthor=False))


LOADER_SOURCE = ("errors.py", "datafile.py", "datamodel.py", "language", "knowledge", "advisor/cache.py")
"""The reasoner's source that makes what an entry holds, relative to reasoner/: ``load_kb`` and what
it imports (the layers up to knowledge/, which import nothing above them: tests/test_layers.py),
and this module's encoding. A change to any other module cannot change a loaded knowledge base."""


def signature(path: Path) -> list[Any]:
    """What an entry must have been made from: the cache format, the location, and a hash of
    the bytes of every file under ``path`` (or of the file) and of the reasoner's source that
    loads a knowledge base (:data:`LOADER_SOURCE`).

    Hashing the content costs a few milliseconds, next to a parse that costs far more, and
    unlike sizes and modification times it changes with every edit."""
    digest = blake2b()
    reasoner = Path(__file__).resolve().parents[1]
    for base, files in [
        *((reasoner, _files(reasoner / part)) for part in LOADER_SOURCE),
        (path, _files(path)),
    ]:
        for file in files:
            digest.update(os.path.relpath(file, base).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(_file_bytes(file))
            digest.update(b"\0")
    return [FORMAT, str(path), str(path.resolve()), digest.hexdigest()]


def _file_bytes(file: str) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError:
        return b"\xff unreadable"


def entry_path(directory: Path, path: Path) -> Path:
    """The one cache entry of a knowledge-base location (a readable name, plus a checksum of the full path)."""
    location = str(path.resolve())
    readable = "".join(character if character.isalnum() else "-" for character in location).strip("-")[-60:]
    return directory / f"{readable}-{zlib.crc32(location.encode()):08x}.json"


def _files(path: Path) -> list[str]:
    """Every regular file under ``path``, sorted; links to anything else and special files are skipped."""
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
    cached = read_entry(entry, expected)
    if cached is not None:
        return cached
    kb = load_kb(path)
    write_entry(directory, entry, expected, kb)
    return kb


def read_entry(entry: Path, expected: list[Any]) -> KnowledgeBase | None:
    """The knowledge base of a cache entry made for ``expected``, or None for anything else:
    no entry, another signature, a checksum that does not match, a special file, a link,
    an oversized file, or a payload that does not decode to the parser's dataclasses."""
    data = _read_regular_file(entry, MAX_ENTRY_BYTES)
    if data is None:
        return None
    header_line, separator, payload = data.partition(b"\n")
    if not separator:
        return None
    try:
        header = json.loads(header_line)
        if not isinstance(header, dict) or header.get("signature") != expected:
            return None
        if header.get("checksum") != blake2b(payload).hexdigest():
            return None
        return decode_kb(json.loads(payload))
    except Exception:  # noqa: BLE001 - any oddity in a cache entry is a miss, never an error or an answer
        return None


def _read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO or device) of at most ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(descriptor)


def write_entry(directory: Path, entry: Path, expected: list[Any], kb: KnowledgeBase) -> None:
    """Write an entry atomically: a temporary file in the same directory, renamed over the old one."""
    import tempfile  # only on a miss: answering a patient from the cache does not import it

    temporary: str | None = None
    try:
        payload = json.dumps(encode_kb(kb), separators=(",", ":")).encode("utf-8")
        header = {"signature": expected, "checksum": blake2b(payload).hexdigest()}
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=directory, suffix=".tmp", delete=False) as file:
            temporary = file.name
            file.write(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + payload)
        os.replace(temporary, entry)
        temporary = None
    except (OSError, TypeError, ValueError):
        pass
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


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
