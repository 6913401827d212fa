"""``backspasm kb sql`` prints the compiled knowledge base, readable back in every dialect."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.language.to_sql import DIALECTS


@pytest.mark.parametrize("dialect", DIALECTS)
def test_kb_sql_prints_statements_that_parse_in_their_dialect(dialect: str) -> None:
    result = CliRunner().invoke(main, ["kb", "sql", "--dialect", dialect], catch_exceptions=False)
    assert result.exit_code == 0
    statements = [statement for statement in sqlglot.parse(result.output, read=dialect) if statement is not None]
    assert any(statement.key == "insert" for statement in statements)
    assert "item_2" in result.output


def test_kb_sql_for_duckdb_runs_as_printed_on_an_empty_cohort() -> None:
    result = CliRunner().invoke(main, ["kb", "sql"], catch_exceptions=False)
    connection = duckdb.connect()
    connection.execute(result.output)
    assert connection.execute("SELECT count(*) FROM item_2").fetchone() == (0,)


def test_kb_sql_names_the_allowed_dialects_for_an_unknown_one() -> None:
    result = CliRunner().invoke(main, ["kb", "sql", "--dialect", "oracle"])
    assert result.exit_code == 2
    assert "'duckdb', 'spark', 'postgres', 'bigquery', 'trino'" in result.output
