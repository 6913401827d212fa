"""A patient record from a few values given one by one (the command line's ``--age 45 --medication ssri``).

A code is written ``CODE`` or ``CODE:VALUE``, the value setting one attribute of the code
as the record description declares it (``maoi:10`` days since stopped, ``pregnancy:24``
weeks, ``hepatic_impairment:mild``). The record built here is then read and checked like
any other record; a value that no attribute takes raises :class:`QuickValueError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .records import RecordSpec


class QuickValueError(ValueError):
    """A ``CODE:VALUE`` the record description cannot read; the message says what to write instead."""


def quick_record(spec: RecordSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The record of ``values`` by field name: empty lists, None and False left out, codes read as above."""
    record: dict[str, Any] = {}
    for field_name, value in values.items():
        field = spec.field(field_name)
        if isinstance(value, tuple | list):
            if not value:
                continue
            record[field_name] = [code_item(field.attributes if field else (), text) for text in value]
        elif value is not None and value is not False:
            record[field_name] = value
    return record


def code_item(attributes: Iterable[Any], text: str) -> Any:
    """``CODE`` as itself, ``CODE:VALUE`` as ``{"code": CODE, attribute: VALUE}``."""
    code, separator, value = text.partition(":")
    if not separator:
        return code
    attribute = _attribute_for(list(attributes), code, value)
    if attribute is None:
        raise QuickValueError(f"{code} takes no value (write {code}, not {text})")
    if attribute.type == "integer":
        try:
            return {"code": code, attribute.name: int(value)}
        except ValueError:
            raise QuickValueError(f"{text}: {attribute.name} is a whole number") from None
    return {"code": code, attribute.name: value}


def _attribute_for(attributes: list[Any], code: str, value: str) -> Any:
    """The attribute a ``code:value`` sets: the one required for the code, else the one the value fits
    (a whole number for an integer attribute, one of its codes for a code attribute), else the first."""
    for attribute in attributes:
        if code in attribute.required_for:
            return attribute
    wanted = "integer" if value.lstrip("-").isdigit() else "code"
    fitting = [attribute for attribute in attributes if attribute.type == wanted]
    return fitting[0] if fitting else next(iter(attributes), None)
