"""Where a FHIR Bulk Data export's files are: found from its folder or its manifest, in reading order.

An export (the ``$export`` operation's output) is a folder of NDJSON files, one resource a
line, one resource type a file: ``Patient.ndjson``, ``Condition.ndjson``,
``Observation.002.ndjson``…, often beside the ``manifest.json`` whose ``output[].type`` and
``output[].url`` name them. :func:`find_export` tells an export from a folder of record files
(a ``manifest.json`` or any ``*.ndjson`` file makes it an export); :func:`write_export`
writes Bundles as one (the shipped example, the tests' exports).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..advisor.recordtext import TextProblem, decode_utf8, load_json
from ..errors import FieldProblem, RecordError

MANIFEST = "manifest.json"
_FILE_NAME = re.compile(r"^(?P<type>[A-Z][A-Za-z]+)(?:\.(?P<part>\d+))?\.ndjson$")


@dataclass(frozen=True)
class ExportFile:
    """One NDJSON file of an export, and the resource type its name or the manifest gives (None: unknown)."""

    path: Path
    type: str | None


@dataclass(frozen=True)
class Export:
    """The files of an export in reading order: Patient files first, then the rest by name."""

    root: Path
    files: tuple[ExportFile, ...]


def find_export(path: Path) -> Export | None:
    """The export at ``path`` (a folder, or its ``manifest.json``); None when it is not one.

    A folder is an export when it holds ``manifest.json`` or any ``*.ndjson`` file; a folder
    of ``.json``/``.yaml`` record files only is not. RecordError when the manifest is unusable.
    """
    if path.is_file() and path.name == MANIFEST:
        return _from_manifest(path)
    if not path.is_dir():
        return None
    if (path / MANIFEST).is_file():
        return _from_manifest(path / MANIFEST)
    found = [ExportFile(file, _type_from_name(file.name)) for file in path.glob("*.ndjson") if file.is_file()]
    if not found:
        return None
    return Export(path, _in_order(found))


def _type_from_name(name: str) -> str | None:
    match = _FILE_NAME.match(name)
    return match.group("type") if match else None


def _in_order(files: Iterable[ExportFile]) -> tuple[ExportFile, ...]:
    def key(file: ExportFile) -> tuple[int, str, int, str]:
        match = _FILE_NAME.match(file.path.name)
        part = int(match.group("part") or 0) if match else 0
        return (0 if file.type == "Patient" else 1, file.type or "", part, file.path.name)

    return tuple(sorted(files, key=key))


def _from_manifest(manifest: Path) -> Export:
    def fail(element: str, message: str) -> RecordError:
        return RecordError([FieldProblem(element, message)], str(manifest))

    try:
        data = load_json(decode_utf8(manifest.read_bytes()))
    except OSError as error:
        raise fail("", f"cannot read the manifest: {error.strerror or error}") from None
    except TextProblem as problem:
        raise fail("", f"{problem.message} (line {problem.line})") from None
    outputs = data.get("output") if isinstance(data, dict) else None
    if not isinstance(outputs, list):
        raise fail("output", "a Bulk Data manifest lists its files in output: [{type, url}, …]")
    files = []
    for number, output in enumerate(outputs):
        where = f"output[{number}]"
        if not isinstance(output, dict) or not isinstance(output.get("url"), str):
            raise fail(f"{where}.url", "each output needs the url of its file")
        kind = output.get("type")
        if not isinstance(kind, str) or not re.fullmatch(r"[A-Z][A-Za-z]+", kind):
            raise fail(f"{where}.type", "each output needs its resource type, such as Patient")
        local = _local_file(manifest.parent, output["url"])
        if not local.is_file():
            raise fail(f"{where}.url", f"{output['url']} is not a file beside the manifest ({local})")
        files.append(ExportFile(local, kind))
    return Export(manifest.parent, _in_order(files))


def _local_file(folder: Path, url: str) -> Path:
    """The file a manifest's url names: a file: URL, a path relative to the manifest, or a
    downloaded file of the same name beside it (an http(s) URL)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("http", "https"):
        return folder / Path(unquote(parsed.path)).name
    return folder / url


def write_export(bundles: Iterable[dict[str, Any]], folder: Path) -> list[Path]:
    """Write Bundles (one patient each) as an export: one ``Type.ndjson`` a resource type, and its manifest.

    Resources keep their Bundle order within each file; a Medication shared by several
    Bundles is written once. References are kept as they are (``Patient/id``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    lines: dict[str, list[str]] = {}
    medications: set[str] = set()
    for bundle in bundles:
        for entry in bundle.get("entry") or []:
            resource = entry["resource"]
            kind = resource["resourceType"]
            if kind == "Medication":
                if resource.get("id") in medications:
                    continue
                medications.add(resource.get("id"))
            lines.setdefault(kind, []).append(json.dumps(resource, separators=(",", ":")))
    written = []
    for kind in sorted(lines):
        path = folder / f"{kind}.ndjson"
        path.write_text("".join(line + "\n" for line in lines[kind]), encoding="utf-8")
        written.append(path)
    manifest = {
        "transactionTime": "2026-11-26T00:00:00Z",
        "request": "[base]/$export",
        "requiresAccessToken": False,
        "output": [{"type": path.name.split(".")[0], "url": path.name} for path in written],
        "error": [],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return written


__all__ = ["MANIFEST", "Export", "ExportFile", "find_export", "write_export"]
