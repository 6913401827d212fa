"""Statement templates: a rule's one-line statement, filled with the values of one answer.

A knowledge base writes its statements for a reader, and a statement that fits the
patient reads better than a general one: "Offer {course_days_max} days of {drug}" gives
"Offer 2 days of cyclobenzaprine". Two kinds of placeholder exist:

* ``{name}`` (lower case) is a parameter of the answer item the statement belongs to;
* ``{Name}`` (capitalised, like a Datalog variable) is a variable of the rule's head,
  bound wherever the rule was used.

A part in square brackets is optional: ``[, day {current_course_day} of the course]`` is
left out, brackets and all, unless every placeholder inside it has a value. Outside
brackets a placeholder without a value keeps its words (its label, or its name with
spaces) so the sentence is still read, never a brace. ``{{``, ``}}``, ``[[`` and ``]]``
stand for the literal characters.

Filling never evaluates anything: a template is text and names, nothing else.

>>> template = Template.parse("Offer [{course_days_min} to ]{course_days_max} days of {drug}.")
>>> template.fill({"course_days_max": 2, "drug": "cyclobenzaprine"})
'Offer 2 days of cyclobenzaprine.'
>>> template.fill({"course_days_min": 3, "course_days_max": 7, "drug": "cyclobenzaprine"})
'Offer 3 to 7 days of cyclobenzaprine.'
>>> Template.parse("Plain text has no placeholder.").names
frozenset()
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|\{([A-Za-z_][A-Za-z0-9_]*)\}|\[|\]|\{|\}|[^{}\[\]]+")


class TemplateError(ValueError):
    """A statement template that cannot be read: the message says where and what is allowed."""


@dataclass(frozen=True)
class Placeholder:
    """``{name}`` in a template: filled from the item's parameters or the rule's variables."""

    name: str

    @property
    def is_variable(self) -> bool:
        """``{Name}`` names a rule variable; ``{name}`` an item parameter."""
        return self.name[0].isupper() or self.name[0] == "_"


Part = str | Placeholder


@dataclass(frozen=True)
class Template:
    """A parsed statement: literal text, placeholders, and optional groups of both."""

    text: str
    parts: tuple[Part | tuple[Part, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """Read ``text``; raises :class:`TemplateError` at an unbalanced bracket or brace."""
        parts: list[Part | tuple[Part, ...]] = []
        group: list[Part] | None = None
        for match in _TOKEN.finditer(text):
            token = match.group(0)
            column = match.start() + 1
            if match.group(1) is not None:
                part: Part = Placeholder(match.group(1))
            elif token in ("{{", "}}", "[[", "]]"):
                part = token[0]
            elif token == "[":
                if group is not None:
                    raise TemplateError(f"column {column}: optional parts do not nest; close the '[' first")
                group = []
                continue
            elif token == "]":
                if group is None:
                    raise TemplateError(f"column {column}: ']' closes no '['; write ']]' for the character")
                parts.append(tuple(group))
                group = None
                continue
            elif token in ("{", "}"):
                doubled = token * 2
                raise TemplateError(
                    f"column {column}: a placeholder is {{name}} with a letter first; write {doubled} for the character"
                )
            else:
                part = token
            if group is not None:
                group.append(part)
            else:
                parts.append(part)
        if group is not None:
            raise TemplateError("an optional part opened with '[' is not closed")
        return cls(text, tuple(parts))

    @property
    def names(self) -> frozenset[str]:
        """Every placeholder's name, optional or not."""
        found: set[str] = set()
        for part in self.parts:
            for inner in part if isinstance(part, tuple) else (part,):
                if isinstance(inner, Placeholder):
                    found.add(inner.name)
        return frozenset(found)

    @property
    def is_plain(self) -> bool:
        return not self.names and all(isinstance(part, str) for part in self.parts)

    def fill(
        self,
        values: Mapping[str, Any],
        words: Callable[[Any], str] = str,
        missing: Callable[[str], str] = lambda name: name.replace("_", " "),
    ) -> str:
        """The statement with ``values`` in place, each value said by ``words``.

        An optional part whose placeholders do not all have a value is left out; any other
        placeholder without a value is said by ``missing`` (its label, by default its name).
        """
        pieces: list[str] = []
        for part in self.parts:
            if isinstance(part, tuple):
                if all(not isinstance(inner, Placeholder) or inner.name in values for inner in part):
                    pieces.extend(_say(inner, values, words, missing) for inner in part)
            else:
                pieces.append(_say(part, values, words, missing))
        return "".join(pieces)


def _say(part: Part, values: Mapping[str, Any], words: Callable[[Any], str], missing: Callable[[str], str]) -> str:
    if isinstance(part, str):
        return part
    return words(values[part.name]) if part.name in values else missing(part.name)


def fill(text: str, values: Mapping[str, Any], words: Callable[[Any], str] = str) -> str:
    """Fill one statement's text; a text that is not a valid template is returned as it is."""
    try:
        return Template.parse(text).fill(values, words)
    except TemplateError:
        return text
