"""Loading a knowledge base or a subject's facts never executes code.

pyDatalog's own ``load()`` runs Python source; the reasoner never calls it. Knowledge-base
text goes through the Lark grammar, which has no way to spell Python, and values reach
pyDatalog only as constants of its term API.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backspasm.reasoner import KnowledgeBaseError, load_kb
from backspasm.reasoner.language.syntax import parse_program, parse_query

PAYLOAD = "__import__('os').system('touch {marker}')"


@contextmanager
def code_execution_forbidden() -> Iterator[None]:
    """Make exec, eval and compile fail while the reasoner works.

    The grammar itself is built first: Lark reads our own trusted ``.lark`` file with
    ``literal_eval``; what must never run code is the handling of knowledge-base text.
    """
    parse_program("warm(up).")
    parse_query("warm(up)")
    saved = {name: getattr(builtins, name) for name in ("exec", "eval", "compile")}

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("code execution attempted")

    for name in saved:
        setattr(builtins, name, refuse)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(builtins, name, original)


def test_python_in_knowledge_base_text_is_a_syntax_error(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with code_execution_forbidden(), pytest.raises(KnowledgeBaseError, match="syntax error"):
        load_kb(text=f"p(X) :- {PAYLOAD.format(marker=marker)}.")
    assert not marker.exists()


def test_python_in_a_quoted_constant_is_inert_data(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = PAYLOAD.format(marker=marker)
    quoted = payload.replace("'", '\\"')
    with code_execution_forbidden():
        kb = load_kb(text=f'.input q(x: symbol).\nsays("{quoted}").\necho(X) :- q(X).\n.output echo(x: symbol).')
        with kb.session([("q", (payload,))]) as session:
            echoed = session.query("echo", None)
            said = session.query("says", None)
    assert echoed == [(payload,)]
    assert said == [(payload.replace("'", '"'),)]
    assert not marker.exists()


def test_a_subject_value_that_looks_like_a_query_is_only_a_value() -> None:
    sneaky = 'a"), q(X'
    with code_execution_forbidden():
        kb = load_kb(text='.input q(x: symbol).\nhit :- q("a").\n.output hit().')
        with kb.session([("q", (sneaky,))]) as session:
            hit = session.holds("hit")
            stored = session.query("q", None)
    assert not hit
    assert stored == [(sneaky,)]


def test_query_text_cannot_reach_python(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    kb = load_kb(text='.input q(x: symbol).\nhit :- q("a").\n.output hit().')
    with code_execution_forbidden(), kb.session([]) as session, pytest.raises(KnowledgeBaseError, match="syntax"):
        session.ask(PAYLOAD.format(marker=marker))
    assert not marker.exists()


def test_yaml_data_files_never_build_python_objects(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        "name: !!python/object/apply:os.system ['touch " + str(tmp_path / "pwned") + "']\nrules: [r.dl]\n"
    )
    (tmp_path / "r.dl").write_text("p(1).\n")
    with pytest.raises(KnowledgeBaseError, match="manifest.yaml:1:7: error: invalid YAML"):
        load_kb(tmp_path)
    assert not (tmp_path / "pwned").exists()
