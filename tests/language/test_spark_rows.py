"""The rows a Spark run keeps hold every argument as text; read back, each is the value it was.

No Spark session is needed: these are the conversions on either side of a kept table.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from backspasm.reasoner.language.program import Value
from backspasm.reasoner.language.to_sql import RULE, Relation
from tests.conftest import require_pyspark

MIXED = Relation(("seen", 3), "seen", ("number", "symbol", "any"), per_subject=True, derived=True)


@pytest.fixture
def rows() -> ModuleType:
    require_pyspark()
    from backspasm.reasoner.language import spark_rows

    return spark_rows


@pytest.mark.parametrize(
    ("value", "slot", "sql"),
    [(-7, "number", "-7"), ("it's", "symbol", "'it\\'s'"), (4, "any", "'n4'"), ("4", "any", "'s4'")],
)
def test_a_value_is_written_as_the_literal_of_its_column(rows: ModuleType, value: Value, slot: str, sql: str) -> None:
    assert rows.value_literal(value, slot).sql(dialect="spark") == sql


def test_a_kept_row_of_text_is_read_back_as_the_values_it_stands_for(rows: ModuleType) -> None:
    assert rows.row_arguments({"a0": "-7", "a1": "it's", "a2": "n4"}, MIXED) == (-7, "it's", 4)


def test_tagged_rows_are_grouped_by_relation_with_their_rules(rows: ModuleType) -> None:
    kept = [
        {rows.TAG: 3, RULE: 1, "a0": "5", "a1": "heat", "a2": "s4"},
        {rows.TAG: 3, RULE: 2, "a0": "-1", "a1": "ice", "a2": "n4"},
    ]
    assert rows.model_of(kept, {3: MIXED}) == {"seen/3": [((5, "heat", "4"), 1), ((-1, "ice", 4), 2)]}
