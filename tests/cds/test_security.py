"""The service as it runs in production: only trusted EHRs' JWTs are answered, and what a probe found is closed.

A JWKS server and the service both run over real HTTP on loopback. Tokens are signed here
with an EC P-384 key (ES384, as CDS Hooks names), in every way a caller could get wrong.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backspasm.reasoner.advisor.recordtext import MAX_NESTING, TextProblem, check_nesting
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.cds import running_server
from backspasm.reasoner.cds.app import BodyLimit, Explanations
from backspasm.reasoner.cds.auth import JwtVerifier
from backspasm.reasoner.cds.cards import Card
from backspasm.reasoner.cds.config import read_config
from backspasm.reasoner.cds.requests import prefetch_for
from backspasm.reasoner.datafile import nesting_depth
from tests.conftest import ROOT

TODAY = date(2026, 11, 26)
ISSUER = "https://ehr.example.org"
PATIENT_VIEW = "/cds-services/backspasm-patient-view"
KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [public | {"kid": "ehr-key", "use": "sig", "alg": "ES384"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server signature
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def base_url(advisor: Advisor, jwks_url: str) -> Iterator[str]:
    verifier = JwtVerifier({ISSUER: jwks_url, "https://other-ehr.example.org": jwks_url})
    with running_server(advisor, clock=lambda: TODAY, verifier=verifier) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def token(audience: str, *, key: Any = KEY, issuer: str = ISSUER, lifetime: int = 300, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": issuer, "aud": audience, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": "ehr-key"})


def call(name: str = "red-flag") -> dict[str, Any]:
    bundle = json.loads((ROOT / "examples" / "fhir" / f"{name}.json").read_text())
    templates = dict(read_config_prefetch())
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": bundle["entry"][0]["resource"]["id"]},
        "prefetch": prefetch_for(templates, bundle),
    }


_PREFETCH: dict[str, str] = {}


def read_config_prefetch() -> dict[str, str]:
    if not _PREFETCH:
        from backspasm.reasoner.api import load_advisor

        _PREFETCH.update(read_config(load_advisor(ROOT / "kb")).prefetch)
    return _PREFETCH


def post(client: httpx.Client, base_url: str, bearer: str | None, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return client.post(PATIENT_VIEW, json=body if body is not None else call(), headers=headers)


# -- JWT -------------------------------------------------------------------------
def test_a_valid_token_is_answered(client: httpx.Client, base_url: str) -> None:
    response = post(client, base_url, token(base_url + PATIENT_VIEW))
    assert response.status_code == 200, response.text
    assert response.json()["cards"][0]["indicator"] == "critical"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda url: None, "Authorization: Bearer"),
        (lambda url: "garbage", "not a JWT"),
        (
            lambda url: jwt.encode({"iss": ISSUER, "aud": url, "exp": time.time() + 60}, None, algorithm="none"),
            "algorithm",
        ),
        (lambda url: token(url, lifetime=-120), "expired"),
        (lambda url: token(url.replace(PATIENT_VIEW, "/cds-services/another")), "aud"),
        (lambda url: token("http://evil.example" + PATIENT_VIEW), "aud"),
        (lambda url: token(url, issuer="https://unknown.example.org"), "issuer"),
        (lambda url: token(url, key=OTHER_KEY), "signature"),
        (lambda url: token(url, lifetime=7200), "lives longer"),
    ],
    ids=[
        "missing",
        "garbage",
        "unsigned",
        "expired",
        "other-endpoint",
        "other-host",
        "unknown-issuer",
        "forged",
        "long-lived",
    ],
)
def test_a_call_without_a_valid_token_is_a_401(client: httpx.Client, base_url: str, make: Any, reason: str) -> None:
    response = post(client, base_url, make(base_url + PATIENT_VIEW))
    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_replayed_token_is_a_401(client: httpx.Client, base_url: str) -> None:
    once = token(base_url + PATIENT_VIEW)
    assert post(client, base_url, once).status_code == 200
    replayed = post(client, base_url, once)
    assert replayed.status_code == 401 and "already used" in replayed.json()["detail"]


def test_discovery_and_health_need_no_token(client: httpx.Client) -> None:
    assert client.get("/cds-services").status_code == 200
    assert client.get("/health").json()["status"] == "ok"


# -- feedback --------------------------------------------------------------------
def test_feedback_on_a_card_answers_200_and_is_logged_without_free_text(
    client: httpx.Client, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = base_url + PATIENT_VIEW + "/feedback"
    outcome = {
        "card": "0d8e8d3a-5a61-4a9e-9f44-8b6b5d2a1c11",
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": "patient-declined", "system": "http://example.org"}, "userComment": "x"},
        "outcomeTimestamp": "2026-11-26T10:00:00Z",
    }
    with caplog.at_level(logging.INFO, logger="backspasm.cds.feedback"):
        response = client.post(
            PATIENT_VIEW + "/feedback", json={"feedback": [outcome]}, headers={"Authorization": f"Bearer {token(url)}"}
        )
    assert response.status_code == 200 and response.json() == {}
    [line] = [json.loads(record.getMessage()) for record in caplog.records if record.name == "backspasm.cds.feedback"]
    assert line["override_reason"] == "patient-declined" and "userComment" not in json.dumps(line)


def test_feedback_needs_a_token_and_a_valid_body(client: httpx.Client, base_url: str) -> None:
    url = base_url + PATIENT_VIEW + "/feedback"
    assert client.post(PATIENT_VIEW + "/feedback", json={"feedback": []}).status_code == 401
    bad = client.post(
        PATIENT_VIEW + "/feedback",
        json={"feedback": [{"card": "c"}]},
        headers={"Authorization": f"Bearer {token(url)}"},
    )
    assert bad.status_code == 400 and "outcome" in bad.json()["detail"]


# -- /why links --------------------------------------------------------------------
def test_why_links_use_the_configured_url_never_the_host_header(client: httpx.Client, base_url: str) -> None:
    response = client.post(
        PATIENT_VIEW,
        json=call(),
        headers={"Authorization": f"Bearer {token(base_url + PATIENT_VIEW)}", "Host": "evil.example"},
    )
    links = [card["links"][0]["url"] for card in response.json()["cards"]]
    assert links and all(link.startswith(base_url + "/why/") for link in links)


def test_why_links_are_random_never_overwritten_and_serve_only_their_caller(
    client: httpx.Client, base_url: str
) -> None:
    first = post(client, base_url, token(base_url + PATIENT_VIEW), call("red-flag")).json()["cards"][0]
    again = post(client, base_url, token(base_url + PATIENT_VIEW), call("red-flag")).json()["cards"][0]
    assert first["uuid"] == again["uuid"] and first["links"][0]["url"] != again["links"][0]["url"]
    link = first["links"][0]["url"]
    why = base_url + "/why"
    assert client.get(link).status_code == 401
    other = client.get(link, headers={"Authorization": f"Bearer {token(why, issuer='https://other-ehr.example.org')}"})
    assert other.status_code == 404
    own = client.get(link, headers={"Authorization": f"Bearer {token(why)}", "Accept": "application/json"})
    assert own.status_code == 200 and own.json()["record"]["id"] == call("red-flag")["context"]["patientId"]


def test_explanations_expire_and_stay_within_their_bounds() -> None:
    now = [0.0]
    kept = Explanations(capacity=3, lifetime=60, byte_limit=10_000, clock=lambda: now[0])
    card = Card(uuid="c", summary="s", indicator="info", detail="d", source={}, explanation={"x": "y" * 1000})
    tokens = kept.keep([card] * 5, "iss")
    assert len(kept) == 3 and kept.get(tokens[0], "iss") is None and kept.get(tokens[-1], "iss") == {"x": "y" * 1000}
    kept.keep([card] * 3, "iss")
    big = Card(uuid="c", summary="s", indicator="info", detail="d", source={}, explanation={"x": "y" * 6000})
    kept.keep([big, big], "iss")
    assert len(kept) == 1  # 12 kB of explanations do not fit in 10 kB
    now[0] = 61.0
    assert kept.get(tokens[-1], "iss") is None


# -- input that must not hurt the service ----------------------------------------
def test_a_deeply_nested_prefetch_is_a_400_in_json(client: httpx.Client, base_url: str) -> None:
    body = call()
    nested: dict[str, Any] = {"url": "http://example.org/x", "valueString": "leaf"}
    for _ in range(400):
        nested = {"url": "http://example.org/x", "extension": [nested]}
    body["prefetch"]["patient"]["extension"] = [nested]
    response = post(client, base_url, token(base_url + PATIENT_VIEW), body)
    assert response.status_code == 400 and "nested deeper than" in response.json()["detail"]


def test_nesting_depth_is_counted_without_recursion() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == 100_000 and nesting_depth(deep, limit=64) == 65
    assert nesting_depth(7) == 0 and nesting_depth({"a": [1, {"b": 2}]}) == 3


def test_a_record_may_nest_as_deep_as_the_limit_and_no_deeper() -> None:
    deepest_allowed: Any = 1
    for _ in range(MAX_NESTING):
        deepest_allowed = {"a": deepest_allowed}
    check_nesting(deepest_allowed)
    with pytest.raises(TextProblem, match=f"nested more than {MAX_NESTING} levels deep"):
        check_nesting([deepest_allowed])


def test_a_body_declared_far_too_large_is_refused_before_it_is_read(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST {PATIENT_VIEW} HTTP/1.1\r\nHost: x\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n{{".encode()
        )
        answer = connection.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


def test_a_body_that_does_not_arrive_in_time_is_a_408() -> None:
    sent: list[Any] = []

    async def never_finishes() -> dict[str, Any]:
        if not sent:
            sent.append("one byte")
            return {"type": "http.request", "body": b"{", "more_body": True}
        await anyio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not see a body that never arrived")

    scope = {"type": "http", "headers": [(b"content-length", b"100")]}
    anyio.run(BodyLimit(app, 1024, read_timeout=0.2), scope, never_finishes, send)
    assert sent[1]["status"] == 408


def test_the_access_log_has_one_line_per_request_and_no_patient_data(
    client: httpx.Client, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="backspasm.cds.access"):
        cards = post(client, base_url, token(base_url + PATIENT_VIEW)).json()["cards"]
        client.get(cards[0]["links"][0]["url"], headers={"Authorization": f"Bearer {token(base_url + '/why')}"})
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "backspasm.cds.access"]
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("POST", PATIENT_VIEW, 200),
        ("GET", "/why/{token}", 200),
    ]
    assert lines[0]["caller"] == ISSUER
    patient_id = call()["context"]["patientId"]
    assert all(patient_id not in record.getMessage() for record in caplog.records)
