"""Structured access logs of the CDS Hooks service: one JSON line per request, never a body.

Requests carry patients' data, so a line holds only the method, the route (with a ``/why``
link's token replaced by ``{token}``, since the token is what grants access), the status,
the time taken and the authenticated issuer. Feedback outcomes go to their own logger.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ACCESS_LOG = logging.getLogger("backspasm.cds.access")
FEEDBACK_LOG = logging.getLogger("backspasm.cds.feedback")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def route(path: str) -> str:
    """``path`` as it may be logged: a ``/why`` token is a secret, so it is not."""
    return "/why/{token}" if path.startswith("/why/") else path


class AccessLog:
    """Log each HTTP request as one JSON line on ``backspasm.cds.access``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            line = {
                "method": scope.get("method"),
                "route": route(str(scope.get("path", ""))),
                "status": status,
                "ms": round((time.perf_counter() - began) * 1000, 1),
                "caller": (scope.get("state") or {}).get("caller"),
            }
            ACCESS_LOG.info(json.dumps(line, sort_keys=True))
