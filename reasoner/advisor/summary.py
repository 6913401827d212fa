"""The plan summary: what a clinician reads first, in the words of a clinical note.

A summary is built from an answer and the vocabulary's ``summary`` section, nothing else:
a banner for items that must not be missed (a red-flag referral), then one line per
summary line of the vocabulary (the drug offered with dose, duration and stop rule; the
non-drug care; what is not offered and why), each item said by its ``note`` template
filled with its parameters, and a footer of the items every patient gets. A warning
about an item sits on a line under that item, whether the item is offered or withheld.
The text answer, the JSON of ``recommend`` and the CDS summary card all use it, so they
say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .answer import Answer, Item
from .answer_spec import AnswerSpec, SummaryLine


@dataclass(frozen=True)
class PlanLine:
    """One line of the plan, with the cautions (warnings about its items) said under it."""

    text: str
    codes: tuple[str, ...]
    cautions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "codes": list(self.codes), "cautions": list(self.cautions)}


@dataclass(frozen=True)
class Summary:
    """The plan summary of an answer: banner, plan lines and footer."""

    banner: tuple[str, ...]
    """Lines that open the answer (a red-flag referral): empty when there is nothing to flag."""
    banner_codes: tuple[str, ...]
    lines: tuple[PlanLine, ...]
    footer: str
    """The one line of items every patient gets; empty when there are none."""
    footer_codes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "banner": list(self.banner),
            "banner_codes": list(self.banner_codes),
            "lines": [line.to_json() for line in self.lines],
            "footer": self.footer,
            "footer_codes": list(self.footer_codes),
        }

    def text_lines(self) -> list[str]:
        """The plan as plain lines, cautions indented under their line."""
        lines: list[str] = []
        for line in self.lines:
            lines.append(line.text)
            lines.extend(f"  {caution}" for caution in line.cautions)
        return lines


def summarize(answer: Answer, spec: AnswerSpec) -> Summary:
    """The plan summary of ``answer`` as ``spec``'s ``summary`` section lays it out."""
    banner_items = [item for item in answer.items if spec.codes[item.code].banner]
    banner = [
        _sentence(spec.fill(line, item.parameters)) for item in banner_items for line in spec.codes[item.code].banner
    ]
    everyone = [item for item in answer.items if (item.code, item.kind) in spec.everyone]
    present = {item.code for item in answer.items if item.kind != "warn"}
    cautions: dict[str, list[Item]] = {}
    for item in answer.items:
        about = spec.codes[item.code].about
        if item.kind == "warn" and about in present:
            cautions.setdefault(str(about), []).append(item)
    placed = {id(item) for item in banner_items + everyone} | {id(i) for items in cautions.values() for i in items}
    lines: list[PlanLine] = []
    for line_spec in spec.summary_lines:
        chosen = [item for item in _items_for(answer, line_spec) if id(item) not in placed]
        placed.update(id(item) for item in chosen)
        lines += _plan_lines(line_spec, chosen, cautions, spec)
    footer = ""
    if everyone:
        notes = "; ".join(_note(item, spec) for item in everyone)
        footer = f"{spec.footer}: {notes}" if spec.footer else _sentence(notes)
    return Summary(
        banner=tuple(banner),
        banner_codes=tuple(item.code for item in banner_items),
        lines=tuple(lines),
        footer=footer,
        footer_codes=tuple(item.code for item in everyone),
    )


def _items_for(answer: Answer, line: SummaryLine) -> list[Item]:
    items = [item for item in answer.items if item.kind in line.kinds]
    if not line.codes:
        return items
    order = {code: index for index, code in enumerate(line.codes)}
    return sorted((item for item in items if item.code in order), key=lambda item: order[item.code])


def _plan_lines(
    line: SummaryLine, items: list[Item], cautions: dict[str, list[Item]], spec: AnswerSpec
) -> list[PlanLine]:
    if not items:
        return []
    result = []
    for group in _groups(line, items):
        text = "; ".join(_note(item, spec) for item in group)
        said = [_note(warning, spec) for item in group for warning in cautions.get(item.code, ())]
        key = line.group_by
        shared = {key: group[0].parameters[key]} if key is not None and key in group[0].parameters else {}
        heading = spec.fill(line.heading, shared)
        result.append(
            PlanLine(
                text=f"{heading}: {text}" if heading else _sentence(text),
                codes=tuple(item.code for item in group),
                cautions=tuple(f"caution: {caution}" for caution in said),
            )
        )
    return result


def _groups(line: SummaryLine, items: list[Item]) -> Iterable[list[Item]]:
    """One group per item (``each``), per value of ``group_by`` (in first-seen order), or one for all."""
    if line.each:
        return [[item] for item in items]
    if line.group_by is None:
        return [items]
    groups: dict[Any, list[Item]] = {}
    for item in items:
        groups.setdefault(item.parameters.get(line.group_by), []).append(item)
    return list(groups.values())


def _note(item: Item, spec: AnswerSpec) -> str:
    return spec.fill(spec.codes[item.code].note(item.kind), item.parameters)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
