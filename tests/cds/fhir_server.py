"""A small FHIR server for the tests: serves the resources of a Bundle over real HTTP on loopback.

``GET /Type/id`` answers the resource, ``GET /Type?...`` a searchset Bundle of every resource of
that type, in pages of ``page_size`` linked by ``next``. A request without the expected bearer
token gets 401; ``delay`` seconds are waited before each answer. Every request's path is kept.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FhirServerState:
    resources: list[dict[str, Any]]
    token: str
    page_size: int = 50
    delay: float = 0.0
    requests: list[str] = field(default_factory=list)


@contextmanager
def fhir_server(state: FhirServerState) -> Iterator[str]:
    """Serve ``state`` on a free loopback port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
            state.requests.append(self.path)
            time.sleep(state.delay)
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._answer(401, {"resourceType": "OperationOutcome", "issue": []})
                return
            parts = urlsplit(self.path)
            resource_type, _, identifier = parts.path.strip("/").partition("/")
            found = [resource for resource in state.resources if resource["resourceType"] == resource_type]
            if identifier:
                match = [resource for resource in found if resource.get("id") == identifier]
                self._answer(200 if match else 404, match[0] if match else {"resourceType": "OperationOutcome"})
                return
            offset = int(parse_qs(parts.query).get("_offset", ["0"])[0])
            page = found[offset : offset + state.page_size]
            bundle: dict[str, Any] = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found),
                "entry": [{"resource": resource} for resource in page],
                "link": [],
            }
            if offset + state.page_size < len(found):
                host = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
                following = f"{host}/{resource_type}?_offset={offset + state.page_size}"
                bundle["link"] = [{"relation": "next", "url": following}]
            self._answer(200, bundle)

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server signature
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # a client that gave up
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
