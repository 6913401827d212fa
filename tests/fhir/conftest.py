"""The knowledge base's FHIR code table and terminology, read once for the FHIR tests."""

from __future__ import annotations

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.fhir import FhirMapping, Terminology, load_mapping, load_terminology


@pytest.fixture(scope="session")
def mapping(advisor: Advisor) -> FhirMapping:
    return load_mapping(advisor)


@pytest.fixture(scope="session")
def terminology(advisor: Advisor) -> Terminology:
    return load_terminology(advisor)
