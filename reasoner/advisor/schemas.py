"""JSON Schemas of the command line's JSON outputs besides answers and explanations.

``backspasm kb docs`` writes each one under ``docs/``, and the CLI tests validate every
JSON output against its schema, so a program reading ``--format json`` knows its shape.
"""

from __future__ import annotations

from typing import Any

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _schema(name: str, title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": _DRAFT, "$id": f"https://backspasm.invalid/schemas/{name}.schema.json", "title": title, **body}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else required,
        "properties": properties,
    }


_TEXT = {"type": "string"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}

BATCH_ERROR_SCHEMA = _schema(
    "batch-error",
    "A cohort record that could not be answered (one line of `backspasm batch` output)",
    _object(
        {
            "error": _object(
                {
                    "source": {"type": "string", "description": "file:line of a JSON Lines record, or the record file"},
                    "line": {"type": ["integer", "null"], "description": "1-based line in the cohort file"},
                    "problems": {
                        "type": "array",
                        "minItems": 1,
                        "items": _object(
                            {
                                "field": {"type": "string", "description": "field path; empty for the whole record"},
                                "message": _TEXT,
                            }
                        ),
                    },
                }
            )
        }
    ),
)

_VIOLATIONS = {
    "type": "array",
    "items": _object(
        {
            "invariant": {"type": "string", "description": "the violation/1 name"},
            "patients": _COUNT,
            "examples": {"type": "array", "items": _TEXT, "description": "sources of the first patients, at most 10"},
        }
    ),
}

AUDIT_SCHEMA = _schema(
    "audit",
    "Audit of a cohort (`backspasm batch --audit --format json`)",
    _object(
        {
            "patients": _COUNT,
            "errors": _COUNT,
            "codes": {
                "type": "array",
                "description": "sorted by code, then kind",
                "items": _object({"code": _TEXT, "kind": _TEXT, "patients": _COUNT}),
            },
            "violations": _VIOLATIONS,
        }
    ),
)

VERIFY_SCHEMA = _schema(
    "verify",
    "Result of `backspasm kb verify --format json`",
    _object({"patients": _COUNT, "errors": _COUNT, "violations": _VIOLATIONS}),
)

LINT_SCHEMA = _schema(
    "lint",
    "Problems found by `backspasm kb lint --format json`, sorted by position",
    {
        "type": "array",
        "items": _object(
            {
                "file": _TEXT,
                "line": _COUNT,
                "column": _COUNT,
                "severity": {"enum": ["error", "warning"]},
                "check": _TEXT,
                "message": _TEXT,
            }
        ),
    },
)

RULES_SCHEMA = _schema(
    "rules",
    "Rules listed by `backspasm kb rules --format json`, in load order",
    {
        "type": "array",
        "items": _object(
            {
                "id": _OPTIONAL_TEXT,
                "statement": _OPTIONAL_TEXT,
                "datalog": _TEXT,
                "evidence": {"type": "array", "items": _TEXT},
                "position": {"type": "string", "description": "file:line:column"},
            }
        ),
    },
)

EVIDENCE_SCHEMA = _schema(
    "evidence",
    "The evidence registry (`backspasm kb evidence --format json`)",
    {
        "type": "array",
        "items": _object(
            {
                "id": _TEXT,
                "quality": {"enum": ["high", "moderate", "low", "very-low"]},
                "grade": _TEXT,
                "origin": _TEXT,
                "source": _TEXT,
                "backs": _TEXT,
                "direction": _OPTIONAL_TEXT,
                "strength": _OPTIONAL_TEXT,
                "link": _OPTIONAL_TEXT,
            }
        ),
    },
)

COVERAGE_SCHEMA = _schema(
    "coverage",
    "The traceability matrix (`backspasm kb coverage --format json`), one entry per guideline line",
    {
        "type": "array",
        "items": _object(
            {
                "line": {"type": "integer", "minimum": 1},
                "text": _TEXT,
                "heading": {"type": "boolean"},
                "rules": {"type": "array", "items": _TEXT},
                "not_actionable": _OPTIONAL_TEXT,
            }
        ),
    },
)

QUERY_SCHEMA = _schema(
    "query",
    "Solutions of `backspasm query --format json`: one object per solution, a value per named variable",
    {
        "type": "array",
        "items": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
    },
)

WHY_SCHEMA = _schema(
    "why",
    "Proofs printed by `backspasm why --format json`",
    _object(
        {
            "fact": _TEXT,
            "holds": {"type": "boolean"},
            "proofs": {"type": "array", "items": {"$ref": "https://backspasm.invalid/schemas/explanation.schema.json"}},
        }
    ),
)

WHY_NOT_SCHEMA = _schema(
    "why-not",
    "Explanations printed by `backspasm why-not --format json`, one per kind explained",
    _object(
        {
            "code": _TEXT,
            "explanations": {
                "type": "array",
                "items": {"$ref": "https://backspasm.invalid/schemas/explanation.schema.json"},
            },
        }
    ),
)

DOCS_SCHEMA = _schema(
    "docs",
    "Pages written by `backspasm kb docs --format json`",
    {"type": "array", "items": {"type": "string", "description": "a path, relative to the working directory"}},
)

CLI_SCHEMAS: dict[str, dict[str, Any]] = {
    "schemas/batch-error.schema.json": BATCH_ERROR_SCHEMA,
    "schemas/audit.schema.json": AUDIT_SCHEMA,
    "schemas/verify.schema.json": VERIFY_SCHEMA,
    "schemas/lint.schema.json": LINT_SCHEMA,
    "schemas/rules.schema.json": RULES_SCHEMA,
    "schemas/evidence.schema.json": EVIDENCE_SCHEMA,
    "schemas/coverage.schema.json": COVERAGE_SCHEMA,
    "schemas/query.schema.json": QUERY_SCHEMA,
    "schemas/why.schema.json": WHY_SCHEMA,
    "schemas/why-not.schema.json": WHY_NOT_SCHEMA,
    "schemas/docs.schema.json": DOCS_SCHEMA,
}
"""Path under docs/ → schema."""
