"""The CDS Hooks HTTP service: discovery, the hook calls, and the "why" of each card.

Routes:

``GET  /cds-services``            discovery: the services, their hooks and prefetch templates
``POST /cds-services/{id}``       a hook call; answers ``{"cards": [...]}``
``GET  /why/{card-uuid}``         the explanation behind one card of a recent call: an HTML page,
                                  or JSON to ``Accept: application/json``

Request bodies over :data:`BODY_LIMIT` bytes get 413 before any parsing. Every refusal
is a JSON body ``{"detail": ..., "problems"?: [...]}`` with a 4xx status; the reasoning
runs in the thread pool so the event loop keeps accepting calls.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from typing import Any

import anyio
import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from ..advisor.advisor import Advisor
from ..datafile import nesting_depth
from .access import FEEDBACK_LOG, AccessLog
from .auth import AuthError, JwtVerifier
from .cards import Card
from .config import read_config
from .feedback import read_feedback
from .fetch import FhirFetcher
from .hooks import Hooks
from .page import explanation_page, wants_json
from .requests import HookError

BODY_LIMIT = 1024 * 1024
"""Largest request body accepted (1 MiB): a patient's prefetch is far smaller."""
REASONING_THREADS = 4
"""Calls reasoned at once. The reasoner holds the GIL; more threads only add switching, and
the others wait in line (measured with bench/cds_benchmark.py)."""
EXPLANATIONS_KEPT = 10_000
"""Cards whose explanation ``/why`` can still serve; the oldest are forgotten first."""
EXPLANATION_BYTES = 64 * 1024 * 1024
"""Bytes of explanations kept at most, whatever their number."""
EXPLANATION_LIFETIME = 15 * 60.0
"""Seconds a card's ``/why`` link serves its explanation."""
DEPTH_LIMIT = 64
"""Deepest nesting of a request's JSON: a FHIR resource nests far less; deeper input would make
the FHIR models recurse without bound."""
DRAINED = 16
"""A refused body is read and dropped up to this many times the limit, so clients see the 413."""
BODY_READ_TIMEOUT = 10.0
"""Seconds a client may take to send a request body."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Explanations:
    """The explanations of recent cards, by a random link token: bounded, expiring, never overwritten.

    Each card of each call gets a fresh token (``secrets.token_urlsafe``), so a link cannot be
    guessed from the call and a later call cannot replace what an earlier link shows. Entries
    remember the caller's issuer and expire after ``lifetime`` seconds; at most ``capacity``
    entries and ``byte_limit`` bytes of explanation are kept, the oldest forgotten first.
    """

    def __init__(
        self,
        capacity: int = EXPLANATIONS_KEPT,
        *,
        lifetime: float = EXPLANATION_LIFETIME,
        byte_limit: int = EXPLANATION_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._lifetime = lifetime
        self._byte_limit = byte_limit
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str | None, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def keep(self, cards: list[Card], issuer: str | None) -> list[str]:
        """A new link token for each card, in order."""
        kept = [(secrets.token_urlsafe(24), json.dumps(card.explanation).encode()) for card in cards]
        expires = self._clock() + self._lifetime
        with self._lock:
            for token, data in kept:
                self._entries[token] = (expires, issuer, data)
                self._bytes += len(data)
            while self._entries and (len(self._entries) > self._capacity or self._bytes > self._byte_limit):
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)
        return [token for token, _ in kept]

    def get(self, token: str, issuer: str | None) -> dict[str, Any] | None:
        """The explanation behind ``token`` for a caller of ``issuer``; None when unknown, expired or another's."""
        with self._lock:
            entry = self._entries.get(token)
        if entry is None or entry[0] < self._clock() or entry[1] != issuer:
            return None
        found: dict[str, Any] = json.loads(entry[2])
        return found

    def __len__(self) -> int:
        return len(self._entries)


