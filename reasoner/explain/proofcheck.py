"""Re-check a proof step by step against the session, independently of how it was found.

A proof is only worth showing if each of its steps is true of the subject. The checker
asks pyDatalog again, one rule instance at a time: the instance's head is the parent
fact, its whole body holds with the proof's values, each child is the proof of the
literal it stands under, every comparison and assignment holds with its values, every
negated literal's positive form has no rows, and every leaf is an input fact of the
record or a clause of the knowledge base. No fact is used to prove itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..knowledge.evidence import Evidence
from ..language.engine import Fact
from ..language.program import Atom, BodyLiteral, Negation, Rule, Value, variables_of
from ..language.session import Session
from .explanation import Absence, Check, Proof, Step
from .instantiate import (
    atom_values,
    is_ground,
    name_anonymous,
    substitute_atom,
    substitute_literal,
    value_equalities,
)


def check_proof(
    session: Session,
    proof: Proof,
    *,
    require_evidence: bool = False,
    evidence: Mapping[str, Evidence] | None = None,
) -> list[str]:
    """Every problem found in ``proof`` (empty when it checks), each naming the step it concerns.

    ``require_evidence`` (for guideline knowledge bases) also demands an @id, a
    @statement and at least one @evidence id on every rule used (facts, as in
    validation, may go without); ``evidence`` (the
    registry) makes each cited id resolvable.
    """
    checker = _Checker(session, require_evidence, evidence)
    checker.proof(proof, ())
    return checker.problems


class _Checker:
    def __init__(self, session: Session, require_evidence: bool, evidence: Mapping[str, Evidence] | None) -> None:
        self.session = session
        self.program = session.program
        self.require_evidence = require_evidence
        self.evidence = evidence
        self.problems: list[str] = []

    def problem(self, where: Atom | BodyLiteral, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def proof(self, proof: Proof, ancestors: tuple[Atom, ...]) -> None:
        fact = proof.fact
        if not is_ground(fact):
            self.problem(fact, "a proven fact must be ground")
            return
        if fact in ancestors:
            self.problem(fact, "is used to prove itself")
            return
        if not self.session.solve(fact):
            self.problem(fact, "does not hold for this subject")
        if proof.source == "record":
            self.record(proof)
            return
        rule = proof.rule
        if rule is None or rule not in self.program.rules:
            self.problem(fact, f"cites a clause that is not in the program: {rule}")
            return
        self.metadata(rule)
        if proof.source == "kb-fact":
            if not rule.is_fact or rule.head != fact or proof.steps:
                self.problem(fact, f"is not the knowledge-base fact {rule}")
            return
        self.instance(proof, rule, ancestors + (fact,))

    def record(self, proof: Proof) -> None:
        fact = proof.fact
        if fact.key not in self.program.inputs():
            self.problem(fact, "is marked as from the record but its predicate is not an input")
        if Fact(fact.predicate, atom_values(fact)) not in self.session.facts:
            self.problem(fact, "is marked as from the record but the record does not hold it")
        if proof.steps or proof.rule is not None:
            self.problem(fact, "a fact from the record has no rule and no steps")

    def metadata(self, rule: Rule) -> None:
        if not self.require_evidence:
            return
        name = rule.rule_id or str(rule)
        if not rule.is_fact and (not rule.rule_id or not rule.metadata.statement or not rule.metadata.evidence):
            self.problems.append(f"{name}: a guideline rule needs @id, @statement and @evidence")
        for evidence_id in rule.metadata.evidence:
            if self.evidence is not None and evidence_id not in self.evidence:
                self.problems.append(f"{name}: evidence {evidence_id} is not in the registry")

    def instance(self, proof: Proof, rule: Rule, ancestors: tuple[Atom, ...]) -> None:
        values: dict[str, Value] = dict(proof.bindings)
        if rule.is_fact:
            self.problem(proof.fact, f"{rule} is a fact, not a rule")
            return
        head = substitute_atom(rule.head, values)
        if head != proof.fact:
            self.problem(proof.fact, f"the rule instance concludes {head}, not this fact")
        body = name_anonymous(rule.body)
        if len(proof.steps) != len(body):
            self.problem(proof.fact, f"has {len(proof.steps)} steps for the {len(body)} literals of {rule}")
            return
        if not self.session.solve(value_equalities(values) + body):
            self.problem(proof.fact, f"the body of {rule} does not hold with {_show(values)}")
        for literal, step in zip(body, proof.steps, strict=True):
            self.step(literal, step, values, ancestors)

    def step(self, literal: BodyLiteral, step: Step, values: Mapping[str, Value], ancestors: tuple[Atom, ...]) -> None:
        expected = substitute_literal(literal, values)
        if isinstance(literal, Atom):
            if not isinstance(step, Proof) or step.fact != expected:
                self.problem(literal, f"the step should prove {expected}")
                return
            self.proof(step, ancestors)
        elif isinstance(literal, Negation):
            if (
                not isinstance(step, Absence)
                or step.literal != literal
                or step.fact != substitute_atom(literal.atom, values)
            ):
                self.problem(literal, f"the step should show that {expected} holds")
                return
            if self.session.solve(step.fact):
                self.problem(literal, f"{step.fact} holds, so {expected} is false")
        else:
            if not isinstance(step, Check) or step.literal != literal or step.instantiated != expected:
                self.problem(literal, f"the step should check {expected}")
                return
            own = {
                variable.name: values[variable.name] for variable in variables_of(literal) if variable.name in values
            }
            if not self.session.solve(value_equalities(own) + (literal,)):
                self.problem(literal, f"{expected} is false")


def _show(values: Mapping[str, Value]) -> str:
    return ", ".join(f"{name} = {value}" for name, value in values.items()) or "no values"
