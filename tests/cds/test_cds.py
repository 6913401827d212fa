"""The CDS Hooks service, called over real HTTP on a loopback port, as an EHR would call it.

One uvicorn server runs for the module, in a background thread, with today's date fixed
so the example Bundles give the same symptom days on any day. Every response is checked
against the JSON Schemas published in docs/schemas.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.cds import running_server
from backspasm.reasoner.cds.config import read_config
from backspasm.reasoner.cds.requests import prefetch_for
from backspasm.reasoner.datafile import load_yaml
from backspasm.reasoner.errors import KnowledgeBaseError
from tests.conftest import ROOT
from tests.fhir_bundles import RXNORM, concept

TODAY = date(2026, 11, 26)
SCHEMAS = {
    name: json.loads((ROOT / "docs" / "schemas" / f"cds-{name}.schema.json").read_text())
    for name in ("discovery", "cards", "error")
}
PATIENT_VIEW = "/cds-services/backspasm-patient-view"
ORDER_SIGN = "/cds-services/backspasm-order-sign"


@pytest.fixture(scope="module")
def base_url(advisor: Advisor) -> Iterator[str]:
    with running_server(advisor, clock=lambda: TODAY, allow_unauthenticated=True) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def templates(advisor: Advisor) -> dict[str, str]:
    return dict(read_config(advisor).prefetch)


def example(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "examples" / "fhir" / f"{name}.json").read_text())  # type: ignore[no-any-return]


def patient_view(
    templates: dict[str, str], name: str, hook_instance: str = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
) -> dict[str, Any]:
    bundle = example(name)
    return {
        "hook": "patient-view",
        "hookInstance": hook_instance,
        "context": {"userId": "Practitioner/example", "patientId": bundle["entry"][0]["resource"]["id"]},
        "prefetch": prefetch_for(templates, bundle),
    }


def cyclobenzaprine_order(patient_id: str, days: int | None, code: dict[str, Any] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": code or concept(RXNORM, "21949", "cyclobenzaprine"),
    }
    if days is not None:
        request["dispenseRequest"] = {"expectedSupplyDuration": {"value": days, "unit": "days", "code": "d"}}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": request}]}


def order_sign(
    templates: dict[str, str], name: str, days: int | None = 5, code: dict[str, Any] | None = None
) -> dict[str, Any]:
    call = patient_view(templates, name) | {"hook": "order-sign"}
    call["context"] = call["context"] | {"draftOrders": cyclobenzaprine_order(call["context"]["patientId"], days, code)}
    return call


def cards(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    jsonschema.validate(response.json(), SCHEMAS["cards"])
    return response.json()["cards"]  # type: ignore[no-any-return]


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    jsonschema.validate(response.json(), SCHEMAS["error"])
    return response.json()["detail"]  # type: ignore[no-any-return]


def without_links(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its /why links, which are new random tokens on every call."""
    return {"cards": [{key: value for key, value in card.items() if key != "links"} for card in answer["cards"]]}


def shown(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(card["indicator"], card["summary"]) for card in found]


# -- discovery -----------------------------------------------------------------
def test_discovery_lists_both_hooks_with_their_prefetch(client: httpx.Client) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    jsonschema.validate(response.json(), SCHEMAS["discovery"])
    services = {service["hook"]: service for service in response.json()["services"]}
    assert sorted(services) == ["order-sign", "patient-view"]
    assert services["patient-view"]["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert services["order-sign"]["prefetch"]["conditions"] == "Condition?patient={{context.patientId}}"


# -- patient-view --------------------------------------------------------------
def test_a_red_flag_is_one_critical_card_with_the_banner_then_the_plan_card(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "red-flag")))
    assert [card["indicator"] for card in found] == ["critical", "warning"]
    assert found[0]["summary"] == "Emergency: suspected cauda equina syndrome", "banner and action pass 140 characters"
    assert found[0]["detail"].startswith("**Emergency: suspected cauda equina syndrome**")
    assert (
        "- red flags: bladder retention, frequency or overflow incontinence; saddle anaesthesia" in found[0]["detail"]
    )
    assert found[1]["summary"].startswith("Management of severe back spasms plan: An NSAID if needed for pain")
    assert (
        "- Not offered (a red flag is unexplained): massage; spinal manipulation; muscle relaxant" in found[1]["detail"]
    )


