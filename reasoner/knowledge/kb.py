"""A knowledge base: a validated program plus the data that gives its rules meaning.

A knowledge base is a directory with a ``manifest.yaml`` (name, version, mode, the rule
files, the evidence registry and other data files), a single ``.dl`` file, or text.
``mode: guideline`` makes @id, @evidence and @statement mandatory on every rule and
checks every cited evidence id against the registry; ``mode: program`` (the default for
a file or text) accepts plain Datalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..datafile import DataFile, load_yaml
from ..errors import KnowledgeBaseError, Problem, SourcePosition
from ..language.budget import Budget
from ..language.engine import Engine, Fact
from ..language.program import Program, Value
from ..language.session import Session
from .evidence import Evidence, read_registry

MANIFEST = "manifest.yaml"
MODES = ("guideline", "program")
_MANIFEST_FIELDS = {
    "name": "the knowledge base's name",
    "version": "its version, such as 1.2.0",
    "title": "a one-line title",
    "mode": "guideline or program",
    "rules": "the list of rule files (.dl), in load order",
    "evidence": "the evidence registry (YAML)",
    "data": "named data files (YAML) other components read: record, answer, traceability ...",
}


@dataclass
class KnowledgeBase:
    """Everything loaded from one knowledge base; immutable once loaded."""

    name: str
    version: str
    mode: str
    program: Program
    evidence: dict[str, Evidence] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    root: Path | None = None
    title: str = ""
    data: dict[str, DataFile] = field(default_factory=dict)
    fingerprint: str = ""

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.program)

    def session(
        self, facts: Iterable[Fact | tuple[str, Iterable[Value]]] = (), budget: Budget | None = None
    ) -> Session:
        """Open a session for one subject's input facts; each query runs under ``budget`` (default when None)."""
        return Session(self.engine, facts, budget)


def load_kb(path: str | Path | None = None, *, text: str | None = None, name: str = "<text>") -> KnowledgeBase:
    """Load and validate a knowledge base from a directory, a ``.dl`` file, or ``text``.

    >>> kb = load_kb(text='.input parent(a: symbol, b: symbol).\\n'
    ...                   'ancestor(X, Y) :- parent(X, Y).\\n'
    ...                   'ancestor(X, Z) :- parent(X, Y), ancestor(Y, Z).\\n'
    ...                   '.output ancestor(a: symbol, b: symbol).')
    >>> with kb.session([("parent", ("ann", "bob")), ("parent", ("bob", "cy"))]) as session:
    ...     session.query("ancestor", "ann", None)
    [('ann', 'bob'), ('ann', 'cy')]
    """
    from ..language.syntax import parse_program
    from ..language.validate import validate

    if text is not None:
        if path is not None:
            raise ValueError("give a path or text, not both")
        program = parse_program(text, name)
        warnings = validate(program)
        return KnowledgeBase(name, "", "program", program, warnings=tuple(warnings), fingerprint=_digest([text]))
    if path is None:
        raise ValueError("give a path or text")
    path = Path(path)
    if path.is_dir():
        if (path / MANIFEST).exists():
            return _load_manifest(path)
        files = sorted(path.glob("*.dl"))
        if not files:
            raise KnowledgeBaseError(
                [Problem(SourcePosition(str(path), 0, 0), "read", f"no {MANIFEST} and no .dl files in this directory")]
            )
        return _load_files(path.name, files, path)
    if not path.exists():
        raise KnowledgeBaseError([Problem(SourcePosition(str(path), 0, 0), "read", "no such file or directory")])
    return _load_files(path.stem, [path], None)


def _load_files(name: str, files: list[Path], root: Path | None) -> KnowledgeBase:
    from ..language.syntax import parse_file
    from ..language.validate import validate

    program = Program()
    for file in files:
        program = program + parse_file(file)
    warnings = validate(program)
    return KnowledgeBase(
        name, "", "program", program, warnings=tuple(warnings), root=root, fingerprint=_file_digest(files)
    )


def _load_manifest(root: Path) -> KnowledgeBase:
    from ..language.syntax import parse_file
    from ..language.validate import validate

    manifest = load_yaml(root / MANIFEST, str(root / MANIFEST))
    fields = _manifest_fields(manifest)
    problems: list[Problem] = []
    rule_files = [root / str(entry) for entry in fields.get("rules") or []]
    program = Program()
    for file in rule_files:
        try:
            program = program + parse_file(file, str(file))
        except KnowledgeBaseError as error:
            problems += error.problems
    evidence: dict[str, Evidence] = {}
    data_files = [root / MANIFEST, *rule_files]
    if "evidence" in fields:
        evidence_path = root / str(fields["evidence"])
        data_files.append(evidence_path)
        try:
            evidence = read_registry(load_yaml(evidence_path, str(evidence_path)))
        except KnowledgeBaseError as error:
            problems += error.problems
    data: dict[str, DataFile] = {}
    for key, relative in (fields.get("data") or {}).items():
        data_path = root / str(relative)
        data_files.append(data_path)
        try:
            data[str(key)] = load_yaml(data_path, str(data_path))
        except KnowledgeBaseError as error:
            problems += error.problems
    if problems:
        raise KnowledgeBaseError(problems)
    mode = str(fields.get("mode", "guideline"))
    guideline = mode == "guideline"
    warnings = validate(program, guideline=guideline, evidence_ids=evidence.keys() if guideline else None)
    return KnowledgeBase(
        name=str(fields["name"]),
        version=str(fields.get("version", "")),
        mode=mode,
        program=program,
        evidence=evidence,
        warnings=tuple(warnings),
        root=root,
        title=str(fields.get("title", "")),
        data=data,
        fingerprint=_file_digest(data_files),
    )


def _manifest_fields(manifest: DataFile) -> dict[str, Any]:
    problems: list[Problem] = []
    fields = manifest.data
    if not isinstance(fields, dict):
        raise KnowledgeBaseError([manifest.problem((), "the manifest is a mapping of fields")])
    for key in fields:
        if key not in _MANIFEST_FIELDS:
            allowed = ", ".join(_MANIFEST_FIELDS)
            problems.append(manifest.problem((key,), f"unknown manifest field; allowed: {allowed}"))
    if not isinstance(fields.get("name"), str):
        problems.append(manifest.problem((), "name is required: " + _MANIFEST_FIELDS["name"]))
    if fields.get("mode", "guideline") not in MODES:
        problems.append(manifest.problem(("mode",), f"{fields['mode']!r} is not allowed; allowed: guideline, program"))
    rules = fields.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(entry, str) for entry in rules):
        problems.append(manifest.problem(("rules",), "rules is required: " + _MANIFEST_FIELDS["rules"]))
    if "data" in fields and not isinstance(fields["data"], dict):
        problems.append(manifest.problem(("data",), "data is a mapping from a name to a file"))
    if problems:
        raise KnowledgeBaseError(problems)
    return fields


def _digest(parts: Iterable[str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _file_digest(files: Iterable[Path]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.name).encode("utf-8"))
        digest.update(file.read_bytes() if file.exists() else b"")
        digest.update(b"\0")
    return digest.hexdigest()
