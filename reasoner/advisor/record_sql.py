"""The record spec's checks compiled to SQL: a whole cohort's records validated at once on DuckDB.

:meth:`RecordSpec.read` validates one record in Python; this module turns the same spec
(``record.yaml``: types, ranges, codes, attributes, ``at_most`` limits, unknown fields)
into one SQL query over a table of JSON text lines, ``(line BIGINT, text VARCHAR)``, and
gives each failing line the problems, in the same order and words, that the Python
validator gives, never stopping at the first bad line.

A few records are handed to the Python validator instead, because their messages quote
values in ways SQL cannot reproduce exactly or because they need the strict parser's
verdict: text that is not valid JSON or not an object; any backslash escape, quote
character or character outside printable ASCII (Python's ``repr`` of a string); numbers
with a fraction, an exponent or 19 digits and more; duplicate keys; more brackets than
the parser's nesting limit; more unknown keys than a message lists. These are rare in a
cohort and cost what they cost today; every other record, valid or not, is judged in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import FieldProblem, RecordError
from .records import MAX_PROBLEMS, Attribute, FieldSpec, RecordSpec, _capped
from .recordtext import MAX_NESTING, TextProblem, load_json

INTEGER_TYPES = "('BIGINT', 'UBIGINT')"


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in(codes: Any) -> str:
    return "(" + ", ".join(_lit(str(code)) for code in codes) + ")" if codes else "(NULL)"


FIELD_COLUMN = re.compile(r"v[0-9]+")
"""A field's value column of ``record_fields``; its JSON type is stored beside it (``v3``, ``t3``)."""


def type_of(value: str) -> str:
    """SQL for the JSON type of ``value``: a field's column ``vN`` has it in ``tN``, worked out once
    per record (the checks ask for it about five times a field), anything else is asked for."""
    return "t" + value[1:] if FIELD_COLUMN.fullmatch(value) else f"json_type({value})"


def _describe(value: str) -> str:
    """SQL for :func:`datafile.describe` of a JSON value (strings plain printable ASCII, as hard records are not)."""
    return (
        f"CASE {type_of(value)} WHEN 'BOOLEAN' THEN 'boolean ' || CAST({value} AS VARCHAR) "
        f"WHEN 'VARCHAR' THEN 'text ''' || ({value} ->> '$') || '''' "
        f"WHEN 'BIGINT' THEN 'number ' || CAST(TRY_CAST({value} AS HUGEINT) AS VARCHAR) "
        f"WHEN 'UBIGINT' THEN 'number ' || CAST(TRY_CAST({value} AS HUGEINT) AS VARCHAR) "
        f"WHEN 'ARRAY' THEN 'a list' WHEN 'OBJECT' THEN 'an object' ELSE 'null' END"
    )


def _shown(value: str) -> str:
    """A code as a message quotes it: ``'x'`` for text, else described."""
    return f"CASE {type_of(value)} WHEN 'VARCHAR' THEN '''' || ({value} ->> '$') || '''' ELSE {_describe(value)} END"


def _path(name: str) -> str:
    return "'$.\"" + name.replace("'", "''").replace('"', '\\"') + "\"'"


def _present(value: str) -> str:
    return f"({type_of(value)} IS NOT NULL AND {type_of(value)} <> 'NULL')"


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


class Problems:
    """Problem rows gathered as ``SELECT line, k1, k2, k3, field, message`` branches of one UNION ALL."""

    def __init__(self) -> None:
        self.branches: list[str] = []

    def add(self, source: str, keys: tuple[str, str, str], field: str, message: str, where: str) -> None:
        self.branches.append(
            f"SELECT line, {keys[0]} AS k1, {keys[1]} AS k2, {keys[2]} AS k3, {field} AS field, "
            f"{message} AS message FROM {source} WHERE {where}"
        )

    def integer(
        self, source: str, keys: tuple[str, str, str], path: str, value: str, bounds: Attribute | FieldSpec
    ) -> None:
        """A whole number's checks, as ``_read_integer`` makes them; ``keys[2]`` is a k3 prefix (SQL text)."""
        first, second, prefix = keys
        present = _present(value)
        self.add(
            source,
            (first, second, f"{prefix} || '0'"),
            path,
            f"'must be a whole number, not ' || {_describe(value)}",
            f"{present} AND {type_of(value)} NOT IN {INTEGER_TYPES}",
        )
        number = f"TRY_CAST({value} AS HUGEINT)"
        allowed = _range(bounds.minimum, bounds.maximum)
        typed = f"{type_of(value)} IN {INTEGER_TYPES}"
        if bounds.minimum is not None:
            self.add(
                source,
                (first, second, f"{prefix} || '1'"),
                path,
                f"CAST({number} AS VARCHAR) || {_lit(f' is below the minimum {bounds.minimum}; allowed: {allowed}')}",
                f"{typed} AND {number} < {bounds.minimum}",
            )
        if bounds.maximum is not None:
            below = f" AND {number} >= {bounds.minimum}" if bounds.minimum is not None else ""
            self.add(
                source,
                (first, second, f"{prefix} || '2'"),
                path,
                f"CAST({number} AS VARCHAR) || {_lit(f' is above the maximum {bounds.maximum}; allowed: {allowed}')}",
                f"{typed} AND {number} > {bounds.maximum}{below}",
            )

    def sql(self) -> str:
        return "\nUNION ALL\n".join(self.branches)


