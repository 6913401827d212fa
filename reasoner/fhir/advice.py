"""The answer for a FHIR Bundle, with what the Bundle held that the answer could not use.

This is what a command line calls for ``recommend bundle.json``: one function from a
parsed Bundle to an answer whose JSON also lists the codes not understood and the
defaults assumed, so a reader of the answer sees them beside the advice.

>>> import json
>>> from pathlib import Path
>>> from datetime import date
>>> from backspasm.reasoner.api import load_advisor
>>> root = Path(__file__).resolve().parents[2]
>>> bundle = json.loads((root / "examples" / "fhir" / "unmapped-code.json").read_text())
>>> result = recommend_bundle(load_advisor(root / "kb"), bundle, today=date(2026, 11, 26))
>>> result.answer.codes()["muscle_relaxant_short_course"]
'consider'
>>> [item.resource for item in result.reading.not_understood]
['Condition/um-diabetes', 'MedicationStatement/um-metformin', 'Encounter/um-visit']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..advisor.advisor import Advisor
from ..advisor.answer import Answer
from .mapping import FhirMapping
from .reading import bundle_to_record
from .results import FhirReading
from .terminology import Terminology


@dataclass(frozen=True)
class BundleAnswer:
    """The answer for the patient of a Bundle, and how the Bundle was read."""

    answer: Answer
    reading: FhirReading

    def to_json(self) -> dict[str, Any]:
        """The answer's JSON with ``not_understood``, ``assumptions`` and the ``readings`` behind the record."""
        return {**self.answer.to_json(), **self.reading.annotations()}


def recommend_bundle(
    advisor: Advisor,
    bundle: dict[str, Any],
    *,
    today: date | None = None,
    mapping: FhirMapping | None = None,
    source: str = "",
    terminology: Terminology | None = None,
) -> BundleAnswer:
    """Read ``bundle`` and answer for its patient; raises BundleError or RecordError naming the problem."""
    if mapping is None:
        from . import load_mapping

        mapping = load_mapping(advisor)
    if terminology is None:
        from . import load_terminology

        terminology = load_terminology(advisor)
    reading = bundle_to_record(bundle, mapping, today=today, source=source, terminology=terminology)
    record = advisor.read_record(reading.record, source)
    return BundleAnswer(advisor.recommend(record), reading)
