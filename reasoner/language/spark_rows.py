"""The rows a Spark run keeps and reads back: tagged rows of every relation, all text.

Every kept table of a run has one shape: a tag naming the relation (:data:`TAG`), the
subject, the rule, and each argument as text; the values are cast back per column on
reading (:func:`arguments`). Rows are read back through JSON Lines files Spark writes
(:func:`written_rows`), part by part, so the driver's memory does not grow with the cohort.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame

from .engine import Row
from .program import Value
from .spark_session import SparkError, first_line
from .to_sql import RULE, Relation, decode, encode

TAG = "relation"
"""The column of a wave's table that says which relation a row belongs to."""

Model = dict[str, list[tuple[Row, int]]]
"""One subject's rows of the wanted predicates, ``name/arity`` → rows with their rule index."""


def written_rows(frame: DataFrame, folder: Path) -> Iterator[dict[str, Any]]:
    """A frame's rows, written by Spark as JSON Lines into ``folder`` and read back part by part.

    Rows come back through files rather than pyspark's local sockets: the parts are read
    in partition order, one line at a time, so memory stays flat, and a cluster's
    executors write them where the driver reads (the staging folder must be shared).
    """
    try:
        frame.write.mode("overwrite").json(str(folder))
    except (PySparkException, Py4JError) as error:
        raise SparkError(f"Spark stopped writing the answers: {first_line(error)}") from None
    for part in sorted(folder.glob("part-*")):
        with part.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def value_literal(value: Value, slot: str) -> exp.Expr:
    """A value as the literal of a column of ``slot``'s type (``any`` slots hold tagged text)."""
    if slot == "any":
        return exp.Literal.string(encode(value))
    if isinstance(value, int):
        return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))
    return exp.Literal.string(value)


def relation_name(relation: Relation) -> str:
    return f"{relation.key[0]}/{relation.key[1]}"


def _loaded(text: str, slot: str) -> Value:
    if slot == "any":
        return decode(text)
    if slot == "number":
        return int(text)
    return text


def row_arguments(found: Mapping[str, Any], relation: Relation) -> Row:
    """The arguments of one tagged row (all text), as the values they stand for."""
    return tuple(_loaded(str(found[f"a{index}"]), slot) for index, slot in enumerate(relation.types))


def model_of(rows: Iterable[Mapping[str, Any]], by_tag: Mapping[int, Relation]) -> Model:
    model: Model = {}
    for found in rows:
        relation = by_tag[int(found[TAG])]
        model.setdefault(relation_name(relation), []).append((row_arguments(found, relation), int(found[RULE])))
    return model


__all__ = ["TAG", "Model", "model_of", "relation_name", "row_arguments", "value_literal", "written_rows"]
