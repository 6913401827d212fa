"""How a CDS Hooks service is run: everything a worker process needs to build the same app.

Uvicorn's worker processes each import :func:`backspasm.reasoner.cds.worker.app`, so the
settings travel to them as JSON in the environment variable :data:`SETTINGS_VARIABLE`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

SETTINGS_VARIABLE = "BACKSPASM_CDS_SETTINGS"


@dataclass(frozen=True)
class ServiceSettings:
    """The knowledge base, the public URL, who may call, and which FHIR servers may be queried."""

    public_url: str
    kb_path: str
    issuers: dict[str, str] = field(default_factory=dict)
    """Trusted JWT issuers → the URL of each one's JSON Web Key Set."""
    allow_unauthenticated: bool = False
    cors_origins: tuple[str, ...] = ()
    fhir_servers: tuple[str, ...] = ()
    log_level: str = "info"

    def to_environment(self) -> None:
        os.environ[SETTINGS_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> ServiceSettings:
        raw = json.loads(os.environ[SETTINGS_VARIABLE])
        return cls(
            public_url=raw["public_url"],
            kb_path=raw["kb_path"],
            issuers=dict(raw["issuers"]),
            allow_unauthenticated=bool(raw["allow_unauthenticated"]),
            cors_origins=tuple(raw["cors_origins"]),
            fhir_servers=tuple(raw["fhir_servers"]),
            log_level=raw["log_level"],
        )
