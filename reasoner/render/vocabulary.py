"""The knowledge base's own words for what an explanation holds: record fields, code labels, statements.

A proof speaks Datalog: ``symptom_days(42)``, ``condition(pregnancy)``. The knowledge
base also says, as data, what those mean to a reader: ``record.yaml`` names the record
field each input predicate comes from and the label of each code, ``answer.yaml`` the
label of each answer code, and a rule's ``@statement`` may be a template
(:mod:`..knowledge.template`) filled with one answer's parameters and the proof's
bindings. A :class:`Vocabulary` gathers those words once; the short explanations
(:mod:`.decisive`, :mod:`.sentence`) read them and nothing written per rule. Without a
vocabulary (a plain program) a predicate's name is read with spaces for underscores.

>>> words = Vocabulary(inputs={"condition": InputWords("conditions", codes={"pregnancy": "Pregnancy"})})
>>> words.fact(Atom("condition", (Constant("pregnancy"),)))
'pregnancy in conditions'
>>> words.missing(Atom("symptom_days", (Variable("Days"),)))
'no symptom days'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..explain.explanation import Bindings
from ..knowledge.template import Template, TemplateError
from ..language.program import Atom, Constant, Rule, Value, Variable

if TYPE_CHECKING:
    from ..advisor.answer_spec import AnswerSpec
    from ..advisor.records import RecordSpec

ParameterValue = Value | tuple[Value, ...]


@dataclass(frozen=True)
class InputWords:
    """How the facts of one input predicate are said: the record field's name and its codes' labels.

    ``codes`` label the values of a codes field (``condition(pregnancy)``); ``owners``
    label the first argument of an attribute fact (``condition_severity(hepatic_impairment,
    moderate)``: the codes of the field the attribute belongs to).
    """

    name: str
    codes: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    """Words for one explanation: the record's fields and codes, value labels, the item's parameters."""

    inputs: Mapping[str, InputWords] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    """Value to label, for values said on their own (a filled placeholder, a derived fact's argument)."""
    parameters: Mapping[str, ParameterValue] = field(default_factory=dict)
    """The explained item's parameters, for ``{name}`` placeholders of statements."""

    def with_parameters(self, parameters: Mapping[str, ParameterValue]) -> Vocabulary:
        return Vocabulary(self.inputs, self.labels, dict(parameters))

    def value(self, value: ParameterValue) -> str:
        """A value in words: numbers as they are, codes by their label, lists joined with commas and "and"."""
        if isinstance(value, tuple):
            return join_words([self.value(item) for item in value])
        if isinstance(value, int):
            return str(value)
        label = self.labels.get(value)
        return embedded(label) if label else value.replace("_", " ")

    def in_record_order(self, facts: tuple[Atom, ...] | list[Atom]) -> list[Atom]:
        """Facts in the order of the record's fields (the order a record is written in), others after them."""
        order = {predicate: index for index, predicate in enumerate(self.inputs)}
        return sorted(facts, key=lambda fact: order.get(fact.predicate, len(order)))

    def name(self, predicate: str) -> str:
        """A predicate in words: its record field's name, else its own name with spaces."""
        spoken = self.inputs.get(predicate)
        return spoken.name if spoken is not None else predicate.replace("_", " ")

    def fact(self, atom: Atom) -> str:
        """A fact of the record in words: ``age 38``, ``pregnancy in conditions``, ``severity of … moderate``."""
        return self._said(atom) or self.name(atom.predicate)

    def missing(self, atom: Atom) -> str:
        """A fact looked for and not found: ``no relaxant course day``, ``no pregnancy in conditions``."""
        return f"no {self._said(atom, known_only=True) or self.name(atom.predicate)}"

    def derived(self, atom: Atom) -> str:
        """A derived fact in words: its predicate's name and its known arguments, ``phase chronic``."""
        known = [self.value(argument.value) for argument in atom.arguments if isinstance(argument, Constant)]
        return " ".join([self.name(atom.predicate), *known])

    def _said(self, atom: Atom, known_only: bool = False) -> str | None:
        spoken = self.inputs.get(atom.predicate)
        arguments = atom.arguments
        name = spoken.name if spoken is not None else self.name(atom.predicate)
        if not arguments:
            return name
        if len(arguments) == 1:
            [argument] = arguments
            if not isinstance(argument, Constant):
                return name if known_only else None
            if spoken is not None and spoken.codes:
                return f"{self._label(spoken.codes, argument.value)} in {name}"
            return f"{name} {self.value(argument.value)}"
        if spoken is not None and spoken.owners and len(arguments) == 2:
            owner, value = arguments
            words = name
            if isinstance(owner, Constant):
                words += f" of {self._label(spoken.owners, owner.value)}"
            if isinstance(value, Constant):
                words += f" {self._label(spoken.codes, value.value)}"
            return words
        known = [self.value(argument.value) for argument in arguments if isinstance(argument, Constant)]
        return " ".join([name, *known])

    def _label(self, codes: Mapping[str, str], value: Value) -> str:
        label = codes.get(value) if isinstance(value, str) else None
        return embedded(label) if label else self.value(value)

    def operand(self, rule: Rule, variable: str, bindings: Mapping[str, Value]) -> str | None:
        """What a rule's variable stands for, from the atom that binds it: ``age``, ``relaxant days left``.

        The first positive body atom holding the variable names it: a one-argument atom by
        its predicate, an attribute fact by the attribute and the code it qualifies. A
        variable bound only by an equality is named after a one-argument head. Otherwise None.
        """
        for atom in (*rule.positive_atoms(), rule.head):
            positions = [index for index, term in enumerate(atom.arguments) if term == Variable(variable)]
            if not positions:
                continue
            if atom.arity == 1:
                return self.name(atom.predicate)
            spoken = self.inputs.get(atom.predicate)
            if spoken is not None and spoken.owners and atom.arity == 2 and positions == [1]:
                owner = atom.arguments[0]
                value = owner.value if isinstance(owner, Constant) else bindings.get(owner.name)
                return f"{spoken.name} of {self._label(spoken.owners, value)}" if value is not None else spoken.name
            return None
        return None

    def statement(self, rule: Rule | None, bindings: Bindings = ()) -> str | None:
        """The rule's statement filled with the item's parameters and the rule's values; never a brace."""
        if rule is None or not rule.metadata.statement:
            return None
        values: dict[str, ParameterValue] = dict(self.parameters)
        values.update((name, value) for name, value in bindings if not name.startswith("_"))
        return fill_statement(rule.metadata.statement, values, self.value)


def fill_statement(text: str, values: Mapping[str, ParameterValue], words: Callable[[Any], str] = str) -> str:
    """A statement's text with its placeholders filled; an unreadable template loses its braces, not its words.

    A placeholder without a value is said by its name in lower case with spaces (``{Reason}``
    reads ``reason``), so a statement is still read, never a brace.
    """
    try:
        return Template.parse(text).fill(values, words, missing=lambda name: name.replace("_", " ").lower())
    except TemplateError:
        return text.replace("{", "").replace("}", "")


def embedded(label: str) -> str:
    """A label inside a sentence: its capital dropped, unless it starts an acronym (NSAID, TENS)."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def join_words(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def vocabulary_of(
    record: RecordSpec | None, answer: AnswerSpec | None, parameters: Mapping[str, ParameterValue] | None = None
) -> Vocabulary:
    """The words of a knowledge base's record and answer descriptions, with one item's parameters.

    A symbol is said by its record code label, else its answer code label, else the words
    answer.yaml gives the values parameters hold (``maoi_within_14_days``: "an MAOI within 14 days").
    """
    inputs: dict[str, InputWords] = {}
    labels: dict[str, str] = {}
    for spec in record.fields if record is not None else ():
        if spec.fact is not None:
            inputs.setdefault(spec.fact, InputWords(spec.name.replace("_", " "), dict(spec.codes)))
        for attribute in spec.attributes:
            words = InputWords(attribute.name.replace("_", " "), dict(attribute.codes), dict(spec.codes))
            inputs.setdefault(attribute.fact, words)
            labels.update((code, label) for code, label in attribute.codes.items() if label and code not in labels)
        labels.update((code, label) for code, label in spec.codes.items() if label and code not in labels)
    for code, info in answer.codes.items() if answer is not None else ():
        labels.setdefault(code, info.label)
    for value, said in answer.values.items() if answer is not None else ():
        labels.setdefault(value, said)
    return Vocabulary(inputs, labels, dict(parameters or {}))
