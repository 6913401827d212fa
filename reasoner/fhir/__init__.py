"""FHIR R4 input: read a patient's Bundle into the advisor's record through the KB's code table.

The code table is the knowledge base's ``fhir`` data file; :func:`load_mapping` reads and
checks it once per advisor. :func:`bundle_to_record` is what a service calls for each
Bundle; :func:`recommend_bundle` reads a Bundle and answers in one call, for a command line.
"""

from __future__ import annotations

from ..advisor.advisor import Advisor
from ..errors import KnowledgeBaseError, Problem, SourcePosition
from .advice import BundleAnswer, recommend_bundle
from .bundle import is_bundle, validate_bundle
from .mapping import CodeTable, Coding, FhirMapping, read_mapping
from .reading import bundle_to_record
from .results import FhirReading, NotUnderstood, Reading
from .terminology import Terminology, read_terminology

__all__ = [
    "BundleAnswer",
    "CodeTable",
    "Coding",
    "FhirMapping",
    "FhirReading",
    "NotUnderstood",
    "Reading",
    "Terminology",
    "bundle_to_record",
    "is_bundle",
    "load_mapping",
    "load_terminology",
    "recommend_bundle",
    "validate_bundle",
]


def load_mapping(advisor: Advisor) -> FhirMapping:
    """The advisor's FHIR code table (manifest ``data.fhir``); KnowledgeBaseError when it has none."""
    data_file = advisor.kb.data.get("fhir")
    if data_file is None:
        root = advisor.kb.root or "."
        raise KnowledgeBaseError(
            [Problem(SourcePosition(f"{root}/manifest.yaml", 1, 1), "fhir", "data.fhir is required for FHIR input")]
        )
    return read_mapping(data_file, advisor.record_spec)


def load_terminology(advisor: Advisor) -> Terminology:
    """The advisor's terminology tables (manifest ``data.terminology``); empty when it has none."""
    data_file = advisor.kb.data.get("terminology")
    if data_file is None:
        return Terminology()
    return read_terminology(data_file, advisor.record_spec)
