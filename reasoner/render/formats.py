"""One explanation, the format a reader asked for: text, sentence, dot, mermaid or JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..explain.explanation import Proof, WhyNot
from ..knowledge.evidence import Evidence
from .decisive import decisive_json, render_decisive
from .graph import render_dot, render_mermaid
from .json import render_json
from .sentence import render_sentence
from .text import render_text
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from ..advisor.changes import Changes

TEXT_FORMATS = ("text", "sentence", "dot", "mermaid")


def render_as(
    explanation: Proof | WhyNot,
    output_format: str,
    evidence: Mapping[str, Evidence],
    *,
    vocabulary: Vocabulary | None = None,
    full: bool = False,
) -> str:
    """The explanation in one of :data:`TEXT_FORMATS`, ending with a newline.

    A proof as ``text`` is its decisive path unless ``full`` asks for the whole tree;
    ``vocabulary`` gives the knowledge base's words and the item's parameters.
    """
    if output_format == "dot":
        return render_dot(explanation)
    if output_format == "mermaid":
        return render_mermaid(explanation)
    if output_format == "sentence":
        return render_sentence(explanation, vocabulary) + "\n"
    if output_format == "text":
        if isinstance(explanation, Proof) and not full:
            return render_decisive(explanation, vocabulary)
        return render_text(explanation, evidence, vocabulary)
    raise ValueError(f"unknown format {output_format!r}; allowed: {', '.join(TEXT_FORMATS)}")


def render_many(
    explanations: Sequence[Proof | WhyNot],
    output_format: str,
    evidence: Mapping[str, Evidence],
    *,
    vocabulary: Vocabulary | None = None,
    full: bool = False,
) -> str:
    """Several explanations in one text format, separated by a blank line."""
    return "\n".join(
        render_as(explanation, output_format, evidence, vocabulary=vocabulary, full=full)
        for explanation in explanations
    )


def why_json(
    fact: str, proofs: Sequence[Proof], evidence: Mapping[str, Evidence], vocabulary: Vocabulary | None = None
) -> dict[str, Any]:
    """``why`` as data (docs/schemas/why.schema.json): the fact, whether it holds, its proofs, their decisive paths."""
    return {
        "fact": fact,
        "holds": bool(proofs),
        "proofs": [render_json(proof, evidence) for proof in proofs],
        "decisive": [decisive_json(proof, vocabulary) for proof in proofs],
    }


def why_not_json(
    code: str,
    explanations: Sequence[WhyNot],
    evidence: Mapping[str, Evidence],
    changes: Sequence[Changes] | None = None,
) -> dict[str, Any]:
    """``why-not`` as data (docs/schemas/why-not.schema.json): one explanation per kind the answer lacks.

    With ``changes`` (one per explanation), also what would change each item, and when.
    """
    value: dict[str, Any] = {
        "code": code,
        "explanations": [render_json(explanation, evidence) for explanation in explanations],
    }
    if changes is not None:
        from .changes import changes_json

        value["changes"] = [changes_json(found) for found in changes]
    return value
