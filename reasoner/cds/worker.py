"""The app factory uvicorn's worker processes import: settings from the environment, logs as JSON lines."""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI

from ..advisor.advisor import load_advisor
from .app import create_app
from .auth import JwtVerifier
from .settings import ServiceSettings


def app() -> FastAPI:
    """The service of :meth:`ServiceSettings.from_environment`, with its access log on stderr."""
    settings = ServiceSettings.from_environment()
    logger = logging.getLogger("backspasm.cds")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(settings.log_level.upper())
    return create_app(
        load_advisor(settings.kb_path),
        public_url=settings.public_url,
        verifier=JwtVerifier(settings.issuers) if settings.issuers else None,
        allow_unauthenticated=settings.allow_unauthenticated,
        cors_origins=settings.cors_origins,
        fhir_servers=settings.fhir_servers,
    )