def valid_number(value: str, spec: FieldSpec) -> str:
    """SQL for the field's value when it is a whole number within its limits, else NULL."""
    number = f"TRY_CAST({value} AS HUGEINT)"
    conditions = [f"{type_of(value)} IN {INTEGER_TYPES}"]
    if spec.minimum is not None:
        conditions.append(f"{number} >= {spec.minimum}")
    if spec.maximum is not None:
        conditions.append(f"{number} <= {spec.maximum}")
    return f"CASE WHEN {' AND '.join(conditions)} THEN {number} END"


def compile_checks(spec: RecordSpec, table: str) -> list[str]:
    """Statements that leave ``record_problems(line, k1, k2, k3, field, message)`` and ``record_hard(line)``.

    ``table`` has the columns ``line`` and ``text`` (one JSON record each). The problems
    of a line, ordered by ``k1, k2, k3``, are those :meth:`RecordSpec.read` lists, before
    its cap; ``record_hard`` lists the lines left to the Python validator.
    """
    names = [field.name for field in spec.fields]
    # One json_extract of every field's path reads a record once; one per field read it once per field.
    paths = ", ".join(_path(field.name) for field in spec.fields)
    columns = ", ".join(
        f"fields[{place}] AS v{place - 1}, json_type(fields[{place}]) AS t{place - 1}"
        for place in range(1, len(spec.fields) + 1)
    )
    patterns = [
        r"[^ -~]|[\\'']",  # escapes and text beyond printable ASCII
        "[0-9][.eE]|[0-9]{19}",  # fractions, exponents, numbers beyond 64 bits
        # What DuckDB's parser accepts and the strict one refuses, or reads otherwise: a
        # trailing comma, NaN and infinities (lower case too).
        r",\s*[}\]]|[:\[,]\s*[-+]?(?i:nan|inf)",
        rf"([\[{{][^\[{{]*){{{MAX_NESTING + 1}}}",  # more brackets than the deepest nesting allowed
    ]
    hard = " OR ".join(
        [
            "j IS NULL",
            "json_type(j) <> 'OBJECT'",
            # One pass of one pattern over the text: four passes cost five times as much.
            f"regexp_matches(text, '{'|'.join(patterns)}')",
            "len(keys) <> len(list_distinct(keys))",
            f"len(list_filter(keys, key -> key NOT IN {_in(names)})) > {MAX_PROBLEMS}",
        ]
    )
    statements = [
        # A record's keys listed once, for the checks of duplicate and unknown fields.
        "CREATE OR REPLACE TEMP TABLE record_json AS SELECT line, text, j, json_keys(j) AS keys FROM "
        f"(SELECT line, text, CASE WHEN json_valid(text) THEN CAST(text AS JSON) END AS j FROM {table})",
        f"CREATE OR REPLACE TEMP TABLE record_hard AS SELECT line FROM record_json WHERE {hard}",
        f"CREATE OR REPLACE TEMP TABLE record_fields AS SELECT line, j, keys, {columns} FROM (SELECT line, j, keys, "
        f"json_extract(j, [{paths}]) AS fields FROM record_json WHERE line NOT IN (SELECT line FROM record_hard))",
    ]
    problems = Problems()
    allowed = ", ".join(names)
    problems.add(
        "(SELECT line, unnest(keys) AS key, generate_subscripts(keys, 1) AS position FROM record_fields "
        f"WHERE len(list_filter(keys, key -> key NOT IN {_in(names)})) > 0)",
        ("'0'", "lpad(CAST(position AS VARCHAR), 4, '0')", "''"),
        "key",
        _lit(f"unknown field; allowed: {allowed}"),
        f"key NOT IN {_in(names)}",
    )
    for index, field in enumerate(spec.fields):
        value, keys = f"v{index}", ("'1'", f"'{index:04d}'")
        if field.required:
            problems.add(
                "record_fields",
                (*keys, "'0'"),
                _lit(field.name),
                _lit(f"is required: {field.description or field.type}"),
                f"NOT {_present(value)}",
            )
        present = _present(value)
        if field.type == "text":
            problems.add(
                "record_fields",
                (*keys, "'0'"),
                _lit(field.name),
                f"'must be non-empty text, not ' || {_describe(value)}",
                f"{present} AND ({type_of(value)} <> 'VARCHAR' OR trim({value} ->> '$') = '')",
            )
        elif field.type == "boolean":
            problems.add(
                "record_fields",
                (*keys, "'0'"),
                _lit(field.name),
                f"'must be true or false, not ' || {_describe(value)}",
                f"{present} AND {type_of(value)} <> 'BOOLEAN'",
            )
        elif field.type == "integer":
            problems.integer("record_fields", (*keys, "''"), _lit(field.name), value, field)
        else:
            statements.append(_items_table(index, field))
            _code_checks(problems, index, field)
    statements.append(f"CREATE OR REPLACE TEMP TABLE record_problems AS SELECT * FROM ({problems.sql()})")
    statements += _cross_field(spec)
    return statements


