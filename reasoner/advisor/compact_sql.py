"""Compact answer lines built by DuckDB from the derived tables: the bytes Python writes, without Python.

:func:`compact_lines` turns the rows of the answer's predicates (items, their
parameters, conflicting evidence), each with the rule behind it, into each subject's
compact line as :func:`compact.compact_answer` and :meth:`Outcome.to_text` write it:
keys sorted, no spaces, items ordered by kind then code as the answer spec lists them,
each item's rules those of the item in rule order then those of its parameters, list
parameters' values numbers first. The line's ``subject`` is left empty (it is the last
key, filled in per patient by :meth:`Outcome.for_subject`). An item's text is written
once for all the subjects whose item has the same rows (:func:`_group_ctes`).

Strings are written by SQL only when they are printable ASCII, where JSON's escaping is
just ``\\`` and ``"``; a subject with any other string, or with what Python would reject
(several values of a single-valued parameter, a code or kind the spec does not list),
gets no line here and is assembled in Python, which writes or reports it as always.
"""

from __future__ import annotations

import json

import duckdb

from ..language.program import PredicateKey, Program
from ..language.to_sql import NUMBER_TAG, RULE, SUBJECT, CompiledProgram
from .answer_spec import AnswerSpec

KINDS = "_compact_kinds"
CODES = "_compact_codes"
RULE_IDS = "_compact_rule_ids"
ITEM_GROUPS = "_compact_item_groups"
ITEM_TEXTS = "_compact_item_texts"


def json_string(text: str) -> str:
    """SQL for the JSON string of ``text``, or NULL where it is not printable ASCII."""
    return (
        f"CASE WHEN regexp_full_match({text}, '[ -~]*') "
        f"THEN '\"' || replace(replace({text}, '\\', '\\\\'), '\"', '\\\"') || '\"' END"
    )


def _joined(entry: str) -> str:
    """SQL aggregating the struct ``entry`` per group into its ``v`` fields joined by commas, in the order of
    its other fields (a sorted list: DuckDB orders an aggregate's input far more slowly)."""
    return f"array_to_string(list_transform(list_sort(list({entry})), x -> x.v), ',')"


def _value(column: str, slot: str) -> tuple[str, str, str]:
    """SQL for whether a stored value is a number, its number, and its text (a number's digits)."""
    if slot == "number":
        return "true", column, f"CAST({column} AS VARCHAR)"
    if slot == "symbol":
        return "false", "NULL::BIGINT", column
    is_number = f"starts_with({column}, '{NUMBER_TAG}')"
    return is_number, f"CASE WHEN {is_number} THEN CAST(substr({column}, 2) AS BIGINT) END", f"substr({column}, 2)"


def _stored(compiled: CompiledProgram, key: PredicateKey, subjects: str) -> str:
    """A query of a predicate's rows for the subjects of ``subjects``: ``subject``, the first two
    arguments (code and kind, name or evidence) as text (``t0``, ``t1``), a parameter's value as
    stored (``a2``), and the rule of a derived row."""
    relation = compiled.relations[key]
    columns = [
        f"{_value(f'r.{column}', slot)[2]} AS t{index}" if index < 2 else f"r.{column} AS {column}"
        for index, (column, slot) in enumerate(zip(relation.argument_columns, relation.types, strict=True))
    ]
    if relation.per_subject:
        source = f"{relation.table} r JOIN ({subjects}) w ON r.{SUBJECT} = w.{SUBJECT}"
    else:
        source = f"{relation.table} r CROSS JOIN ({subjects}) w"  # shared rows: every subject's
    if relation.derived:
        columns.append(f"r.{RULE} AS rule")
    return f"SELECT DISTINCT w.{SUBJECT} AS subject, {', '.join(columns)} FROM {source}"


