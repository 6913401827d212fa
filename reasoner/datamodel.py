"""The base of the pydantic models that give knowledge-base data files their shape.

A data file's model says which fields it has, their types and allowed values;
:func:`reasoner.datafile.validate` runs it and reports each error at file:line:col.
Models are strict (``"3"`` is not a number, ``"yes"`` not a boolean) and forbid unknown
fields, like the hand-written checks they replace. This module imports pydantic, so only
code that reads a data file imports it, lazily, never the start-up path of a command.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must be non-empty text")
    return text


Text = Annotated[str, AfterValidator(_not_blank)]
"""Text with something in it besides white space."""


class DataModel(BaseModel):
    """A mapping of a data file: strict types, no unknown fields, values frozen once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
