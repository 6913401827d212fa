"""The CDS Hooks HTTP service: discovery, the hook calls, and the "why" of each card.

Routes:

``GET  /cds-services``            discovery: the services, their hooks and prefetch templates
``POST /cds-services/{id}``       a hook call; answers ``{"cards": [...]}``
``GET  /why/{card-uuid}``         the explanation behind one card of a recent call (JSON)

Request bodies over :data:`BODY_LIMIT` bytes get 413 before any parsing. Every refusal
is a JSON body ``{"detail": ..., "problems"?: [...]}`` with a 4xx status; the reasoning
runs in the thread pool so the event loop keeps accepting calls.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from ..advisor.advisor import Advisor
from .cards import Card
from .config import read_config
from .fetch import FhirFetcher
from .hooks import HookError, Hooks

BODY_LIMIT = 1024 * 1024
"""Largest request body accepted (1 MiB): a patient's prefetch is far smaller."""
REASONING_THREADS = 4
"""Calls reasoned at once. The reasoner holds the GIL; more threads only add switching, and
the others wait in line (measured with bench/cds_benchmark.py)."""
EXPLANATIONS_KEPT = 10_000
"""Cards whose explanation ``/why`` can still serve; the oldest are forgotten first."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Explanations:
    """The explanations of recent cards by uuid: bounded, and safe to use from many threads."""

    def __init__(self, capacity: int = EXPLANATIONS_KEPT) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, cards: list[Card]) -> None:
        with self._lock:
            for card in cards:
                self._entries[card.uuid] = dict(card.explanation)
                self._entries.move_to_end(card.uuid)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def get(self, card_uuid: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(card_uuid)


def create_app(
    advisor: Advisor,
    *,
    clock: Callable[[], date] = date.today,
    body_limit: int = BODY_LIMIT,
    reasoning_threads: int = REASONING_THREADS,
    cors_origins: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (),
) -> FastAPI:
    """The CDS Hooks service of ``advisor`` as an ASGI app (serve it with uvicorn).

    ``cors_origins`` lets browser-based EHRs (such as the CDS Hooks sandbox) call the
    service from those origins; none are allowed unless named. ``fhir_servers`` are the FHIR
    servers the service may query, with the call's access token, for a prefetch the call lacks.
    """
    config = read_config(advisor)
    hooks = Hooks(advisor, config, clock, FhirFetcher(fhir_servers) if fhir_servers else None)
    explanations = Explanations()
    limiter = CapacityLimiter(reasoning_threads)
    app = FastAPI(
        title=f"{config.guideline['label']} CDS Hooks service",
        version=advisor.kb.version,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(HookError)
    async def refused(request: Request, error: HookError) -> JSONResponse:
        return JSONResponse(error.to_json(), status_code=error.status)

    @app.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        return hooks.discovery()

    @app.post("/cds-services/{service_id}")
    async def call(service_id: str, request: Request) -> Response:
        body = await request.body()
        base = str(request.base_url).rstrip("/")

        def answer() -> bytes:
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError) as error:
                raise HookError(400, f"the request body is not JSON: {error}") from None
            except RecursionError:
                raise HookError(400, "the request body is JSON nested too deeply to read") from None
            cards = hooks.call(service_id, data)
            explanations.keep(cards)
            return json.dumps({"cards": [card.to_json(f"{base}/why/{card.uuid}") for card in cards]}).encode()

        content = await anyio.to_thread.run_sync(answer, limiter=limiter)
        return Response(content, media_type="application/json")

    @app.get("/why/{card_uuid}")
    async def why(card_uuid: str) -> Response:
        explanation = explanations.get(card_uuid)
        if explanation is None:
            raise HookError(404, f"no recent card {card_uuid}; explanations are kept for the last {EXPLANATIONS_KEPT}")

        def explain() -> bytes:
            return json.dumps(hooks.explain(explanation)).encode()

        content = await anyio.to_thread.run_sync(explain, limiter=limiter)
        return Response(content, media_type="application/json")

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, limit=body_limit)
    return app


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, reading at most that much into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > 64 * self.limit):
            await _refuse(send, 400 if not declared.isdigit() else 413, self.limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            size += len(body)
            if size <= self.limit:
                chunks.append(body)
            if not message.get("more_body", False):
                break
        if size > self.limit:
            await _refuse(send, 413, self.limit)
            return
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replayed, send)


async def _refuse(send: Send, status: int, limit: int) -> None:
    message = f"the request body is larger than {limit} bytes" if status == 413 else "invalid Content-Length"
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