def _group_ctes(compiled: CompiledProgram, spec: AnswerSpec, subjects: str) -> list[str]:
    """CTEs grouping the items of the subjects of ``subjects`` by everything an item's text is made of.

    ``item_groups (subject, code, kind, representative)``: for each subject's item, the first
    subject whose item of that code and kind has the very same rules, parameter rows and
    conflicting evidence. An item's text is then written once per group, not once per
    subject: a cohort's items repeat far more than its whole answers do. Each row is written
    as text no other row can share (a tag; a parameter's rule, the length of its name, its
    name and its stored value), numbered, and an item's rows are compared as the sorted list of
    their numbers.
    """
    parts = [
        f"stored_items AS (SELECT subject, t0 AS code, t1 AS kind, rule FROM "
        f"({_stored(compiled, (spec.items, 2), subjects)}))",
        "stored_keys AS (SELECT DISTINCT subject, code, kind FROM stored_items)",
    ]
    rows = ["SELECT subject, code, kind, 'i' || rule AS e FROM stored_items"]
    if spec.parameters is not None:
        parts.append(f"stored_params AS ({_stored(compiled, (spec.parameters, 3), subjects)})")
        rows.append(
            "SELECT k.subject, k.code, k.kind, 'p' || p.rule || ':' || length(p.t1) || ':' || p.t1 || "
            "CAST(p.a2 AS VARCHAR) FROM stored_keys k JOIN stored_params p ON k.subject = p.subject AND k.code = p.t0"
        )
    if spec.conflicts is not None:
        parts.append(f"stored_conflicts AS ({_stored(compiled, (spec.conflicts, 2), subjects)})")
        rows.append(
            "SELECT DISTINCT k.subject, k.code, k.kind, 'c' || x.t1 FROM stored_keys k "
            "JOIN stored_conflicts x ON k.subject = x.subject AND k.code = x.t0"
        )
    return [
        *parts,
        f"item_rows AS ({' UNION ALL '.join(rows)})",
        # Each distinct row text numbered once: items compared as lists of numbers, not of texts, a fifth faster.
        "row_numbers AS (SELECT e, row_number() OVER () AS n FROM (SELECT DISTINCT e FROM item_rows))",
        "item_groups AS (SELECT unnest(members) AS subject, code, kind, representative FROM ("
        "SELECT code, kind, min(subject) AS representative, list(subject) AS members FROM ("
        "SELECT subject, code, kind, list_sort(list(n)) AS signature FROM item_rows JOIN row_numbers USING (e) "
        "GROUP BY ALL) GROUP BY code, kind, signature))",
    ]


