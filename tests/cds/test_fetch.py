"""A call without its prefetch is answered from the EHR's FHIR server, queried with the call's token.

The FHIR server is real HTTP on loopback (tests/cds/fhir_server.py). The service queries only
servers it was told to trust, follows the search's pages, and says so in a card when the
server cannot be read; a server it does not trust still gets the spec's 412.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.cds import running_server
from backspasm.reasoner.cds.fetch import FetchError, FhirFetcher, fill
from tests.cds.fhir_server import FhirServerState, fhir_server
from tests.conftest import ROOT

TODAY = date(2026, 11, 26)
TOKEN = "token-for-this-call"
PATIENT_VIEW = "/cds-services/backspasm-patient-view"


def example_resources(name: str) -> list[dict[str, Any]]:
    bundle = json.loads((ROOT / "examples" / "fhir" / f"{name}.json").read_text())
    return [entry["resource"] for entry in bundle["entry"]]


@pytest.fixture
def state() -> FhirServerState:
    return FhirServerState(example_resources("red-flag"), TOKEN, page_size=1)


@pytest.fixture
def fhir_url(state: FhirServerState) -> Iterator[str]:
    with fhir_server(state) as url:
        yield url


@pytest.fixture
def service(advisor: Advisor, fhir_url: str) -> Iterator[httpx.Client]:
    with running_server(advisor, clock=lambda: TODAY, fhir_servers=(fhir_url,), allow_unauthenticated=True) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def call_without_prefetch(patient_id: str, server: str, token: str = TOKEN) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "6f1b2d9e-2a54-4a8e-9d2b-6b6c1f0e4d11",
        "fhirServer": server,
        "fhirAuthorization": {"access_token": token, "token_type": "Bearer", "scope": "patient/*.read"},
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
    }


def test_a_missing_prefetch_is_read_from_the_fhir_server_with_the_calls_token(
    service: httpx.Client, fhir_url: str, state: FhirServerState
) -> None:
    response = service.post(PATIENT_VIEW, json=call_without_prefetch(state.resources[0]["id"], fhir_url))
    assert response.status_code == 200, response.text
    assert response.json()["cards"][0]["indicator"] == "critical"
    assert any(path.startswith("/Condition?patient=") for path in state.requests)
    assert any("_offset=" in path for path in state.requests)  # the next pages were followed


def test_a_server_that_refuses_the_token_gives_a_card_saying_the_record_was_not_read(
    service: httpx.Client, fhir_url: str, state: FhirServerState
) -> None:
    response = service.post(PATIENT_VIEW, json=call_without_prefetch(state.resources[0]["id"], fhir_url, "stale"))
    [card] = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == "Advice not given: the patient's record could not be read from the FHIR server"
    assert "answered 401" in card["detail"]


def test_a_server_the_service_was_not_told_to_trust_is_not_queried(
    service: httpx.Client, state: FhirServerState
) -> None:
    call = call_without_prefetch(state.resources[0]["id"], "http://127.0.0.2:9/fhir")
    response = service.post(PATIENT_VIEW, json=call)
    assert response.status_code == 412 and response.json()["detail"].startswith("prefetch is missing")


def test_a_server_slower_than_the_timeout_is_a_fetch_error(fhir_url: str, state: FhirServerState) -> None:
    state.delay = 0.5
    with pytest.raises(FetchError, match="could not be read"):
        FhirFetcher((fhir_url,), timeout=0.1).fetch(fhir_url, TOKEN, "Condition?patient=x")


def test_a_search_longer_than_the_page_limit_is_a_fetch_error(fhir_url: str, state: FhirServerState) -> None:
    state.resources = state.resources * 3
    with pytest.raises(FetchError, match="more than 2 pages"):
        FhirFetcher((fhir_url,), max_pages=2).fetch(fhir_url, TOKEN, "Observation?patient=x")


def test_context_values_cannot_add_parameters_to_a_query() -> None:
    filled = fill("Condition?patient={{context.patientId}}", {"patientId": "p1&_count=100000/../x"})
    assert filled == "Condition?patient=p1%26_count%3D100000%2F..%2Fx"
