"""Terminology applied before the code table: products to ingredients, coded answers, vital signs.

EHRs code a drug by its product far more often than by its ingredient, answer a finding
with a coded "No", and record a fever as a body temperature. The knowledge base's
``terminology`` data file (``terminology.yaml``) holds what it takes to read these, each
table naming the published terminology it comes from; this module reads and checks it.
Nothing here looks at display text: a coding is known by its system and code, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..advisor.records import RecordSpec
from ..datafile import DataFile, PathKey
from ..errors import KnowledgeBaseError, Problem
from .mapping import Coding

_FAHRENHEIT = "[degF]"
_CONVERSIONS = {
    ("Cel", "Cel"): lambda value: value,
    (_FAHRENHEIT, "Cel"): lambda value: (value - 32) * 5 / 9,
    (_FAHRENHEIT, _FAHRENHEIT): lambda value: value,
    ("Cel", _FAHRENHEIT): lambda value: value * 9 / 5 + 32,
}
"""UCUM unit conversions the vital signs may need: temperatures in degrees Celsius and Fahrenheit."""


@dataclass(frozen=True)
class Product:
    """A drug product and the ingredients it contains."""

    coding: Coding
    name: str
    ingredients: tuple[Coding, ...]


@dataclass(frozen=True)
class VitalSign:
    """A measurement that gives a finding (``field``, ``code``) at or above a threshold in ``units[0]``."""

    name: str
    codes: frozenset[Coding]
    units: tuple[str, ...]
    field: str
    code: str
    at_least: Decimal

    def finding(self, value: Decimal, unit: str) -> bool | None:
        """Whether ``value`` in ``unit`` reaches the threshold; None when the unit is not one of ``units``."""
        if unit not in self.units:
            return None
        convert = _CONVERSIONS.get((unit, self.units[0]))
        if convert is None:
            return None
        return bool(convert(value) >= self.at_least)


@dataclass(frozen=True)
class Terminology:
    """The terminology tables of a knowledge base; empty when it has none."""

    products: Mapping[Coding, Product] = field(default_factory=dict)
    absent: frozenset[Coding] = frozenset()
    present: frozenset[Coding] = frozenset()
    vital_signs: tuple[VitalSign, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def ingredients(self, codings: Iterable[Coding]) -> list[tuple[Coding, Product]]:
        """The ingredient codings of every listed product among ``codings``, with the product."""
        return [
            (ingredient, product)
            for coding in codings
            if (product := self.products.get(coding)) is not None
            for ingredient in product.ingredients
        ]

    def answer(self, codings: Iterable[Coding]) -> bool | None:
        """False when a coding says absent, True when one says present (absent wins), None when neither."""
        found = list(codings)
        if any(coding in self.absent for coding in found):
            return False
        if any(coding in self.present for coding in found):
            return True
        return None

    def vital_sign(self, codings: Iterable[Coding]) -> VitalSign | None:
        found = set(codings)
        return next((sign for sign in self.vital_signs if sign.codes & found), None)


def read_terminology(data_file: DataFile, record_spec: RecordSpec) -> Terminology:
    """Read and check ``terminology.yaml``; problems name file:line:col and what is allowed."""
    data = data_file.data
    problems: list[Problem] = []

    def problem(path: PathKey, message: str) -> None:
        problems.append(data_file.problem(path, message, "terminology"))

    if not isinstance(data, dict):
        raise KnowledgeBaseError([data_file.problem((), "terminology is a mapping of tables", "terminology")])
    systems_raw = data.get("systems") or {}
    systems = {str(name): url for name, url in systems_raw.items() if isinstance(url, str)}
    for name, url in systems_raw.items():
        if not isinstance(url, str):
            problem(("systems", str(name)), "a system is its URL")

    def coding(path: PathKey, token: Any) -> Coding | None:
        system, _, code = str(token).partition("|")
        if not isinstance(token, str) or system not in systems or not code:
            problem(path, f"{token!r} is not system|code with a known system ({', '.join(systems)})")
            return None
        return Coding(systems[system], code)

    def codings(path: PathKey, raw: Any) -> list[Coding]:
        if not isinstance(raw, list):
            problem(path, "a list of system|code tokens")
            return []
        return [found for index, token in enumerate(raw) if (found := coding((*path, index), token)) is not None]

    sources: dict[str, str] = {}

    def table(name: str) -> dict[str, Any]:
        raw = data.get(name)
        if raw is None:
            return {}
        if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
            problem((name,), "each table is a mapping that names its published source")
            return {}
        sources[name] = " ".join(raw["source"].split())
        return raw

    products: dict[Coding, Product] = {}
    for token, raw in (table("products").get("codes") or {}).items():
        path: PathKey = ("products", "codes", str(token))
        product = coding(path, token)
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            problem(path, "a product has a name and its list of ingredients")
            continue
        ingredients = codings((*path, "ingredients"), raw.get("ingredients"))
        if product is not None and ingredients:
            products[product] = Product(product, raw["name"], tuple(ingredients))

    answers = table("answers")
    absent = set(codings(("answers", "absent"), answers.get("absent", [])))
    present = set(codings(("answers", "present"), answers.get("present", [])))
    for both in sorted(absent & present, key=str):
        problem(("answers",), f"{both} is listed as both absent and present")

    vital_signs: list[VitalSign] = []
    for name, raw in table("vital_signs").items():
        if name == "source":
            continue
        path = ("vital_signs", str(name))
        if not isinstance(raw, dict):
            problem(path, "a vital sign has codes, units, finding and at_least")
            continue
        units = raw.get("units")
        if not isinstance(units, list) or not units or any((unit, units[0]) not in _CONVERSIONS for unit in units):
            problem(
                (*path, "units"),
                f"a list of UCUM units this reader converts: {', '.join(sorted({u for u, _ in _CONVERSIONS}))}",
            )
            continue
        field_name, _, code = str(raw.get("finding")).partition("|")
        spec = record_spec.field(field_name)
        if spec is None or spec.type != "codes" or code not in spec.codes:
            problem((*path, "finding"), f"{raw.get('finding')!r} is not field|code of a record field of codes")
            continue
        threshold = raw.get("at_least")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            problem((*path, "at_least"), "a number, in the first of the units")
            continue
        vital_signs.append(
            VitalSign(
                str(name),
                frozenset(codings((*path, "codes"), raw.get("codes"))),
                tuple(str(unit) for unit in units),
                field_name,
                code,
                Decimal(str(threshold)),
            )
        )
    if problems:
        raise KnowledgeBaseError(problems)
    return Terminology(products, frozenset(absent), frozenset(present), tuple(vital_signs), sources)