def prepare(connection: duckdb.DuckDBPyConnection, program: Program, spec: AnswerSpec) -> None:
    """The tables the lines are ordered and cited by: kinds and codes in the spec's order, rule ids as JSON."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {KINDS} (kind VARCHAR, kind_order INT)")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {CODES} (code VARCHAR, code_order INT)")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {RULE_IDS} ({RULE} INT, id VARCHAR)")
    _numbered(connection, KINDS, list(spec.kinds), "value, number")
    _numbered(connection, CODES, list(spec.codes), "value, number")
    _numbered(connection, RULE_IDS, [json.dumps(rule.rule_id or str(rule)) for rule in program.rules], "number, value")


def _numbered(connection: duckdb.DuckDBPyConnection, table: str, values: list[str], columns: str) -> None:
    """Insert each value with its place in ``values`` (from 0), in the order of ``columns``: one
    statement with the values joined by newlines as its parameter, split by DuckDB (a list
    parameter took 24 ms for a knowledge base's 300 rule ids, ``executemany`` far more)."""
    joined = "\n".join(values)
    parameter: str | list[str]
    if values and joined.count("\n") == len(values) - 1:
        listed, parameter = "string_split(?, chr(10))", joined
    else:  # none, or a value with a newline in it: the list itself
        listed, parameter = "?::VARCHAR[]", values
    connection.execute(
        f"INSERT INTO {table} SELECT {columns} FROM (SELECT unnest(l) AS value, "
        f"generate_subscripts(l, 1) - 1 AS number FROM (SELECT {listed} AS l))",
        [parameter],
    )


def _text_ctes(compiled: CompiledProgram, spec: AnswerSpec) -> list[str]:
    """CTEs of ``item_json (subject, code, kind, kind_order, code_order, item, ok)``: the text of each
    item of the representatives of :data:`ITEM_GROUPS`, in the order keys of the spec, and whether
    SQL could write it (else NULL or not ``ok``: Python writes the line)."""
    representatives = "SELECT DISTINCT subject FROM representatives"
    parts = [
        f"representatives AS (SELECT DISTINCT representative AS subject, code, kind FROM {ITEM_GROUPS})",
        "representative_codes AS (SELECT DISTINCT subject, code FROM representatives)",
        "items AS (SELECT i.subject, i.t0 AS code, i.t1 AS kind, i.rule "
        f"FROM ({_stored(compiled, (spec.items, 2), representatives)}) i "
        "SEMI JOIN representatives k ON i.subject = k.subject AND i.t0 = k.code AND i.t1 = k.kind)",
        "item_keys AS (SELECT subject, code, kind FROM representatives)",
    ]
    if spec.parameters is not None:
        is_number, number, text = _value("r.a2", compiled.relations[(spec.parameters, 3)].types[2])
        value_json = f"CASE WHEN {is_number} THEN {text} ELSE {json_string(text)} END"
        listed = ", ".join("'" + name.replace("'", "''") + "'" for name in sorted(spec.list_parameters)) or "NULL"
        parts += [
            f"representative_params AS ({_stored(compiled, (spec.parameters, 3), representatives)})",
            f"params AS (SELECT r.subject, r.t0 AS code, r.t1 AS name, {is_number} AS is_number, {number} AS number, "
            f"{text} AS text, {value_json} AS value, r.{RULE} AS rule FROM representative_params r "
            "SEMI JOIN representative_codes k ON r.subject = k.subject AND r.t0 = k.code)",
            "values_ AS (SELECT subject, code, name, count(*) AS n, bool_and(value IS NOT NULL) AS ok, "
            f"{_joined('{s: NOT is_number, n: number, t: text, v: value}')} AS value_list FROM "
            "(SELECT DISTINCT subject, code, name, is_number, number, text, value FROM params) GROUP BY ALL)",
            f"param_json AS (SELECT subject, code, '{{' || {_joined('{s: name, v: member}')} || '}}' AS parameters, "
            "bool_and(member IS NOT NULL) AS ok FROM (SELECT subject, code, name, "
            f"{json_string('name')} || ':' || CASE WHEN name IN ({listed}) THEN '[' || value_list || ']' "
            "WHEN n = 1 THEN value_list END || CASE WHEN ok THEN '' END AS member FROM values_) GROUP BY ALL)",
            "param_rules AS (SELECT DISTINCT subject, code, rule FROM params)",
        ]
    else:
        parts += [
            "param_json AS (SELECT NULL::BIGINT AS subject, NULL::VARCHAR AS code, NULL::VARCHAR AS parameters, "
            "true AS ok WHERE false)",
            "param_rules AS (SELECT NULL::BIGINT AS subject, NULL::VARCHAR AS code, NULL::INT AS rule WHERE false)",
        ]
    if spec.conflicts is not None:
        conflict = f"{{s: evidence, v: {json_string('evidence')}}}"
        parts.append(f"representative_conflicts AS ({_stored(compiled, (spec.conflicts, 2), representatives)})")
        parts.append(
            f"conflict_json AS (SELECT subject, code, '[' || {_joined(conflict)} "
            f"|| ']' AS conflicts, bool_and({json_string('evidence')} IS NOT NULL) AS ok "
            "FROM (SELECT DISTINCT r.subject, r.t0 AS code, r.t1 AS evidence FROM representative_conflicts r "
            "SEMI JOIN representative_codes k ON r.subject = k.subject AND r.t0 = k.code) GROUP BY ALL)"
        )
    else:
        parts.append(
            "conflict_json AS (SELECT NULL::BIGINT AS subject, NULL::VARCHAR AS code, NULL::VARCHAR AS conflicts, "
            "true AS ok WHERE false)"
        )
    parts += [
        # An item's rules: its own in rule order, then its code's parameters' rules it does not have yet.
        "rule_rows AS (SELECT subject, code, kind, min(part) AS part, rule FROM ("
        "SELECT subject, code, kind, 0 AS part, rule FROM items UNION ALL "
        "SELECT k.subject, k.code, k.kind, 1 AS part, p.rule FROM item_keys k JOIN param_rules p "
        "ON k.subject = p.subject AND k.code = p.code) GROUP BY subject, code, kind, rule)",
        f"rule_json AS (SELECT subject, code, kind, '[' || {_joined('{p: part, r: rule, v: id}')} || ']' AS rules "
        f"FROM rule_rows JOIN {RULE_IDS} USING (rule) GROUP BY ALL)",
        "item_json AS (SELECT k.subject, k.code, k.kind, o.kind_order, c.code_order, "
        f"'{{\"code\":' || {json_string('k.code')} || "
        "',\"conflicts\":' || coalesce(cj.conflicts, '[]') || "
        f"',\"kind\":' || {json_string('k.kind')} || ',\"parameters\":' || coalesce(pj.parameters, '{{}}') || "
        "',\"rules\":' || rj.rules || '}' AS item, "
        "coalesce(cj.ok, true) AND coalesce(pj.ok, true) AND o.kind_order IS NOT NULL AND c.code_order IS NOT NULL "
        "AS ok FROM item_keys k JOIN rule_json rj ON rj.subject = k.subject AND rj.code = k.code AND rj.kind = k.kind "
        "LEFT JOIN param_json pj ON pj.subject = k.subject AND pj.code = k.code "
        "LEFT JOIN conflict_json cj ON cj.subject = k.subject AND cj.code = k.code "
        f"LEFT JOIN {KINDS} o ON o.kind = k.kind LEFT JOIN {CODES} c ON c.code = k.code)",
    ]
    return parts


def store_items(
    connection: duckdb.DuckDBPyConnection, compiled: CompiledProgram, spec: AnswerSpec, subjects: str
) -> None:
    """Tables of the item groups (:data:`ITEM_GROUPS`) and texts (:data:`ITEM_TEXTS`) of the subjects of
    ``subjects``, written once for lines read a slice at a time (:func:`stored_lines_query`).

    An item's text is written for the first subject of its group (:func:`_group_ctes`) and shared.
    """
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {ITEM_GROUPS} AS WITH {', '.join(_group_ctes(compiled, spec, subjects))} "
        "SELECT subject, code, kind, representative FROM item_groups"
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {ITEM_TEXTS} AS WITH {', '.join(_text_ctes(compiled, spec))} "
        "SELECT subject, code, kind, kind_order, code_order, item, ok FROM item_json"
    )