def create_app(
    advisor: Advisor,
    *,
    public_url: str,
    verifier: JwtVerifier | None = None,
    allow_unauthenticated: bool = False,
    clock: Callable[[], date] = date.today,
    body_limit: int = BODY_LIMIT,
    reasoning_threads: int = REASONING_THREADS,
    cors_origins: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (),
) -> FastAPI:
    """The CDS Hooks service of ``advisor`` as an ASGI app (serve it with uvicorn).

    ``public_url`` is the base URL EHRs call the service at: card links and the audience a
    JWT must name are built from it, never from the request's Host header. Calls must carry a
    JWT that ``verifier`` accepts; without a verifier the app is built only when
    ``allow_unauthenticated`` says so explicitly (development against a local EHR sandbox).
    ``cors_origins`` lets browser-based EHRs (such as the CDS Hooks sandbox) call the
    service from those origins; none are allowed unless named. ``fhir_servers`` are the FHIR
    servers the service may query, with the call's access token, for a prefetch the call lacks.
    """
    if verifier is None and not allow_unauthenticated:
        raise ValueError("a JWT verifier is required; allow_unauthenticated=True is for development only")
    base = public_url.rstrip("/")
    config = read_config(advisor)
    hooks = Hooks(advisor, config, clock, FhirFetcher(fhir_servers) if fhir_servers else None)
    title = f"Why this advice ({config.guideline['label']})"
    explanations = Explanations()
    limiter = CapacityLimiter(reasoning_threads)
    app = FastAPI(
        title=f"{config.guideline['label']} CDS Hooks service",
        version=advisor.kb.version,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    def caller(request: Request, path: str) -> str | None:
        """The issuer of the call's verified JWT (None in development mode); 401 otherwise."""
        if verifier is None:
            return None
        try:
            found = verifier.verify(request.headers.get("authorization"), f"{base}{path}")
        except AuthError as error:
            raise HookError(401, str(error)) from None
        request.scope.setdefault("state", {})["caller"] = found.issuer
        return found.issuer

    @app.exception_handler(HookError)
    async def refused(request: Request, error: HookError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(error.to_json(), status_code=error.status, headers=headers)

    @app.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        return hooks.discovery()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "knowledge_base": advisor.identity}

    @app.post("/cds-services/{service_id}")
    async def call(service_id: str, request: Request) -> Response:
        issuer = caller(request, f"/cds-services/{service_id}")
        body = await request.body()

        def answer() -> bytes:
            data = _json_body(body)
            cards = hooks.call(service_id, data)
            tokens = explanations.keep(cards, issuer)
            shown = [card.to_json(f"{base}/why/{token}") for card, token in zip(cards, tokens, strict=True)]
            return json.dumps({"cards": shown}).encode()

        content = await anyio.to_thread.run_sync(answer, limiter=limiter)
        return Response(content, media_type="application/json")

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> dict[str, Any]:
        caller(request, f"/cds-services/{service_id}/feedback")
        if config.service(service_id) is None:
            raise HookError(404, f"no CDS service {service_id!r}")
        body = await request.body()
        outcomes = await anyio.to_thread.run_sync(lambda: read_feedback(_json_body(body)), limiter=limiter)
        for outcome in outcomes:
            FEEDBACK_LOG.info(json.dumps({"service": service_id, **outcome}, sort_keys=True))
        return {}

    @app.get("/why/{token}")
    async def why(token: str, request: Request) -> Response:
        issuer = caller(request, "/why")
        explanation = explanations.get(token, issuer)
        if explanation is None:
            raise HookError(
                404,
                f"no recent card behind this link; links last {EXPLANATION_LIFETIME // 60:.0f} minutes "
                "and serve only the EHR whose call made them",
            )

        as_json = wants_json(request.headers.get("accept"))

        def explain() -> bytes:
            explained = hooks.explain(explanation)
            if as_json:
                return json.dumps(explained).encode()
            return explanation_page(explained, title).encode()

        content = await anyio.to_thread.run_sync(explain, limiter=limiter)
        return Response(
            content,
            media_type="application/json" if as_json else "text/html; charset=utf-8",
            headers={"Vary": "Accept", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
        )

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=body_limit)
    app.add_middleware(AccessLog)
    return app


def _json_body(body: bytes) -> Any:
    """The request body as JSON, nested at most :data:`DEPTH_LIMIT` deep; 400 otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise HookError(400, f"the request body is not JSON: {error}") from None
    except RecursionError:
        raise HookError(400, "the request body is JSON nested too deeply to read") from None
    if nesting_depth(data, DEPTH_LIMIT) > DEPTH_LIMIT:
        raise HookError(400, f"the request body is JSON nested deeper than {DEPTH_LIMIT} levels")
    return data


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, reading at most that much into memory.

    A declared Content-Length over the limit is refused without keeping any of the body (it is
    read and dropped up to ``DRAINED`` times the limit, so the client sees the answer, and
    refused unread beyond that); a body that takes longer than :data:`BODY_READ_TIMEOUT`
    seconds to arrive gets 408, so a client that announces a large body and sends it slowly
    cannot hold a connection.
    """

    def __init__(self, app: ASGIApp, limit: int, read_timeout: float = BODY_READ_TIMEOUT) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await _refuse(send, 400, "invalid Content-Length")
            return
        too_large = f"the request body is larger than {self.limit} bytes"
        if declared is not None and int(declared) > DRAINED * self.limit:
            await _refuse(send, 413, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        refused = declared is not None and int(declared) > self.limit
        with anyio.move_on_after(self.read_timeout) as waited:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body = message.get("body", b"")
                size += len(body)
                refused = refused or size > self.limit
                if not refused:
                    chunks.append(body)
                if not message.get("more_body", False) or size > DRAINED * self.limit:
                    break
        if refused:
            await _refuse(send, 413, too_large)
            return
        if waited.cancelled_caught:
            await _refuse(send, 408, f"the request body did not arrive within {self.read_timeout:g} seconds")
            return
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