def test_a_contraindication_is_critical_and_the_ssri_a_caution_on_the_plan_card(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "contraindicated-ssri")))
    assert shown(found)[0] == ("critical", "Avoid: Short course of a muscle relaxant (cyclobenzaprine)")
    assert [card["indicator"] for card in found] == ["critical", "warning"]
    assert "  - caution: serotonin syndrome risk with an MAOI and an SSRI" in found[1]["detail"]


def test_an_acute_patient_gets_one_plan_card_and_no_critical_card(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    [plan] = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "acute")))
    assert plan["indicator"] == "warning", "the relaxant's CNS side effects are a warning"
    assert plan["summary"].startswith("Management of severe back spasms plan: Cyclobenzaprine 5 mg three times a day")
    assert len(plan["summary"]) < 140
    assert "  - caution: dizziness, drowsiness and fatigue; may impair driving" in plan["detail"]
    assert "- Not for anyone: lumbar supports; TENS; muscle relaxants beyond 21 days" in plan["detail"]


def test_codes_not_understood_are_a_warning_card_that_names_them(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    last = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "unmapped-code")))[-1]
    assert (last["indicator"], last["summary"]) == ("warning", "2 entries of the record not understood and not used")
    assert "Condition/um-diabetes code: http://snomed.info/sct|73211009" in last["detail"]


def test_card_detail_says_each_item_with_its_filled_statement_and_graded_evidence(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    [plan] = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "acute")))
    assert (
        "- Consider: Short course of a muscle relaxant (cyclobenzaprine). Consider a short course of a muscle "
        "relaxant such as cyclobenzaprine, as an adjunct to rest and physical therapy: 3 to 7 days" in plan["detail"]
    )
    assert "(quality: moderate" in plan["detail"]
    assert plan["source"]["label"] == "Management of severe back spasms 1.0.0"
    # the link goes to the best-graded evidence that has one; the evidence is listed in the detail
    assert plan["source"]["url"] == "https://doi.org/10.7326/M16-2367"  # acp2017, the only one with a link


EXAMPLE_BUNDLES = sorted(path.stem for path in (ROOT / "examples" / "fhir").glob("*.json"))
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@pytest.mark.parametrize("name", EXAMPLE_BUNDLES)
def test_no_card_of_an_example_bundle_says_a_code_of_the_knowledge_base(
    client: httpx.Client, templates: dict[str, str], name: str
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, name)))
    found += cards(client.post(ORDER_SIGN, json=order_sign(templates, name)))
    for card in found:
        text = f"{card['summary']}\n{card['detail']}"
        assert IDENTIFIER.findall(text) == [], text


def test_a_cards_why_is_the_sentence_the_command_line_says(
    advisor: Advisor, client: httpx.Client, templates: dict[str, str]
) -> None:
    from backspasm.reasoner.fhir import bundle_to_record, load_mapping, load_terminology
    from backspasm.reasoner.render import render_sentence
    from backspasm.reasoner.render.vocabulary import vocabulary_of

    critical = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "contraindicated-ssri")))[0]
    reading = bundle_to_record(
        example("contraindicated-ssri"), load_mapping(advisor), today=TODAY, terminology=load_terminology(advisor)
    )
    record = advisor.read_record(reading.record)
    [item] = [item for item in advisor.recommend(record).items if item.code == "muscle_relaxant_short_course"]
    _, [proof] = advisor.proofs(record, item.code, item.kind)
    said = render_sentence(proof, vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters))
    assert f"Why: {said}" in critical["detail"]
    assert "moderate or severe hepatic impairment, hyperthyroidism and an MAOI within 14 days" in said


def test_what_the_reader_could_not_use_is_said_in_the_records_words(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    last = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "unmapped-code")))[-1]
    assert "(no code in the table for conditions, red flags)" in last["detail"]


def test_a_critical_card_details_its_labelled_parameters_and_conflicting_evidence(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    critical = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "contraindicated-ssri")))[0]
    assert "- reasons: " in critical["detail"]
    assert critical["source"]["topic"]["code"] == "muscle_relaxant_short_course"


