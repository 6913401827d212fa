"""The proof of a card's item, from the explanation tracer: a sentence for the card, JSON for ``/why``.

Both come from the same proof (``reasoner.explain.why``), rendered at the edge, so the
card's words and the explanation behind its link cannot disagree. Both are said in the
knowledge base's own words (:func:`words`: record.yaml's labels, answer.yaml's labels and
the rules' statement templates filled with the item's parameters), the words the command
line's ``why`` uses, so a clinician reads the same sentence in the EHR and at the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..advisor.advisor import Advisor
from ..explain.explanation import Proof
from ..explain.tracer import why
from ..knowledge.evidence import Evidence
from ..language.program import Atom, Constant
from ..language.session import Session
from ..render import render_json, render_sentence, render_text
from ..render.vocabulary import ParameterValue, Vocabulary, vocabulary_of


def words(advisor: Advisor, parameters: Mapping[str, Any] | None = None) -> Vocabulary:
    """The knowledge base's vocabulary with one item's parameters (JSON lists read as tuples)."""
    said: dict[str, ParameterValue] = {
        name: tuple(value) if isinstance(value, list) else value for name, value in (parameters or {}).items()
    }
    return vocabulary_of(advisor.record_spec, advisor.answer_spec, said)


def item_proof(session: Session, predicate: str, code: str, kind: str) -> Proof | None:
    """The smallest proof of ``predicate(code, kind)``, or None when it does not hold."""
    proofs = why(session, Atom(predicate, (Constant(code), Constant(kind))))
    return proofs[0] if proofs else None


def item_sentence(session: Session, predicate: str, code: str, kind: str, vocabulary: Vocabulary) -> str | None:
    proof = item_proof(session, predicate, code, kind)
    return render_sentence(proof, vocabulary) if proof is not None else None


def item_explanation(
    session: Session,
    predicate: str,
    code: str,
    kind: str,
    evidence: Mapping[str, Evidence],
    vocabulary: Vocabulary,
) -> dict[str, Any]:
    """The sentence, the proof tree as text, and the proof (the tracer's published JSON) of one item."""
    proof = item_proof(session, predicate, code, kind)
    if proof is None:
        return {}
    return {
        "sentence": render_sentence(proof, vocabulary),
        "text": render_text(proof, evidence, vocabulary),
        "proof": render_json(proof, evidence),
    }