def _items_table(index: int, field: FieldSpec) -> str:
    """One row per item of a ``codes`` field's list, for lists the field-level checks let through."""
    value = f"v{index}"
    attributes = ["code", *(attribute.name for attribute in field.attributes)]
    # Each item's JSON type, its code's and its code's text worked out once, in the innermost
    # queries, for the several expressions that ask for them.
    known = f"coalesce(code_type = 'VARCHAR' AND code_text IN {_in(field.codes)}, false)"
    return (
        f"CREATE OR REPLACE TEMP TABLE record_items{index} AS SELECT *, known AND row_number() OVER "
        "(PARTITION BY line, known, code_text ORDER BY position) > 1 AS twice FROM ("
        f"SELECT *, {known} AS known, coalesce(item_type = 'OBJECT', false) AS object, "
        f"CASE WHEN item_type = 'OBJECT' THEN list_filter(json_keys(item), key -> key NOT IN {_in(attributes)}) "
        "ELSE [] END AS unknown FROM ("
        "SELECT *, json_type(code) AS code_type, code ->> '$' AS code_text FROM ("
        "SELECT *, CASE WHEN item_type = 'OBJECT' THEN json_extract(item, '$.\"code\"') ELSE item END AS code FROM ("
        "SELECT *, json_type(item) AS item_type FROM (SELECT line, unnest(items) AS item, "
        "generate_subscripts(items, 1) - 1 AS position FROM "
        f"(SELECT line, CAST({value} AS JSON[]) AS items FROM record_fields WHERE {type_of(value)} = 'ARRAY' "
        f"AND json_array_length({value}) <= {len(field.codes)}))))))"
    )


def _code_checks(problems: Problems, index: int, field: FieldSpec) -> None:
    """A ``codes`` field's checks, as ``_read_codes`` makes them."""
    value, name, keys = f"v{index}", field.name, ("'1'", f"'{index:04d}'")
    present = _present(value)
    problems.add(
        "record_fields",
        (*keys, "'0'"),
        _lit(name),
        f"'must be a list of codes, not ' || {_describe(value)}",
        f"{present} AND {type_of(value)} <> 'ARRAY'",
    )
    problems.add(
        "record_fields",
        (*keys, "'0'"),
        _lit(name),
        f"'lists ' || json_array_length({value}) || "
        f"{_lit(f' items, but there are only {len(field.codes)} codes and each may be listed once')}",
        f"{type_of(value)} = 'ARRAY' AND json_array_length({value}) > {len(field.codes)}",
    )
    items = f"record_items{index}"
    path = f"{_lit(name + '[')} || position || ']'"
    attribute_names = ", ".join(["code", *(attribute.name for attribute in field.attributes)])
    # Per item: sub-key 0.k the unknown keys of an object, 1 the code, 2.a.s the attributes.
    item_key = "lpad(CAST(position AS VARCHAR), 4, '0')"

    def at(sub: str) -> tuple[str, str, str]:
        return (keys[0], keys[1], f"{item_key} || {sub}")

    problems.add(
        f"(SELECT *, unnest(unknown) AS key, generate_subscripts(unknown, 1) AS slot FROM {items})",
        at("'.0.' || lpad(CAST(slot AS VARCHAR), 4, '0')"),
        f"{path} || '.' || key",
        _lit(f"unknown field; allowed: {attribute_names}"),
        "true",
    )
    problems.add(
        items,
        at("'.1'"),
        path,
        "'an object item needs a code'",
        "object AND NOT " + _present("code"),
    )
    path_of_code = f"{path} || CASE WHEN object THEN '.code' ELSE '' END"
    problems.add(
        items,
        at("'.1'"),
        path_of_code,
        f"{_shown('code')} || {_lit(' is not a known code; allowed: ' + ', '.join(field.codes))}",
        f"NOT known AND NOT (object AND NOT {_present('code')})",
    )
    problems.add(items, at("'.1'"), path_of_code, "(code ->> '$') || ' is listed twice'", "twice")
    for number, attribute in enumerate(field.attributes):
        attribute_value = f"(CASE WHEN object THEN json_extract(item, {_path(attribute.name)}) END)"
        attribute_path = f"{path} || {_lit('.' + attribute.name)}"
        source = f"(SELECT * FROM {items} WHERE known AND NOT twice)"
        sub = f"'.2.{number:03d}.'"
        if attribute.required_for:
            problems.add(
                source,
                at(sub),
                attribute_path,
                f"'is required for ' || (code ->> '$') || {_lit(': ' + attribute.description)}",
                f"NOT {_present(attribute_value)} AND (code ->> '$') IN {_in(attribute.required_for)}",
            )
        if attribute.type == "integer":
            problems.integer(source, at(sub), attribute_path, attribute_value, attribute)
        else:
            problems.add(
                source,
                at(sub + " || '1'"),
                attribute_path,
                f"{_shown(attribute_value)} || {_lit(' is not allowed; allowed: ' + ', '.join(attribute.codes))}",
                f"{_present(attribute_value)} AND ({type_of(attribute_value)} <> 'VARCHAR' OR "
                f"({attribute_value} ->> '$') NOT IN {_in(attribute.codes)})",
            )