def stored_lines_query(subjects: str) -> str:
    """SQL of ``(subject, line)`` for the subjects of ``subjects``, after :func:`store_items` stored theirs.

    ``line`` is NULL for a subject that Python must assemble (see the module's docstring).
    """
    item = "{k: i.kind_order, c: i.code_order, v: i.item}"
    return (
        f"SELECT w.{SUBJECT} AS subject, CASE WHEN bool_and(coalesce(i.ok AND i.item IS "
        f"NOT NULL, true)) THEN '{{\"items\":[' || coalesce({_joined(item)}, '') "
        '|| \'],"subject":""}\' END AS line '
        f"FROM ({subjects}) w LEFT JOIN (SELECT g.subject, t.kind_order, t.code_order, t.item, t.ok "
        f"FROM {ITEM_GROUPS} g JOIN {ITEM_TEXTS} t ON t.subject = g.representative AND t.code = g.code "
        f"AND t.kind = g.kind) i ON i.subject = w.{SUBJECT} GROUP BY w.{SUBJECT}"
    )


def compact_lines(
    connection: duckdb.DuckDBPyConnection,
    compiled: CompiledProgram,
    spec: AnswerSpec,
    subjects: str,
) -> dict[int, str | None]:
    """After the program ran: each subject of ``subjects``' compact line with an empty subject, or None."""
    prepare(connection, compiled.program, spec)
    store_items(connection, compiled, spec, subjects)
    return {int(subject): line for subject, line in connection.execute(stored_lines_query(subjects)).fetchall()}


__all__ = [
    "compact_lines",
    "json_string",
    "prepare",
    "store_items",
    "stored_lines_query",
]
