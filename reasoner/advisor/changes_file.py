"""The shape of a knowledge base's changes file (``changes.yaml``): what may change in a record, and how time does.

pydantic checks the shape; :func:`reasoner.advisor.change_spec.read_change_spec` then checks
it against the record description (field names, types, codes, attributes, wording).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..datamodel import DataModel, Text

Connective = Literal["if", "once", "not before"]
Positive = Annotated[int, Field(ge=1)]


class Grows(DataModel):
    by: Positive
    every_days: Positive
    while_above: dict[str, int] = {}
    """Grows only while each named field is above its value, read on the day the search starts."""


class Change(DataModel):
    wording: Text
    connective: Connective = "if"


class Stop(Change):
    attribute: str


class Remove(DataModel):
    codes: dict[str, Text] = Field(min_length=1)
    connective: Connective = "if"


class AttributeChanges(DataModel):
    grows: Grows | None = None
    reached: Text | None = None
    fixed: Text | None = None


class FieldChanges(DataModel):
    grows: Grows | None = None
    reached: Text | None = None
    set: Change | None = None
    stop: Stop | None = None
    remove: Remove | None = None
    clear: Change | None = None
    fixed: Text | None = None
    attributes: dict[str, AttributeChanges] = {}


class ChangesFile(DataModel):
    horizon_days: Annotated[int, Field(ge=1, le=3650)]
    max_changes: Annotated[int, Field(ge=0, le=3)]
    fields: dict[str, FieldChanges]