def _cross_field(spec: RecordSpec) -> list[str]:
    """``at_most`` limits, checked only when neither field has a problem of its own."""
    names = [field.name for field in spec.fields]
    statements: list[str] = []
    for index, field in enumerate(spec.fields):
        if field.at_most is None or field.at_most not in names:
            continue
        bound_index = names.index(field.at_most)
        bound_spec = spec.fields[bound_index]
        value, bound = valid_number(f"v{index}", field), valid_number(f"v{bound_index}", bound_spec)
        message = (
            f"CAST({value} AS VARCHAR) || {_lit(f' is more than {field.at_most} (')} || CAST({bound} AS VARCHAR) "
            "|| '); it cannot exceed it'"
        )
        statements.append(
            f"INSERT INTO record_problems SELECT line, '2', '{index:04d}', '', {_lit(field.name)}, {message} "
            f"FROM record_fields WHERE {value} > {bound} AND line NOT IN (SELECT line FROM record_problems "
            f"WHERE k1 <> '2' AND field IN ({_lit(field.name)}, {_lit(field.at_most)}))"
        )
    return statements


def check_table(spec: RecordSpec, connection: duckdb.DuckDBPyConnection, table: str) -> Checked:
    """Run the checks over ``table``; the SQL tables they leave stay for the facts (see :mod:`cohort_sql`)."""
    for statement in compile_checks(spec, table):
        connection.execute(statement)
    problems: dict[int, list[FieldProblem]] = {}
    for line, field, message in connection.execute(
        "SELECT line, field, message FROM record_problems ORDER BY line, k1, k2, k3"
    ).fetchall():
        problems.setdefault(line, []).append(FieldProblem(field, message))
    hard = {int(line) for (line,) in connection.execute("SELECT line FROM record_hard").fetchall()}
    return Checked({line: _capped(found) for line, found in problems.items()}, hard)


@dataclass(frozen=True)
class Checked:
    """What the SQL checks found: each failing line's problems (capped as the Python validator caps them),
    and the lines left to the Python validator."""

    problems: dict[int, list[FieldProblem]]
    hard: set[int]


def check_lines(
    spec: RecordSpec, connection: duckdb.DuckDBPyConnection, table: str, source: str
) -> Iterator[tuple[int, RecordError | None]]:
    """Each line of ``table`` with its RecordError (as the Python path gives it), or None when valid, in line order."""
    checked = check_table(spec, connection, table)
    for line, text in connection.execute(f"SELECT line, text FROM {table} ORDER BY line").fetchall():
        where = f"{source}:{line}"
        if line in checked.hard:
            yield line, python_verdict(spec, text, where)
        elif line in checked.problems:
            yield line, RecordError(checked.problems[line], where)
        else:
            yield line, None


def python_verdict(spec: RecordSpec, text: str, where: str) -> RecordError | None:
    """The hand-written path for one line: strict parse, then :meth:`RecordSpec.read`."""
    from .inputs import _record_error

    try:
        spec.read(load_json(text), where)
    except TextProblem as problem:
        return _record_error(problem, where, whole_file=False)
    except RecordError as error:
        return error
    return None


__all__ = ["Checked", "check_lines", "check_table", "compile_checks", "python_verdict"]