def test_each_card_links_to_its_explanation_on_the_same_service(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "red-flag")))
    [link] = found[0]["links"]
    assert link["type"] == "absolute" and link["url"].startswith(str(client.base_url).rstrip("/") + "/why/")
    explanation = client.get(link["url"], headers={"Accept": "application/json"}).json()
    assert explanation["subject"] == "red-flag"
    assert explanation["item"]["code"] == "urgent_evaluation"
    assert explanation["item"]["rules"][0] == "red_flag_urgent_evaluation"
    assert explanation["record"]["red_flags"] == ["saddle_anaesthesia", "bladder_dysfunction"]
    assert explanation["changes"]["direction"] == "remove"
    assert explanation["changes"]["text"][0].startswith("Not before the red flags are evaluated and explained")
    plan = client.get(found[1]["links"][0]["url"], headers={"Accept": "application/json"}).json()
    assert plan["summary"]["banner"][0] == "Emergency: suspected cauda equina syndrome"
    assert {item["code"] for item in plan["items"]} >= {"heat_therapy", "muscle_relaxant_short_course"}


def test_the_why_link_opened_in_a_browser_is_a_readable_page_with_everything_escaped(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "red-flag")))
    page = client.get(found[0]["links"][0]["url"], headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Urgent evaluation for a red flag</h1>" in page.text
    assert "Emergency: suspected cauda equina syndrome" in page.text
    assert "What would change it, and when" in page.text
    assert "<script" not in page.text.lower()
    plan = client.get(found[1]["links"][0]["url"])
    assert plan.headers["content-type"].startswith("text/html"), "a link opened without Accept is a page"
    assert "Not offered (a red flag is unexplained)" in plan.text


def test_an_unknown_card_has_no_explanation(client: httpx.Client) -> None:
    assert "no recent card" in refused(client.get("/why/00000000-0000-0000-0000-000000000000"), 404)


def test_a_patient_without_the_episode_gets_no_cards(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute")
    call["prefetch"]["conditions"] = None
    assert cards(client.post(PATIENT_VIEW, json=call)) == []


# -- order-sign ----------------------------------------------------------------
def test_an_order_within_the_course_passes_with_an_info_card(client: httpx.Client, templates: dict[str, str]) -> None:
    found = cards(client.post(ORDER_SIGN, json=order_sign(templates, "acute", days=5)))
    assert shown(found)[0] == ("info", "Consider: Short course of a muscle relaxant (cyclobenzaprine)")
    assert found[0]["detail"].startswith("The order covers 5 days, within the 7-day course.")


def test_an_order_longer_than_the_course_is_a_warning(client: httpx.Client, templates: dict[str, str]) -> None:
    found = cards(client.post(ORDER_SIGN, json=order_sign(templates, "acute", days=14)))
    assert shown(found)[0] == (
        "warning",
        "Order for 14 days is longer than the 7-day course: Short course of a muscle relaxant (cyclobenzaprine)",
    )


def test_an_order_against_a_contraindication_is_critical(client: httpx.Client, templates: dict[str, str]) -> None:
    found = cards(client.post(ORDER_SIGN, json=order_sign(templates, "contraindicated-ssri")))
    assert shown(found)[0] == ("critical", "Avoid: Short course of a muscle relaxant (cyclobenzaprine)")
    assert found[0]["detail"].startswith("**Do not sign this order as written**")
    assert (
        "- reasons: moderate or severe hepatic impairment; hyperthyroidism; an MAOI within 14 days"
        in found[0]["detail"]
    )
    assert ("warning", "Warning: Serotonin syndrome risk") in shown(found)
    assert all(not summary.startswith(("Recommended", "Consider")) for _, summary in shown(found))


def test_an_order_with_the_atc_code_is_checked_too(client: httpx.Client, templates: dict[str, str]) -> None:
    call = order_sign(templates, "contraindicated-ssri", code=concept("http://www.whocc.no/atc", "M03BX08"))
    assert shown(cards(client.post(ORDER_SIGN, json=call)))[0][0] == "critical"


def test_an_order_by_product_code_gives_the_same_critical_card_as_by_ingredient(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    by_ingredient = cards(client.post(ORDER_SIGN, json=order_sign(templates, "contraindicated-ssri")))
    product = concept(RXNORM, "828348", "cyclobenzaprine hydrochloride 10 MG Oral Tablet")
    by_product = cards(client.post(ORDER_SIGN, json=order_sign(templates, "contraindicated-ssri", code=product)))
    assert (
        shown(by_product)[0]
        == shown(by_ingredient)[0]
        == (
            "critical",
            "Avoid: Short course of a muscle relaxant (cyclobenzaprine)",
        )
    )


def test_an_order_of_a_contained_medication_is_checked_by_its_ingredient(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    call = order_sign(templates, "contraindicated-ssri")
    order = call["context"]["draftOrders"]["entry"][0]["resource"]
    del order["medicationCodeableConcept"]
    order["contained"] = [
        {
            "resourceType": "Medication",
            "id": "med",
            "code": {"text": "cyclobenzaprine tablet"},
            "ingredient": [{"itemCodeableConcept": concept(RXNORM, "21949", "cyclobenzaprine")}],
        }
    ]
    order["medicationReference"] = {"reference": "#med"}
    assert shown(cards(client.post(ORDER_SIGN, json=call)))[0][0] == "critical"


def test_an_order_for_another_drug_gets_no_cards(client: httpx.Client, templates: dict[str, str]) -> None:
    call = order_sign(templates, "contraindicated-ssri", code=concept(RXNORM, "5640", "ibuprofen"))
    assert cards(client.post(ORDER_SIGN, json=call)) == []


def test_an_order_for_a_patient_without_the_episode_says_it_was_not_checked(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    call = order_sign(templates, "acute")
    call["prefetch"]["conditions"] = None
    [card] = cards(client.post(ORDER_SIGN, json=call))
    assert card["indicator"] == "info" and card["summary"].startswith("Order not checked: no current episode")


# -- refusals: always a 4xx with a message, never a 500 -------------------------
def test_malformed_json_is_a_400(client: httpx.Client) -> None:
    response = client.post(
        PATIENT_VIEW, content=b'{"hook": "patient-view",', headers={"content-type": "application/json"}
    )
    assert refused(response, 400).startswith("the request body is not JSON")


def test_a_json_value_that_is_not_a_request_is_a_400(client: httpx.Client) -> None:
    assert "JSON object" in refused(client.post(PATIENT_VIEW, json=[1, 2]), 400)


def test_the_wrong_hook_is_a_400(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute") | {"hook": "order-select"}
    detail = refused(client.post(PATIENT_VIEW, json=call), 400)
    assert detail == "service backspasm-patient-view answers the patient-view hook, not 'order-select'"


def test_an_unknown_service_is_a_404(client: httpx.Client, templates: dict[str, str]) -> None:
    assert "no CDS service 'nope'" in refused(
        client.post("/cds-services/nope", json=patient_view(templates, "acute")), 404
    )


def test_missing_prefetch_is_a_412(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute") | {"fhirServer": "https://ehr.example.org/fhir"}
    del call["prefetch"]
    assert refused(client.post(PATIENT_VIEW, json=call), 412).startswith("prefetch is missing patient, conditions")


def test_a_null_patient_in_prefetch_is_a_412(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute")
    call["prefetch"]["patient"] = None
    assert refused(client.post(PATIENT_VIEW, json=call), 412).startswith("prefetch is missing patient;")


def test_prefetch_of_another_patient_is_a_400(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute")
    call["context"]["patientId"] = "someone-else"
    assert "context.patientId is 'someone-else'" in refused(client.post(PATIENT_VIEW, json=call), 400)


def test_a_bundle_with_an_invalid_resource_is_a_422_naming_it(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute")
    call["prefetch"]["conditions"]["entry"][0]["resource"]["onsetDateTime"] = "last week"
    response = client.post(PATIENT_VIEW, json=call)
    assert refused(response, 422).startswith(
        "the FHIR data cannot be read: entry[1] Condition/acute-lbp: onsetDateTime:"
    )
    assert len(response.json()["problems"]) == 1


def test_draft_orders_that_are_not_a_bundle_are_a_400(client: httpx.Client, templates: dict[str, str]) -> None:
    call = order_sign(templates, "acute")
    call["context"]["draftOrders"] = {"resourceType": "MedicationRequest"}
    assert "draftOrders must be a FHIR Bundle" in refused(client.post(ORDER_SIGN, json=call), 400)


def test_a_body_over_one_mebibyte_is_a_413(client: httpx.Client, templates: dict[str, str]) -> None:
    call = patient_view(templates, "acute") | {"padding": "x" * (1024 * 1024)}
    assert refused(client.post(PATIENT_VIEW, json=call), 413) == "the request body is larger than 1048576 bytes"


def test_a_huge_streamed_body_is_a_413_too(client: httpx.Client) -> None:
    chunks = (b"x" * 65536 for _ in range(40))  # 2.5 MiB, sent chunked without a Content-Length
    assert "larger than" in refused(client.post(PATIENT_VIEW, content=chunks), 413)


# -- isolation under concurrency -----------------------------------------------
def test_concurrent_calls_never_see_each_others_patient(
    client: httpx.Client, base_url: str, templates: dict[str, str]
) -> None:
    names = ["acute", "chronic-flare", "contraindicated-ssri", "red-flag", "unmapped-code"]
    distinct = [(PATIENT_VIEW, patient_view(templates, name)) for name in names]
    distinct += [(ORDER_SIGN, order_sign(templates, name, days=4 + 3 * index)) for index, name in enumerate(names)]
    serial = [without_links(client.post(path, json=call).json()) for path, call in distinct]
    assert len({json.dumps(answer, sort_keys=True) for answer in serial}) == len(distinct)
    mixed = [(index * 7) % len(distinct) for index in range(200)]
    results: list[Any] = [None] * len(mixed)
    explained: list[bool] = [False] * len(mixed)

    def worker(start: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as own:
            for position in range(start, len(mixed), 16):
                path, call = distinct[mixed[position]]
                results[position] = own.post(path, json=call).json()
                link = results[position]["cards"][0]["links"][0]["url"]
                why = own.get(link, headers={"Accept": "application/json"}).json()
                explained[position] = why["record"]["id"] == call["context"]["patientId"]

    threads = [threading.Thread(target=worker, args=(start,)) for start in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(without_links(results[position]) == serial[which] for position, which in enumerate(mixed))
    assert all(explained)


def test_every_service_and_route_is_documented(client: httpx.Client) -> None:
    page = (ROOT / "docs" / "cds-hooks.md").read_text(encoding="utf-8")
    for service in client.get("/cds-services").json()["services"]:
        assert f"POST /cds-services/{service['id']}" in page
        assert all(f"`{template}`" in page for template in service["prefetch"].values())
    for route in ("GET /why/{token}", "POST /cds-services/{id}/feedback", "GET /health"):
        assert route in page


def test_a_long_order_comes_with_a_suggestion_to_shorten_it(client: httpx.Client, templates: dict[str, str]) -> None:
    [suggestion] = cards(client.post(ORDER_SIGN, json=order_sign(templates, "acute", days=14)))[0]["suggestions"]
    [action] = suggestion["actions"]
    assert (suggestion["label"], action["type"]) == ("Shorten the order to 7 days", "update")
    assert action["resource"]["dispenseRequest"]["expectedSupplyDuration"]["value"] == 7
    assert action["resource"]["id"] == "draft-1"


def test_a_refused_order_comes_with_a_suggestion_to_remove_it(client: httpx.Client, templates: dict[str, str]) -> None:
    [suggestion] = cards(client.post(ORDER_SIGN, json=order_sign(templates, "contraindicated-ssri")))[0]["suggestions"]
    assert suggestion["actions"] == [
        {
            "type": "delete",
            "description": "Remove the draft order for Short course of a muscle relaxant (cyclobenzaprine)",
            "resourceId": "MedicationRequest/draft-1",
        }
    ]


def test_json_nested_too_deeply_is_a_400(client: httpx.Client) -> None:
    response = client.post(PATIENT_VIEW, content=b"[" * 200_000 + b"]" * 200_000)
    assert refused(response, 400) == "the request body is JSON nested too deeply to read"


def test_other_methods_and_paths_are_refused_with_json(client: httpx.Client) -> None:
    refused(client.get(PATIENT_VIEW), 405)
    refused(client.get("/nowhere"), 404)


def test_browser_origins_are_allowed_only_when_named(advisor: Advisor, base_url: str) -> None:
    origin = "https://sandbox.cds-hooks.org"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    with running_server(advisor, clock=lambda: TODAY, cors_origins=(origin,), allow_unauthenticated=True) as open_url:
        assert (
            httpx.options(open_url + PATIENT_VIEW, headers=preflight).headers["access-control-allow-origin"] == origin
        )
    assert "access-control-allow-origin" not in httpx.options(base_url + PATIENT_VIEW, headers=preflight).headers


def test_urgent_cards_explain_themselves_in_a_sentence_from_the_proof(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "contraindicated-ssri")))
    critical = next(card for card in found if card["indicator"] == "critical")
    assert "Why: Do not offer a muscle relaxant to this patient" in critical["detail"]
    assert "because:\n- a contraindication to cyclobenzaprine excludes it" in critical["detail"]


def test_the_why_link_serves_the_proof_tree_and_its_sentence(client: httpx.Client, templates: dict[str, str]) -> None:
    [plan] = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "acute")))
    explanation = client.get(plan["links"][0]["url"], headers={"Accept": "application/json"}).json()
    heat = next(item for item in explanation["items"] if item["code"] == "heat_therapy")
    explanation = heat["explanation"]
    assert explanation["sentence"].startswith("Apply heat to the affected area")
    assert (explanation["proof"]["node"], explanation["proof"]["fact"]) == ("fact", "item(heat_therapy, recommend)")
    jsonschema.validate(
        explanation["proof"], json.loads((ROOT / "docs" / "schemas" / "explanation.schema.json").read_text())
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  services:\n    patient-view:",
            "  services:\n    patient-review:",
            "'patient-review' is not allowed; allowed: patient-view, order-sign",
        ),
        (
            "    refer: critical",
            "    refer: urgent",
            "cds.indicators.refer: 'urgent' is not allowed; allowed: info, warning, critical",
        ),
        (
            "    allowed_kind: consider",
            "    allowed_kind: maybe",
            "cds.order.allowed_kind: the allowed kind is one of refer, warn, recommend, consider, avoid",
        ),
        (
            "    also_show: [refer, warn]",
            "    also_show: [refer, warning]",
            "cds.order.also_show: 'warning' is not a kind; allowed: refer, warn, recommend, consider, avoid",
        ),
        (
            "  kind_words:\n",
            "  kind_word:\n",
            "cds.kind_word: unknown field; allowed: guideline, services, prefetch, "
            "indicators, critical_when, kind_words, order",
        ),
    ],
)
def test_a_bad_cds_section_is_refused_at_file_line_column(
    advisor: Advisor, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """Each problem names the line of the changed key or value, and what is allowed there."""
    text = (ROOT / "kb" / "fhir.yaml").read_text(encoding="utf-8")
    assert old in text
    changed = text.replace(old, new)
    (tmp_path / "fhir.yaml").write_text(changed, encoding="utf-8")
    kb = replace(advisor.kb, data={**advisor.kb.data, "fhir": load_yaml(tmp_path / "fhir.yaml", "fhir.yaml")})
    with pytest.raises(KnowledgeBaseError) as caught:
        read_config(Advisor(kb, advisor.record_spec, advisor.answer_spec))
    line = changed[: changed.index(new)].count("\n") + new.rstrip("\n").count("\n") + 1
    found = [(problem.position.line, problem.message) for problem in caught.value.problems]
    assert any(number == line and message.endswith(expected) for number, message in found), found


def test_warning_and_critical_cards_offer_override_reasons_and_others_do_not(
    client: httpx.Client, templates: dict[str, str]
) -> None:
    found = cards(client.post(PATIENT_VIEW, json=patient_view(templates, "acute")))
    assert [card for card in found if card["indicator"] == "warning"], "the acute example has a warning"
    for card in found:
        if card["indicator"] in ("warning", "critical") and "not understood" not in card["summary"]:
            codes = [reason["code"] for reason in card["overrideReasons"]]
            assert codes == ["patient-declined", "benefit-outweighs-risk", "already-addressed", "does-not-apply"]
            assert {reason["system"] for reason in card["overrideReasons"]} == {
                "http://backspasm.example.org/fhir/CodeSystem/override-reason"
            }
        else:
            assert "overrideReasons" not in card
