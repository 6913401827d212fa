"""The distribution installs one import package, ``backspasm``, and works outside the checkout.

A wheel built from the repository holds nothing but ``backspasm/`` and its dist-info; the
package carries the bundled knowledge base, the example patients and ``py.typed``. Installed
into a fresh virtual environment, it answers on a shipped example from a directory that is not
the checkout, and ``python -m backspasm`` is the same command line. An editable install reads
the repository's files, so an edited rule changes the next answer. The sdist carries every
file the repository tracks, so its tests run from the unpacked archive (``--slow``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import backspasm

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def tracked_files() -> list[str]:
    listing = run("git", "ls-files", "-z", cwd=ROOT)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in listing.stdout.split("\0") if name and (ROOT / name).exists()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel (`pip wheel .`) and the sdist (`python -m build --sdist`) of the tracked files."""
    out = tmp_path_factory.mktemp("dist")
    wheel = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT, cwd=out)
    assert wheel.returncode == 0, wheel.stderr
    source = tmp_path_factory.mktemp("source")
    copy_tracked(source)
    sdist = run(sys.executable, "-m", "build", "--sdist", "--outdir", out, source, cwd=source)
    assert sdist.returncode == 0, sdist.stderr
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def copy_tracked(target: Path) -> None:
    for name in tracked_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


def fresh_venv(where: Path) -> Path:
    """A new virtual environment whose dependencies come from this one's site-packages (no download).

    The path is added by a ``.pth`` line, which adds the directory but runs none of its own
    ``.pth`` files: this environment's editable ``backspasm`` is not visible there. pip comes
    from there too (``python -m pip`` installs into the new environment, whose interpreter
    runs it), so the environment is made without bootstrapping a pip of its own.
    """
    venv.create(where, with_pip=False)
    python = where / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=where).stdout.strip()
    Path(purelib, "zz-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_wheel_holds_one_import_package(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"backspasm", f"backspasm-{backspasm.__version__}.dist-info"}
    for shipped in (
        "backspasm/py.typed",
        "backspasm/__main__.py",
        "backspasm/cli.py",
        "backspasm/kb/manifest.yaml",
        "backspasm/reasoner/language/datalog.lark",
        "backspasm/reasoner/language/spark-log4j2.properties",
        "backspasm/examples/patients/acute.json",
        "backspasm/examples/fhir/acute.json",
        "backspasm/examples/cohort.jsonl",
        f"backspasm-{backspasm.__version__}.dist-info/licenses/LICENSE",
    ):
        assert shipped in names, shipped
    modules = [path for path in tracked_files() if path.startswith("reasoner/") and path.endswith(".py")]
    assert not [path for path in modules if f"backspasm/{path}" not in names], "a sub-package missing from packages"
    assert not any(name.startswith(("backspasm/tests/", "backspasm/bench/", "backspasm/docs/")) for name in names)


def test_the_sdist_carries_every_tracked_file(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing = sorted(set(tracked_files()) - members - {".gitignore"})
    assert not missing, missing


def test_installed_from_the_wheel_it_answers_outside_the_checkout(built: dict[str, Path], tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    install = run(python, "-m", "pip", "install", "-q", "--no-deps", built["wheel"], cwd=tmp_path)
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "BACKSPASM_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ""}
    where = run(python, "-c", "import backspasm; print(backspasm.__file__)", cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout + where.stderr

    version = run(python, "-m", "backspasm", "--version", cwd=elsewhere, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"backspasm {backspasm.__version__}, knowledge base back-spasm")

    script = tmp_path / "venv" / "bin" / "backspasm"
    example = run(script, "example", "acute", cwd=elsewhere, env=env)
    (elsewhere / "acute.json").write_text(example.stdout)
    answer = run(script, "recommend", "acute.json", "--format", "json", cwd=elsewhere, env=env)
    assert answer.returncode == 0, answer.stderr
    codes = {item["code"]: item["kind"] for item in json.loads(answer.stdout)["items"]}
    assert codes["muscle_relaxant_short_course"] == "consider"

    kb_path = run(script, "kb", "path", cwd=elsewhere, env=env).stdout.strip()
    assert Path(kb_path, "manifest.yaml").is_file() and Path(kb_path).is_relative_to(tmp_path / "venv")


def test_an_editable_install_sees_an_edited_rule(tmp_path: Path) -> None:
    source = tmp_path / "source"
    copy_tracked(source)
    python = fresh_venv(tmp_path / "venv")
    install = run(python, "-m", "pip", "install", "-q", "--no-deps", "-e", source, cwd=tmp_path)
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "BACKSPASM_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ""}
    script = tmp_path / "venv" / "bin" / "backspasm"
    ask = [script, "query", "relaxant_cumulative_limit(Days)", "--format", "json"]
    rule_file = source / "kb" / "relaxant.dl"

    before = run(*ask, cwd=tmp_path, env=env)
    assert json.loads(before.stdout) == [{"Days": 21}], before.stdout + before.stderr
    rule_file.write_text(
        rule_file.read_text().replace("relaxant_cumulative_limit(21).", "relaxant_cumulative_limit(20).")
    )
    after = run(*ask, cwd=tmp_path, env=env)
    assert json.loads(after.stdout) == [{"Days": 20}], after.stdout + after.stderr


@pytest.mark.slow
def test_the_unpacked_sdist_passes_its_own_tests(built: dict[str, Path], tmp_path: Path) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    unpacked = next(path for path in tmp_path.iterdir() if path.is_dir())
    python = fresh_venv(tmp_path / "venv")
    install = run(python, "-m", "pip", "install", "-q", "--no-deps", "-e", unpacked, cwd=unpacked)
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": ""}
    tests = run(python, "-m", "pytest", "-q", "-x", "-p", "no:randomly", cwd=unpacked, env=env)
    assert tests.returncode == 0, tests.stdout[-3000:]
