"""Read what a CDS Hooks call did not prefetch from the EHR's FHIR server, with its access token.

CDS Hooks lets a service query ``fhirServer`` with ``fhirAuthorization.access_token`` when a
prefetch key is missing. The service does so only for servers it was configured to trust
(``allowed_servers``): the URL comes from the request, and fetching any URL a caller names
would let the caller make the service call other hosts. Every request has a timeout, a
search follows at most :attr:`FhirFetcher.max_pages` ``next`` links on the same server, and
a response larger than :attr:`FhirFetcher.max_bytes` is refused; any failure is a
:class:`FetchError` that says which query failed and why, for the card the caller sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

FETCH_TIMEOUT = 5.0
"""Seconds for connecting to and reading from the FHIR server; a CDS call must answer quickly."""


class FetchError(Exception):
    """A prefetch query the FHIR server did not answer usefully."""


@dataclass(frozen=True)
class FhirFetcher:
    """Queries prefetch templates on allowed FHIR servers."""

    allowed_servers: tuple[str, ...] = ()
    timeout: float = FETCH_TIMEOUT
    max_pages: int = 20
    max_bytes: int = 8 * 1024 * 1024

    def allows(self, server: Any) -> bool:
        return isinstance(server, str) and server.rstrip("/") in {url.rstrip("/") for url in self.allowed_servers}

    def fetch(self, server: str, token: str, query: str) -> dict[str, Any]:
        """The resource or searchset Bundle (all its pages) of ``query`` on ``server``."""
        base = server.rstrip("/")
        url: str | None = f"{base}/{query}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
        entries: list[Any] = []
        first: dict[str, Any] | None = None
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for _ in range(self.max_pages):
                assert url is not None
                found = self._get(client, url, headers, query)
                if found.get("resourceType") != "Bundle":
                    return found
                first = first or found
                entries += found.get("entry") or []
                url = next(
                    (link.get("url") for link in found.get("link") or [] if link.get("relation") == "next"), None
                )
                if url is None:
                    return {**first, "entry": entries, "link": []}
                if not url.startswith(base + "/") and not url.startswith(base + "?"):
                    raise FetchError(f"{query}: the next page is on another server ({url})")
        raise FetchError(f"{query}: more than {self.max_pages} pages of results")

    def _get(self, client: httpx.Client, url: str, headers: dict[str, str], query: str) -> dict[str, Any]:
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    raise FetchError(f"{query}: the FHIR server answered {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{query}: the answer is larger than {self.max_bytes} bytes")
        except httpx.HTTPError as error:
            raise FetchError(f"{query}: the FHIR server could not be read ({type(error).__name__})") from None
        try:
            found = json.loads(body)
        except (ValueError, RecursionError):
            raise FetchError(f"{query}: the FHIR server's answer is not JSON") from None
        if not isinstance(found, dict) or not isinstance(found.get("resourceType"), str):
            raise FetchError(f"{query}: the FHIR server's answer is not a FHIR resource")
        return found


def fill(template: str, context: dict[str, Any]) -> str:
    """A prefetch template with its ``{{context.X}}`` tokens replaced by the call's context values,
    each escaped so that a value cannot add a parameter or a path to the query."""
    filled = template
    for key, value in context.items():
        if isinstance(value, str):
            filled = filled.replace("{{context." + key + "}}", quote(value, safe=""))
    return filled
