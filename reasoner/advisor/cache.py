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
import sys
import zlib
from pathlib import Path
from typing import Any

from ..knowledge.kb import KnowledgeBase, load_kb
from ..knowledge.kb_json import FORMAT, decode_kb, encode_kb
from .advisor import Advisor, advisor_for

ENVIRONMENT_VARIABLE = "BACKSPASM_CACHE_DIR"
"""Where the cache lives; ``off`` disables it. Default: platformdirs' user cache directory
for backspasm (``$XDG_CACHE_HOME/backspasm`` or ``~/.cache/backspasm`` on Linux)."""

MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""The largest entry read; the bundled knowledge base's entry is a few hundred kilobytes."""


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
    known = _linux_cache_directory()
    if known is not None:
        return known
    import platformdirs

    return Path(platformdirs.user_cache_dir("backspasm", appauthor=False))


def _linux_cache_directory() -> Path | None:
    """platformdirs' user cache directory in the common Linux case, found without importing it.

    Importing platformdirs' Unix module imports tempfile, a few milliseconds of a one-patient
    command. Its rule where both are plain: ``$XDG_CACHE_HOME/backspasm`` when that is an
    absolute path, else ``$HOME/.cache/backspasm`` when ``XDG_CACHE_HOME`` is unset or empty
    and ``HOME`` is absolute. Everything else (another system, Android, a relative path, no
    HOME) is platformdirs' to decide; tests/advisor/test_kbcache.py holds the two equal.
    """
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel") or "ANDROID_DATA" in os.environ:
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg:
        return Path(xdg, "backspasm") if os.path.isabs(xdg) else None
    home = os.environ.get("HOME", "")
    return Path(home, ".cache", "backspasm") if os.path.isabs(home) else None


LOADER_SOURCE = ("errors.py", "datafile.py", "datamodel.py", "language", "knowledge", "advisor/cache.py")
"""The reasoner's source that makes what an entry holds, relative to reasoner/: ``load_kb`` and what
it imports (the layers up to knowledge/, which import nothing above them: tests/test_layers.py),
the encoding of an entry (knowledge/kb_json.py) and this module. A change to any other module
cannot change a loaded knowledge base."""


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
        prefix = str(base) + os.sep
        for file in files:
            name = file[len(prefix) :] if file.startswith(prefix) else os.path.relpath(file, base)
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(_file_bytes(file))
            digest.update(b"\0")
    return [FORMAT, str(path), str(path.resolve()), digest.hexdigest()]


def _file_bytes(file: str) -> bytes:
    try:
        with open(file, "rb") as handle:  # noqa: PTH123 - a Path per file is a tenth of the whole check
            return handle.read()
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
