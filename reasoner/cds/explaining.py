"""The proof of a card's item, from the explanation tracer: a sentence for the card, JSON for ``/why``.

Both come from the same proof (``reasoner.explain.why``), rendered at the edge, so the
card's words and the explanation behind its link cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..explain.explanation import Proof
from ..explain.tracer import why
from ..knowledge.evidence import Evidence
from ..language.program import Atom, Constant
from ..language.session import Session
from ..render import render_json, render_sentence, render_text


def item_proof(session: Session, predicate: str, code: str, kind: str) -> Proof | None:
    """The smallest proof of ``predicate(code, kind)``, or None when it does not hold."""
    proofs = why(session, Atom(predicate, (Constant(code), Constant(kind))))
    return proofs[0] if proofs else None


def item_sentence(session: Session, predicate: str, code: str, kind: str) -> str | None:
    proof = item_proof(session, predicate, code, kind)
    return render_sentence(proof) if proof is not None else None


def item_explanation(
    session: Session, predicate: str, code: str, kind: str, evidence: Mapping[str, Evidence]
) -> dict[str, Any]:
    """The sentence, the proof tree as text, and the proof (the tracer's published JSON) of one item."""
    proof = item_proof(session, predicate, code, kind)
    if proof is None:
        return {}
    return {
        "sentence": render_sentence(proof),
        "text": render_text(proof, evidence),
        "proof": render_json(proof, evidence),
    }
